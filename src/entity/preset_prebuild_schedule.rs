//! `template_version_preset_prebuild_schedules`: when a preset wants how many prebuilds.

use sea_orm::entity::prelude::*;

/// A schedule row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_version_preset_prebuild_schedules")]
pub struct Model {
    /// Unique id of the schedule.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The preset (`template_version_presets.id`; deleting it deletes the schedule).
    pub preset_id: Uuid,
    /// Coder's 5-field cron (minute `*`, weekday 0-6 from Sunday).
    pub cron_expression: String,
    /// Prebuilt workspaces wanted while the schedule matches; CHECK >= 0.
    pub desired_instances: i32,
    /// Order in the template; the first matching schedule wins.
    pub position: i32,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
