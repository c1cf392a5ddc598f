//! `templates`: what workspaces are built from, with their schedule settings.
//! Durations are stored in milliseconds; 0 disables the setting.

use sea_orm::entity::prelude::*;

/// A template row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "templates")]
pub struct Model {
    /// Unique id of the template.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning organization (`organizations.id`; deleting it deletes the template).
    pub organization_id: Uuid,
    /// Name, unique among the organization's live templates ignoring case.
    pub name: String,
    /// Human-readable name (at most 64 characters); empty: none given.
    pub display_name: String,
    /// Free text; empty: none.
    pub description: String,
    /// Absolute http(s) URL or a path starting with `/`; empty: none.
    pub icon: String,
    /// Version new workspaces use (`template_versions.id`); None only during creation.
    pub active_version_id: Option<Uuid>,
    /// The user who created it (`users.id`, no foreign key).
    pub created_by: Uuid,
    /// Soft delete: a deleted template is hidden. Nothing sets it yet.
    pub deleted: bool,
    /// Default workspace TTL in milliseconds, seeding new workspaces' `ttl_ms`; 0: none.
    pub default_ttl_ms: i64,
    /// How far activity pushes a deadline, in milliseconds (default 1 hour); 0: none.
    pub activity_bump_ms: i64,
    /// Whether workspace owners may set an autostart schedule.
    pub allow_user_autostart: bool,
    /// Whether owners may set their own TTL; when false, `default_ttl_ms` applies.
    pub allow_user_autostop: bool,
    /// Bitmap, bit 0 = Monday … bit 6 = Sunday.
    pub autostop_requirement_days_of_week: i16,
    /// The autostop requirement applies every this many weeks; CHECK 1-16.
    pub autostop_requirement_weeks: i32,
    /// Bitmap of days autostart may run, bit 0 = Monday … bit 6 = Sunday.
    pub autostart_allowed_days_of_week: i16,
    /// Stop a failed start after this many milliseconds; 0: never.
    pub failure_ttl_ms: i64,
    /// Mark a workspace dormant after this many milliseconds unused; 0: never.
    pub time_til_dormant_ms: i64,
    /// Delete a dormant workspace after this many milliseconds; 0: never.
    pub time_til_dormant_autodelete_ms: i64,
    /// Whether starts must use the active version (enforced on autostarts only, so far).
    pub require_active_version: bool,
    /// When the template was created.
    pub created_at: DateTimeUtc,
    /// When the template (its settings or active version) last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
