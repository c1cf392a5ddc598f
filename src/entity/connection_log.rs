//! `connection_logs`: who connected to which workspace, how and when.

use sea_orm::entity::prelude::*;

/// A connection log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connection_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub connect_time: DateTimeUtc,
    pub organization_id: Uuid,
    pub workspace_owner_id: Uuid,
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub agent_name: String,
    /// `ssh`, `vscode`, `jetbrains`, `reconnecting_pty`, `workspace_app` or `port_forwarding`.
    pub r#type: String,
    /// The client's IP; None when it could not be parsed.
    pub ip: Option<String>,
    /// HTTP status for web events; the exit code of SSH-like sessions once closed.
    pub code: Option<i32>,
    pub user_agent: Option<String>,
    /// The authenticated requester of a web event.
    pub user_id: Option<Uuid>,
    pub slug_or_port: Option<String>,
    /// The agent's session id (SSH-like events only).
    pub connection_id: Option<Uuid>,
    pub disconnect_time: Option<DateTimeUtc>,
    pub disconnect_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
