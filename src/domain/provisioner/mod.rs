//! Provisioner jobs: a durable queue in `provisioner_jobs`. Callers enqueue a job of a
//! kind with an input; a provisioner acquires the oldest pending one (row lock with SKIP
//! LOCKED on PostgreSQL, so many provisioners never take the same job), runs it, and
//! completes it. What a succeeded job does to the rest of the system is not the queue's
//! business: the caller of [`complete`] passes it as [`JobEffects`], which run in the
//! completion's transaction.
//!
//! The built-in provisioner ([`daemon`]) runs inside the server and "applies" jobs by
//! those effects alone, after a configurable delay; a real Terraform runner can take its
//! place through the same acquire/complete functions.

pub mod daemon;
pub mod keys;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, LockBehavior, LockType, Query},
};
use uuid::Uuid;

use crate::entity::provisioner_job::{self, JobStatus};

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

/// What a succeeded job does beyond the queue. It runs in the transaction that completes
/// the job, so a job is never done without its effects, nor its effects without the job.
#[async_trait::async_trait]
pub trait JobEffects: Send + Sync {
    /// Applies the effects of `job`, which has just succeeded at `now`.
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        job: &provisioner_job::Model,
    ) -> Result<(), Error>;
}

/// Queues a job of `kind` for an organization's provisioners.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: Uuid,
    kind: &str,
    input: serde_json::Value,
) -> Result<provisioner_job::Model, sea_orm::DbErr> {
    provisioner_job::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        kind: Set(kind.to_owned()),
        status: Set(JobStatus::Pending),
        input: Set(input),
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
/// `effects` of a succeeded job, all in one transaction. With `worker`, only the worker
/// that acquired the job may complete it.
pub async fn complete(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    job_id: Uuid,
    worker: Option<&str>,
    outcome: Result<(), String>,
    effects: &dyn JobEffects,
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
    if status == JobStatus::Succeeded {
        effects.apply(&txn, now, &job).await?;
    }
    txn.commit().await?;
    Ok(job)
}

/// Runs every pending job now, succeeding each with its `effects`: the built-in
/// provisioner without its delay. Tests and benchmarks use it. Returns how many jobs ran.
pub async fn run_pending(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    worker: &str,
    effects: &dyn JobEffects,
) -> Result<usize, Error> {
    let mut ran = 0;
    while let Some(job) = acquire(db, now, worker, None).await? {
        complete(db, now, job.id, None, Ok(()), effects).await?;
        ran += 1;
    }
    Ok(ran)
}
