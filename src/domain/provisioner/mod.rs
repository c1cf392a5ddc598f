//! Provisioner jobs: a durable queue in `provisioner_jobs`. Builds enqueue a job; a
//! provisioner acquires the oldest pending one (row lock with SKIP LOCKED on PostgreSQL,
//! so many provisioners never take the same job), runs it, and completes it. Completing a
//! workspace build applies its effects: agents for a start (with the autostop deadline),
//! none after a stop or delete, and the workspace marked deleted after a delete.
//!
//! The built-in provisioner ([`daemon`]) runs inside the server and "applies" builds by
//! those effects alone, after a configurable delay; a real Terraform runner can take its
//! place through the same acquire/complete functions.

pub mod daemon;
mod effects;
pub mod keys;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
    sea_query::{Expr, LockBehavior, LockType, Query},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::provisioner_job::{self, JobStatus};

pub use effects::FollowUpStart;

/// What a workspace-build job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildJobInput {
    /// The build to run.
    pub workspace_build_id: Uuid,
    /// A start build to create when this (stop) build succeeds: `updateWorkspace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then_start: Option<FollowUpStart>,
}

/// Errors of the queue.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such job, or it is not in a state that allows the operation.
    #[error("{0}")]
    InvalidState(String),
    /// Stored data could not be read.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<Error> for crate::domain::workspace::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::Db(e) => crate::domain::workspace::Error::Db(e),
            other => crate::domain::workspace::Error::Corrupt(other.to_string()),
        }
    }
}

/// Queues the job of a workspace build.
pub async fn enqueue_build(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: Uuid,
    build_id: Uuid,
) -> Result<provisioner_job::Model, sea_orm::DbErr> {
    enqueue_build_with(
        db,
        now,
        organization_id,
        BuildJobInput {
            workspace_build_id: build_id,
            then_start: None,
        },
    )
    .await
}

/// Queues a workspace-build job with its full input.
pub async fn enqueue_build_with(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: Uuid,
    input: BuildJobInput,
) -> Result<provisioner_job::Model, sea_orm::DbErr> {
    provisioner_job::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        kind: Set("workspace_build".to_owned()),
        status: Set(JobStatus::Pending),
        input: Set(serde_json::to_value(&input).unwrap_or_default()),
        error: Set(String::new()),
        worker_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
        canceled_at: Set(None),
    }
    .insert(db)
    .await
}

