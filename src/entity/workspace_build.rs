//! `workspace_builds`: each start, stop or delete of a workspace, numbered from 1.

use sea_orm::entity::prelude::*;

/// A build row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_builds")]
pub struct Model {
    /// Unique id of the build.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The workspace (`workspaces.id`; deleting it deletes its builds).
    pub workspace_id: Uuid,
    /// 1, 2, … per workspace: CHECK >= 1, unique per workspace.
    pub build_number: i32,
    /// What the build does; see [`Transition`].
    pub transition: Transition,
    /// Why the build happened; see [`BuildReason`].
    pub reason: BuildReason,
    /// The user who asked for it (`users.id`, no foreign key).
    pub initiator_id: Uuid,
    /// The version built (`template_versions.id`; a built version cannot be deleted).
    pub template_version_id: Uuid,
    /// The preset used (`template_version_presets.id`, no foreign key); None: none.
    pub template_version_preset_id: Option<Uuid>,
    /// `Vec<BuildParameter>` as JSON.
    pub parameters: Json,
    /// True for start builds of a version with an AI task (counted as managed agents).
    pub has_ai_task: bool,
    /// Quota this build consumes: its version's daily cost, committed when a start build
    /// succeeds within the owner's quota; 0 otherwise (stops, deletes, failures). CHECK >= 0.
    pub daily_cost: i32,
    /// Autostop time, computed when a start build succeeds; None: no autostop (or not yet).
    pub deadline: Option<DateTimeUtc>,
    /// The autostop requirement's latest stop; when set, `deadline` <= it (CHECK). None: none.
    pub max_deadline: Option<DateTimeUtc>,
    /// The provisioner job that runs it (`provisioner_jobs.id`).
    pub job_id: Uuid,
    /// When the build was queued.
    pub created_at: DateTimeUtc,
    /// When the build (its deadlines) last changed.
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

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
