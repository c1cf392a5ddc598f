//! `audit_logs`: who changed what. Connection events (connect, disconnect, open, close)
//! from before the connection log are only purged, never written anew.

use sea_orm::entity::prelude::*;

/// An audit log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub time: DateTimeUtc,
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub action: AuditAction,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub resource_target: String,
    pub diff: Json,
    pub status_code: i32,
    pub ip: Option<String>,
    pub user_agent: String,
    pub request_id: String,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
