//! `workspace_builds`: each start, stop or delete of a workspace, numbered from 1.

use sea_orm::entity::prelude::*;

/// A build row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_builds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub build_number: i32,
    pub transition: Transition,
    pub reason: BuildReason,
    pub initiator_id: Uuid,
    pub template_version_id: Uuid,
    pub template_version_preset_id: Option<Uuid>,
    /// `Vec<BuildParameter>` as JSON.
    pub parameters: Json,
    pub has_ai_task: bool,
    pub deadline: Option<DateTimeUtc>,
    pub max_deadline: Option<DateTimeUtc>,
    pub job_id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// What a build does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Transition {
    /// Bring the workspace up.
    #[sea_orm(string_value = "start")]
    Start,
    /// Bring it down, keeping its data.
    #[sea_orm(string_value = "stop")]
    Stop,
    /// Remove it.
    #[sea_orm(string_value = "delete")]
    Delete,
}

/// Why a build happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum BuildReason {
    /// A user asked.
    #[sea_orm(string_value = "initiator")]
    Initiator,
    /// The autostart schedule.
    #[sea_orm(string_value = "autostart")]
    Autostart,
    /// The deadline passed.
    #[sea_orm(string_value = "autostop")]
    Autostop,
    /// Inactivity.
    #[sea_orm(string_value = "dormancy")]
    Dormancy,
    /// Dormant for too long.
    #[sea_orm(string_value = "autodelete")]
    Autodelete,
    /// Cleanup after a failed start.
    #[sea_orm(string_value = "failedstop")]
    FailedStop,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
