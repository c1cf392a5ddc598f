//! Connection log entries and their connection (page) type.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Organization, PageNodes, Preloaded, User};
use crate::{
    domain::connection_log::ConnectionType as DomainType,
    entity::connection_log,
    graphql::{
        context::ContextExt,
        error::Result,
        loaders::{OrganizationId, UserId},
    },
};

/// How a client connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::connection_log::ConnectionType")]
pub enum ConnectionType {
    /// SSH through the agent.
    Ssh,
    /// VS Code Remote.
    Vscode,
    /// JetBrains Gateway.
    Jetbrains,
    /// The web terminal's reconnecting PTY.
    ReconnectingPty,
    /// A workspace app over HTTP.
    WorkspaceApp,
    /// A forwarded port over HTTP.
    PortForwarding,
}

fn type_of(stored: &str) -> ConnectionType {
    match stored {
        "vscode" => ConnectionType::Vscode,
        "jetbrains" => ConnectionType::Jetbrains,
        "reconnecting_pty" => ConnectionType::ReconnectingPty,
        "workspace_app" => ConnectionType::WorkspaceApp,
        "port_forwarding" => ConnectionType::PortForwarding,
        _ => ConnectionType::Ssh,
    }
}

/// What a web connection (app or port) carried.
pub struct WebInfo(connection_log::Model);

/// What a web connection (app or port) carried.
#[Object]
impl WebInfo {
    /// The client's user agent ("" when none).
    async fn user_agent(&self) -> &str {
        self.0.user_agent.as_deref().unwrap_or_default()
    }
    /// The authenticated requester; null when unauthenticated.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<Preloaded<User>>> {
        let Some(id) = self.0.user_id else {
            return Ok(None);
        };
        Ok(ctx
            .loader()?
            .load_one(UserId(id))
            .await?
            .map(|user| Preloaded(User(user))))
    }
    /// The app slug, or the port.
    async fn slug_or_port(&self) -> &str {
        self.0.slug_or_port.as_deref().unwrap_or_default()
    }
    /// The HTTP status (0 when unknown).
    async fn status_code(&self) -> i32 {
        self.0.code.unwrap_or(0)
    }
}

/// What an agent-reported (SSH-like) session carried.
#[derive(SimpleObject)]
pub struct SshInfo {
    /// The agent's session id.
    pub connection_id: Option<Uuid>,
    /// When it closed; null while ongoing.
    pub disconnect_time: Option<DateTime<Utc>>,
    /// Why it closed, if said.
    pub disconnect_reason: Option<String>,
    /// The exit code; null until it closed (0 is a real value).
    pub exit_code: Option<i32>,
}

/// One connection to a workspace.
#[derive(Clone)]
pub struct ConnectionLog(pub connection_log::Model);

/// One connection to a workspace.
#[Object]
impl ConnectionLog {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// When the connection opened.
    async fn connect_time(&self) -> DateTime<Utc> {
        self.0.connect_time
    }
    /// The workspace's organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Preloaded<Organization>>> {
        Ok(ctx
            .loader()?
            .load_one(OrganizationId(self.0.organization_id))
            .await?
            .map(|org| Preloaded(Organization(org))))
    }
    /// The workspace's owner.
    async fn workspace_owner(&self, ctx: &Context<'_>) -> Result<Option<Preloaded<User>>> {
        Ok(ctx
            .loader()?
            .load_one(UserId(self.0.workspace_owner_id))
            .await?
            .map(|user| Preloaded(User(user))))
    }
    /// The workspace's id.
    async fn workspace_id(&self) -> Uuid {
        self.0.workspace_id
    }
    /// The workspace's name at the time.
    async fn workspace_name(&self) -> &str {
        &self.0.workspace_name
    }
    /// The agent's name.
    async fn agent_name(&self) -> &str {
        &self.0.agent_name
    }
    /// The client's IP; null when it could not be parsed.
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    /// How the client connected.
    async fn r#type(&self) -> ConnectionType {
        type_of(&self.0.r#type)
    }
    /// Set for web connections (apps and ports).
    async fn web_info(&self) -> Option<WebInfo> {
        DomainType::is_web_str(&self.0.r#type).then(|| WebInfo(self.0.clone()))
    }
    /// Set for agent-reported, SSH-like sessions.
    async fn ssh_info(&self) -> Option<SshInfo> {
        (!DomainType::is_web_str(&self.0.r#type)).then(|| SshInfo {
            connection_id: self.0.connection_id,
            disconnect_time: self.0.disconnect_time,
            disconnect_reason: self.0.disconnect_reason.clone(),
            exit_code: self.0.code,
        })
    }
}

/// Paging facts of a connection.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether entries follow this page.
    pub has_next_page: bool,
    /// Whether entries precede this page (false when unknown for cursor pages).
    pub has_previous_page: bool,
    /// The first entry's cursor.
    pub start_cursor: Option<String>,
    /// The last entry's cursor: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// An entry with its cursor.
#[derive(SimpleObject)]
pub struct ConnectionLogEdge {
    /// Opaque; pass as `after`.
    pub cursor: String,
    /// The entry.
    pub node: ConnectionLog,
}

/// A page of the connection log.
#[derive(SimpleObject)]
pub struct ConnectionLogConnection {
    /// The entries, newest first.
    pub nodes: PageNodes<ConnectionLog>,
    /// The entries with their cursors.
    pub edges: Vec<ConnectionLogEdge>,
    /// Paging facts.
    pub page_info: PageInfo,
    /// Entries matching in all; at most `countCap + 1` (show "countCap+" above the cap).
    pub total_count: i32,
    /// The cap of `totalCount`; 0 when counts are exact.
    pub count_cap: i32,
}
