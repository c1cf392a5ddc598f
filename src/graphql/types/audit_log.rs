//! Audit log entries and their connection (page) type.

use async_graphql::{Context, Enum, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{BuildReasonKind, Organization, PageInfo, PageNodes, Preloaded, User};
use crate::{
    entity::audit_log,
    graphql::{
        context::ContextExt,
        error::Result,
        loaders::{OrganizationId, UserId},
    },
};

/// What an audited action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::entity::audit_log::AuditAction")]
pub enum AuditAction {
    /// Created something.
    Create,
    /// Changed something.
    Write,
    /// Deleted something.
    Delete,
    /// Started a workspace.
    Start,
    /// Stopped a workspace.
    Stop,
    /// Logged in.
    Login,
    /// Logged out.
    Logout,
    /// Registered the first user.
    Register,
    /// A connection opened (kept from before the connection log).
    Connect,
    /// A connection closed (kept from before the connection log).
    Disconnect,
    /// An app session opened (kept from before the connection log).
    Open,
    /// An app session closed (kept from before the connection log).
    Close,
}

/// One audited action: who did what to which object, when and from where.
#[derive(Clone)]
pub struct AuditLog(pub audit_log::Model);

/// One audited action: who did what to which object, when and from where.
#[Object]
impl AuditLog {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// When it happened.
    async fn time(&self) -> DateTime<Utc> {
        self.0.time
    }
    /// Who did it; null for the system (background jobs) or a user that no longer exists.
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
    /// The organization of the object acted on; null for site-wide objects.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Preloaded<Organization>>> {
        let Some(id) = self.0.organization_id else {
            return Ok(None);
        };
        Ok(ctx
            .loader()?
            .load_one(OrganizationId(id))
            .await?
            .map(|org| Preloaded(Organization(org))))
    }
    /// What was done.
    async fn action(&self) -> AuditAction {
        self.0.action.into()
    }
    /// The kind of object acted on, as searched with `resource_type:` (e.g. `workspace_build`).
    async fn resource_type(&self) -> &str {
        &self.0.resource_type
    }
    /// The object's id; null when it has none.
    async fn resource_id(&self) -> Option<Uuid> {
        self.0.resource_id
    }
    /// The object's name at the time (a username, a workspace's name); empty when none.
    async fn resource_target(&self) -> &str {
        &self.0.resource_target
    }
    /// The fields that changed, as `{field: {old, new, secret}}`; secrets are never listed.
    async fn diff(&self) -> Json<serde_json::Value> {
        Json(self.0.diff.clone())
    }
    /// The HTTP-style status of the action: 200 done, 403 refused, 401 or 429 failed logins.
    async fn status_code(&self) -> i32 {
        self.0.status_code
    }
    /// The client's IP address; null when unknown.
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    /// The client's User-Agent header; empty when unknown.
    async fn user_agent(&self) -> &str {
        &self.0.user_agent
    }
    /// The id of the request that did it (its `x-request-id`); empty when unknown.
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    /// Why the build happened, on entries of workspace builds; null otherwise.
    async fn build_reason(&self) -> Option<BuildReasonKind> {
        self.0.build_reason.map(Into::into)
    }
}

/// An audit log entry with its cursor.
#[derive(SimpleObject)]
pub struct AuditLogEdge {
    /// Opaque; pass as `after`.
    pub cursor: String,
    /// The entry.
    pub node: AuditLog,
}

/// A page of the audit log.
#[derive(SimpleObject)]
pub struct AuditLogConnection {
    /// The entries, newest first.
    pub nodes: PageNodes<AuditLog>,
    /// The entries with their cursors.
    pub edges: Vec<AuditLogEdge>,
    /// Paging facts.
    pub page_info: PageInfo,
    /// Entries matching in all; at most `countCap + 1` (show "countCap+" above the cap).
    pub total_count: i32,
    /// The cap of `totalCount`; 0 when counts are exact.
    pub count_cap: i32,
}
