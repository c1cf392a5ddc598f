//! `templates`: what workspaces are built from, with their schedule settings.
//! Durations are stored in milliseconds; 0 disables the setting.

use sea_orm::entity::prelude::*;

/// A template row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub icon: String,
    pub active_version_id: Option<Uuid>,
    pub created_by: Uuid,
    pub deleted: bool,
    pub default_ttl_ms: i64,
    pub activity_bump_ms: i64,
    pub allow_user_autostart: bool,
    pub allow_user_autostop: bool,
    /// Bitmap, bit 0 = Monday … bit 6 = Sunday.
    pub autostop_requirement_days_of_week: i16,
    pub autostop_requirement_weeks: i32,
    /// Bitmap of days autostart may run, bit 0 = Monday … bit 6 = Sunday.
    pub autostart_allowed_days_of_week: i16,
    pub failure_ttl_ms: i64,
    pub time_til_dormant_ms: i64,
    pub time_til_dormant_autodelete_ms: i64,
    pub require_active_version: bool,
    /// Quota cost of one running workspace of this template.
    pub workspace_cost: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
