//! `provisioner_jobs`: the durable queue of builds for provisioners to run.

use sea_orm::entity::prelude::*;

/// A job row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provisioner_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub status: JobStatus,
    /// What to run, e.g. `{"workspace_build_id": …}`.
    pub input: Json,
    pub error: String,
    pub worker_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub canceled_at: Option<DateTimeUtc>,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
