//! `connection_logs`: who connected to which workspace, how and when.

use sea_orm::entity::prelude::*;

/// A connection log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connection_logs")]
pub struct Model {
    /// Unique id of the row (random; not the agent's `connection_id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Time of the session's first event (normally the connect); never changes after.
    pub connect_time: DateTimeUtc,
    /// The workspace's organization (`organizations.id`; deleting it deletes the row).
    pub organization_id: Uuid,
    /// The workspace's owner (`users.id`; deleting the user deletes the row).
    pub workspace_owner_id: Uuid,
    /// The workspace connected to (`workspaces.id`; deleting it deletes the row).
    pub workspace_id: Uuid,
    /// The workspace's name, copied when the row was inserted.
    pub workspace_name: String,
    /// Name of the agent serving it; `(connection_id, workspace_id, agent_name)` is unique.
    pub agent_name: String,
    /// `ssh`, `vscode`, `jetbrains`, `reconnecting_pty`, `workspace_app` or `port_forwarding`.
    pub r#type: String,
    /// The client's IP; None when it could not be parsed.
    pub ip: Option<String>,
    /// HTTP status for web events; the exit code of SSH-like sessions once closed.
    pub code: Option<i32>,
    /// The requester's User-Agent (web events), cut at 1024 characters; None otherwise.
    pub user_agent: Option<String>,
    /// The authenticated requester of a web event.
    pub user_id: Option<Uuid>,
    /// The app slug or port as text (web events, at most 256 characters); None otherwise.
    pub slug_or_port: Option<String>,
    /// The agent's session id (SSH-like events only).
    pub connection_id: Option<Uuid>,
    /// When the session closed (SSH-like only); None: still open, or a web event.
    pub disconnect_time: Option<DateTimeUtc>,
    /// Why it closed (cut at 1024 characters); None: open, no reason, or a web event.
    pub disconnect_reason: Option<String>,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl super::cells::FromCells for Model {
    const WIDTH: usize = 16;
    fn from_cells(cells: &mut super::cells::Cells<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: cells.value()?,
            connect_time: cells.value()?,
            organization_id: cells.value()?,
            workspace_owner_id: cells.value()?,
            workspace_id: cells.value()?,
            workspace_name: cells.value()?,
            agent_name: cells.value()?,
            r#type: cells.value()?,
            ip: cells.optional()?,
            code: cells.optional()?,
            user_agent: cells.optional()?,
            user_id: cells.optional()?,
            slug_or_port: cells.optional()?,
            connection_id: cells.optional()?,
            disconnect_time: cells.optional()?,
            disconnect_reason: cells.optional()?,
        })
    }
}
