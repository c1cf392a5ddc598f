//! `provisioner_jobs`: the durable queue of builds for provisioners to run.

use sea_orm::entity::prelude::*;

/// A job row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provisioner_jobs")]
pub struct Model {
    /// Unique id of the job.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organization whose provisioners may take it (`organizations.id`).
    pub organization_id: Uuid,
    /// `workspace_build` or `template_version_import` (CHECK); only builds are queued today.
    pub kind: String,
    /// Where the job stands; see [`JobStatus`].
    pub status: JobStatus,
    /// What to run, e.g. `{"workspace_build_id": …}`.
    pub input: Json,
    /// Why it failed (NULs dropped, cut at 16384 characters); empty unless `failed`.
    pub error: String,
    /// Who took it: a built-in provisioner's name (`built-in-<process id>-<n>`, unique to the
    /// server process) or a provisioner key's id; None while pending.
    pub worker_id: Option<String>,
    /// When it was queued; provisioners take the oldest pending job first.
    pub created_at: DateTimeUtc,
    /// When its status last changed.
    pub updated_at: DateTimeUtc,
    /// When a provisioner took it; None while pending.
    pub started_at: Option<DateTimeUtc>,
    /// When it succeeded, failed or was canceled; None until then.
    pub completed_at: Option<DateTimeUtc>,
    /// When cancellation was asked for; None: never.
    pub canceled_at: Option<DateTimeUtc>,
    /// When the provisioner holding it last said it was still working: set on acquire and
    /// refreshed while it runs. A running job whose heartbeat is too old is failed as stale.
    /// None while pending.
    pub heartbeat_at: Option<DateTimeUtc>,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JobStatus {
    /// Waiting for a provisioner.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A provisioner is on it.
    #[sea_orm(string_value = "running")]
    Running,
    /// Done.
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Done, with an error.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Asked to stop.
    #[sea_orm(string_value = "canceling")]
    Canceling,
    /// Stopped before finishing.
    #[sea_orm(string_value = "canceled")]
    Canceled,
}

impl JobStatus {
    /// Whether the job still holds the workspace (a new build must wait).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobStatus::Pending | JobStatus::Running | JobStatus::Canceling
        )
    }
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
