//! `audit_logs`: who changed what. Connection events (connect, disconnect, open, close)
//! from before the connection log are only purged, never written anew.

use sea_orm::entity::prelude::*;

/// An audit log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    /// Unique id of the entry.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// When the audited action happened.
    pub time: DateTimeUtc,
    /// The acting user (`users.id`, no foreign key); None: no known user.
    pub user_id: Option<Uuid>,
    /// The resource's organization (`organizations.id`, no foreign key); None: site-wide.
    pub organization_id: Option<Uuid>,
    /// What was done; a CHECK constraint allows exactly the [`AuditAction`] values.
    pub action: AuditAction,
    /// Kind of resource acted on, as free text, e.g. `workspace` or `workspace_agent`.
    pub resource_type: String,
    /// Id of the resource acted on; None when it has none.
    pub resource_id: Option<Uuid>,
    /// Human-readable name of the resource, e.g. a workspace's name; empty: none.
    pub resource_target: String,
    /// JSON object of changed fields, as Coder's `{field: {old, new, secret}}`; `{}`: none.
    pub diff: Json,
    /// HTTP status of the request that did it, e.g. 200.
    pub status_code: i32,
    /// The client's IP as text; None when unknown.
    pub ip: Option<String>,
    /// The client's User-Agent header; empty when unknown.
    pub user_agent: String,
    /// The request's id (`x-request-id`), to find it in server logs; empty when unknown.
    pub request_id: String,
    /// Why the build happened, on rows of workspace builds (`initiator`, `autostart`, ...).
    pub build_reason: Option<super::workspace_build::BuildReason>,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum AuditAction {
    /// Created.
    #[sea_orm(string_value = "create")]
    Create,
    /// Changed.
    #[sea_orm(string_value = "write")]
    Write,
    /// Deleted.
    #[sea_orm(string_value = "delete")]
    Delete,
    /// Started.
    #[sea_orm(string_value = "start")]
    Start,
    /// Stopped.
    #[sea_orm(string_value = "stop")]
    Stop,
    /// Logged in.
    #[sea_orm(string_value = "login")]
    Login,
    /// Logged out.
    #[sea_orm(string_value = "logout")]
    Logout,
    /// Registered (first user).
    #[sea_orm(string_value = "register")]
    Register,
    /// A connection opened (legacy; now in the connection log).
    #[sea_orm(string_value = "connect")]
    Connect,
    /// A connection closed (legacy).
    #[sea_orm(string_value = "disconnect")]
    Disconnect,
    /// An app session opened (legacy).
    #[sea_orm(string_value = "open")]
    Open,
    /// An app session closed (legacy).
    #[sea_orm(string_value = "close")]
    Close,
}

impl AuditAction {
    /// The connection events the audit log held before the connection log existed; they
    /// have their own retention and are never written anew.
    pub const CONNECTION_EVENTS: [Self; 4] =
        [Self::Connect, Self::Disconnect, Self::Open, Self::Close];
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl super::cells::FromCells for Model {
    const WIDTH: usize = 14;
    fn from_cells(cells: &mut super::cells::Cells<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: cells.value()?,
            time: cells.value()?,
            user_id: cells.optional()?,
            organization_id: cells.optional()?,
            action: cells.value()?,
            resource_type: cells.value()?,
            resource_id: cells.optional()?,
            resource_target: cells.value()?,
            diff: cells.value()?,
            status_code: cells.value()?,
            ip: cells.optional()?,
            user_agent: cells.value()?,
            request_id: cells.value()?,
            build_reason: cells.optional()?,
        })
    }
}
