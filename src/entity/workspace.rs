//! `workspaces`: a user's development environment built from a template.

use sea_orm::entity::prelude::*;

/// A workspace row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub owner_id: Uuid,
    pub template_id: Uuid,
    pub name: String,
    /// Autostop after this many milliseconds; None disables it.
    pub ttl_ms: Option<i64>,
    /// Coder cron (`CRON_TZ=… m h * * dow`); None disables autostart.
    pub autostart_schedule: Option<String>,
    pub next_start_at: Option<DateTimeUtc>,
    pub last_used_at: DateTimeUtc,
    pub dormant_at: Option<DateTimeUtc>,
    pub deleting_at: Option<DateTimeUtc>,
    pub automatic_updates: String,
    pub deleted: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