/// Takes the oldest pending job for `worker` (of one organization, for an external
/// provisioner), if any.
pub async fn acquire(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    worker: &str,
    organization_id: Option<Uuid>,
) -> Result<Option<provisioner_job::Model>, Error> {
    let mut oldest = Query::select();
    oldest
        .column(provisioner_job::Column::Id)
        .from(provisioner_job::Entity)
        .and_where(provisioner_job::Column::Status.eq(JobStatus::Pending));
    if let Some(org) = organization_id {
        oldest.and_where(provisioner_job::Column::OrganizationId.eq(org));
    }
    oldest
        .order_by(provisioner_job::Column::CreatedAt, sea_orm::Order::Asc)
        .limit(1);
    // SQLite has one writer and no row locks; the UPDATE itself is atomic there.
    if db.get_database_backend() == DatabaseBackend::Postgres {
        oldest.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let taken = provisioner_job::Entity::update_many()
        .col_expr(
            provisioner_job::Column::Status,
            Expr::value(JobStatus::Running),
        )
        .col_expr(provisioner_job::Column::StartedAt, Expr::value(now))
        .col_expr(provisioner_job::Column::UpdatedAt, Expr::value(now))
        .col_expr(provisioner_job::Column::WorkerId, Expr::value(worker))
        .filter(provisioner_job::Column::Id.in_subquery(oldest.to_owned()))
        .filter(provisioner_job::Column::Status.eq(JobStatus::Pending))
        .exec_with_returning(db)
        .await?;
    Ok(taken.into_iter().next())
}

/// Finishes a running job: succeeded (`Ok`) or failed with an error text, and applies the
/// effects of a workspace build, all in one transaction. With `worker`, only the worker
/// that acquired the job may complete it.
pub async fn complete(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    job_id: Uuid,
    worker: Option<&str>,
    outcome: Result<(), String>,
) -> Result<provisioner_job::Model, Error> {
    let txn = db.begin().await?;
    let job = provisioner_job::Entity::find_by_id(job_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::InvalidState(format!("job {job_id} not found")))?;
    if let Some(worker) = worker
        && job.worker_id.as_deref() != Some(worker)
    {
        return Err(Error::InvalidState(format!(
            "job {job_id} was not acquired by this provisioner"
        )));
    }
    if !matches!(job.status, JobStatus::Running | JobStatus::Canceling) {
        return Err(Error::InvalidState(format!(
            "job {job_id} is {:?}, not running",
            job.status
        )));
    }
    let (status, error) = match &outcome {
        Ok(()) if job.status == JobStatus::Canceling => (JobStatus::Canceled, String::new()),
        Ok(()) => (JobStatus::Succeeded, String::new()),
        // A provisioner's error text is kept, but cleaned: a refusal would leave the job
        // running forever.
        Err(message) => (
            JobStatus::Failed,
            crate::domain::text::clean_reported(message, crate::domain::text::JOB_ERROR),
        ),
    };
    let mut active: provisioner_job::ActiveModel = job.clone().into();
    active.status = Set(status);
    active.error = Set(error);
    active.completed_at = Set(Some(now));
    active.updated_at = Set(now);
    let job = active.update(&txn).await?;
    if job.kind == "workspace_build" && status == JobStatus::Succeeded {
        effects::apply(&txn, now, &job).await?;
    }
    txn.commit().await?;
    Ok(job)
}

/// Runs every pending job now, succeeding each: the built-in provisioner without its
/// delay. Tests and the daemon use it. Returns how many jobs ran.
pub async fn run_pending(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    worker: &str,
) -> Result<usize, Error> {
    let mut ran = 0;
    while let Some(job) = acquire(db, now, worker, None).await? {
        complete(db, now, job.id, None, Ok(())).await?;
        ran += 1;
    }
    Ok(ran)
}

/// The pending and running jobs, oldest first (for operators and tests).
pub async fn active_jobs(
    db: &impl ConnectionTrait,
) -> Result<Vec<provisioner_job::Model>, sea_orm::DbErr> {
    provisioner_job::Entity::find()
        .filter(provisioner_job::Column::Status.is_in([JobStatus::Pending, JobStatus::Running]))
        .order_by_asc(provisioner_job::Column::CreatedAt)
        .all(db)
        .await
}

/// What an external provisioner needs to run a workspace-build job.
#[derive(Debug, Clone)]
pub struct BuildAssignment {
    /// The job.
    pub job: provisioner_job::Model,
    /// The build it runs.
    pub build: crate::entity::workspace_build::Model,
    /// The workspace.
    pub workspace: crate::entity::workspace::Model,
    /// The source archive of the build's version.
    pub file_id: Uuid,
}

/// A workspace-build job's input with the build and workspace it names.
pub(crate) async fn load_build(
    db: &impl ConnectionTrait,
    job: &provisioner_job::Model,
) -> Result<
    (
        BuildJobInput,
        crate::entity::workspace_build::Model,
        crate::entity::workspace::Model,
    ),
    Error,
> {
    use crate::entity::{workspace, workspace_build};
    let input: BuildJobInput = serde_json::from_value(job.input.clone())
        .map_err(|e| Error::Corrupt(format!("job input: {e}")))?;
    let build = workspace_build::Entity::find_by_id(input.workspace_build_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("job {} has no build", job.id)))?;
    let ws = workspace::Entity::find_by_id(build.workspace_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("build {} has no workspace", build.id)))?;
    Ok((input, build, ws))
}

/// The build behind a workspace-build job.
pub async fn assignment(
    db: &impl ConnectionTrait,
    job: provisioner_job::Model,
) -> Result<BuildAssignment, Error> {
    let (_, build, ws) = load_build(db, &job).await?;
    let version = crate::entity::template_version::Entity::find_by_id(build.template_version_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("build {} has no version", build.id)))?;
    Ok(BuildAssignment {
        job,
        build,
        workspace: ws,
        file_id: version.file_id,
    })
}
