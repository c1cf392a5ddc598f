//! `template_version_presets`: named parameter sets of a version, with prebuild settings.

use sea_orm::entity::prelude::*;

/// A preset row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_version_presets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub template_version_id: Uuid,
    pub name: String,
    /// `{name: value}` as JSON.
    pub parameters: Json,
    /// None: no prebuilds for this preset.
    pub desired_instances: Option<i32>,
    /// Prebuild TTL in seconds; None or ≤ 0 never expires.
    pub invalidate_after_secs: Option<i32>,
    pub scheduling_timezone: String,
    pub prebuild_status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
