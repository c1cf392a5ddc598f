//! `template_version_presets`: named parameter sets of a version, with prebuild settings.

use sea_orm::entity::prelude::*;

/// A preset row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_version_presets")]
pub struct Model {
    /// Unique id of the preset.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The version (`template_versions.id`; deleting it deletes the preset).
    pub template_version_id: Uuid,
    /// Name, unique in the version.
    pub name: String,
    /// `{name: value}` as JSON.
    pub parameters: Json,
    /// None: no prebuilds for this preset.
    pub desired_instances: Option<i32>,
    /// Prebuild TTL in seconds; None or ≤ 0 never expires.
    pub invalidate_after_secs: Option<i32>,
    /// IANA zone of the schedules; empty: no `scheduling` block (schedules ignored).
    pub scheduling_timezone: String,
    /// `healthy`, `hard_limited` or `validation_failed` (CHECK); always `healthy` today.
    pub prebuild_status: String,
    /// When the preset was stored (with its version).
    pub created_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
