//! Provisioner jobs: a durable queue in `provisioner_jobs`. Callers enqueue a job of a
//! kind with an input; a provisioner acquires the oldest pending one (row lock with SKIP
//! LOCKED on PostgreSQL, so many provisioners never take the same job), runs it, and
//! completes it. What a succeeded job does to the rest of the system is not the queue's
//! business: the caller of [`complete`] passes it as [`JobEffects`], which run in the
//! completion's transaction and may still turn the success into a failure (a workspace
//! build over its owner's quota).
//!
//! The built-in provisioner ([`daemon`]) runs inside the server and "applies" jobs by
//! those effects alone, after a configurable delay; a real Terraform runner can take its
//! place through the same acquire/complete functions.
//!
//! A provisioner holding a job says it is still alive with [`heartbeat`] (acquiring sets the
//! first one). A running job whose heartbeat is older than the stale limit belonged to a
//! provisioner that died, and [`fail_stale`] ends it, so that a crashed server never leaves
//! a workspace building forever. [`cancel`] asks for a job to stop: a pending one stops at
//! once, a running one is marked canceling until its provisioner completes it.

pub mod daemon;
pub mod keys;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
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
    /// Applies the effects of `job`, which has just succeeded at `now`, or refuses them
    /// with [`Effects::Failed`]; an error rolls the whole completion back.
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        job: &provisioner_job::Model,
    ) -> Result<Effects, Error>;
}

/// What [`JobEffects::apply`] made of a succeeded job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effects {
    /// The effects are applied; the job stays succeeded.
    Applied,
    /// The job must end failed with this error instead (Coder's provisioner fails a build
    /// whose quota commit is refused). Whatever the effects wrote is undone.
    Failed(String),
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
        heartbeat_at: Set(None),
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
        .col_expr(provisioner_job::Column::HeartbeatAt, Expr::value(now))
        .col_expr(provisioner_job::Column::WorkerId, Expr::value(worker))
        .filter(provisioner_job::Column::Id.in_subquery(oldest.to_owned()))
        .filter(provisioner_job::Column::Status.eq(JobStatus::Pending))
        .exec_with_returning(db)
        .await?;
    Ok(taken.into_iter().next())
}

/// Finishes a running job: succeeded (`Ok`) or failed with an error text, and applies the
/// `effects` of a succeeded job, all in one transaction; effects that refuse the job fail
/// it with their error and leave nothing behind. A job asked to cancel ends canceled
/// whatever the outcome (an error text is kept), without effects. With `worker`, only the
/// worker that acquired the job may complete it.
pub async fn complete(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    job_id: Uuid,
    worker: Option<&str>,
    outcome: Result<(), String>,
    effects: &dyn JobEffects,
) -> Result<provisioner_job::Model, Error> {
    let txn = db.begin().await?;
    // Locked (PostgreSQL) so that a cancel or the stale-job detector cannot change the job
    // between this read and the update below.
    let job = provisioner_job::Entity::find_by_id(job_id)
        .lock_exclusive()
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
    // A provisioner's error text is kept, but cleaned: a refusal would leave the job
    // running forever.
    let error = match &outcome {
        Ok(()) => String::new(),
        Err(message) => {
            crate::domain::text::clean_reported(message, crate::domain::text::JOB_ERROR)
        }
    };
    let status = match (&outcome, job.status) {
        // The cancel was asked before the provisioner finished: its work does not count.
        (_, JobStatus::Canceling) => JobStatus::Canceled,
        (Ok(()), _) => JobStatus::Succeeded,
        (Err(_), _) => JobStatus::Failed,
    };
    let mut active: provisioner_job::ActiveModel = job.clone().into();
    active.status = Set(status);
    active.error = Set(error);
    active.completed_at = Set(Some(now));
    active.updated_at = Set(now);
    let mut job = active.update(&txn).await?;
    if status == JobStatus::Succeeded {
        // In a savepoint, so that effects refusing the job leave none of their writes.
        let savepoint = txn.begin().await?;
        match effects.apply(&savepoint, now, &job).await? {
            Effects::Applied => savepoint.commit().await?,
            Effects::Failed(message) => {
                savepoint.rollback().await?;
                let mut failed: provisioner_job::ActiveModel = job.into();
                failed.status = Set(JobStatus::Failed);
                failed.error = Set(crate::domain::text::clean_reported(
                    &message,
                    crate::domain::text::JOB_ERROR,
                ));
                job = failed.update(&txn).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(job)
}

/// Records that `worker` is still working on `job_id` and returns the job, whose status
/// tells the provisioner whether to go on (`Running`), stop (`Canceling`), or give up
/// because the job ended without it (any other status, e.g. failed as stale).
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    job_id: Uuid,
    worker: &str,
) -> Result<provisioner_job::Model, Error> {
    provisioner_job::Entity::update_many()
        .col_expr(provisioner_job::Column::HeartbeatAt, Expr::value(now))
        .filter(provisioner_job::Column::Id.eq(job_id))
        .filter(provisioner_job::Column::WorkerId.eq(worker))
        .filter(provisioner_job::Column::Status.is_in([JobStatus::Running, JobStatus::Canceling]))
        .exec(db)
        .await?;
    let job = provisioner_job::Entity::find_by_id(job_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::InvalidState(format!("job {job_id} not found")))?;
    if job.worker_id.as_deref() != Some(worker) {
        return Err(Error::InvalidState(format!(
            "job {job_id} was not acquired by this provisioner"
        )));
    }
    Ok(job)
}

/// Hands a job `worker` holds but will not finish (its server is stopping) back to the
/// queue: a running job becomes pending again for another provisioner, a job asked to
/// cancel becomes canceled. Never reports success for work that was not done. Returns the
/// job as left, or None when `worker` no longer holds an unfinished job `job_id`.
pub async fn release(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    job_id: Uuid,
    worker: &str,
) -> Result<Option<provisioner_job::Model>, Error> {
    let txn = db.begin().await?;
    let Some(job) = provisioner_job::Entity::find_by_id(job_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|job| job.worker_id.as_deref() == Some(worker))
    else {
        return Ok(None);
    };
    let mut active: provisioner_job::ActiveModel = job.clone().into();
    match job.status {
        JobStatus::Running => {
            active.status = Set(JobStatus::Pending);
            active.worker_id = Set(None);
            active.started_at = Set(None);
            active.heartbeat_at = Set(None);
        }
        JobStatus::Canceling => {
            active.status = Set(JobStatus::Canceled);
            active.completed_at = Set(Some(now));
        }
        _ => return Ok(None),
    }
    active.updated_at = Set(now);
    let job = active.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(job))
}

/// Why [`cancel`] refused.
pub const ALREADY_COMPLETED: &str = "Job has already completed!";
/// Why [`cancel`] refused a second cancel.
pub const ALREADY_CANCELING: &str = "Job has already been marked as canceled!";

/// Asks job `job_id` to stop, in the caller's transaction: a pending job is canceled at once
/// (no provisioner has it); a running one becomes canceling, and canceled when its
/// provisioner completes it. The row is locked (PostgreSQL) so that a provisioner cannot
/// take the job between the check and the update.
pub async fn cancel(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    job_id: Uuid,
) -> Result<provisioner_job::Model, Error> {
    let job = provisioner_job::Entity::find_by_id(job_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::InvalidState(format!("job {job_id} not found")))?;
    let mut active: provisioner_job::ActiveModel = job.clone().into();
    match job.status {
        JobStatus::Pending => {
            active.status = Set(JobStatus::Canceled);
            active.completed_at = Set(Some(now));
        }
        JobStatus::Running => active.status = Set(JobStatus::Canceling),
        JobStatus::Canceling | JobStatus::Canceled => {
            return Err(Error::InvalidState(ALREADY_CANCELING.to_owned()));
        }
        JobStatus::Succeeded | JobStatus::Failed => {
            return Err(Error::InvalidState(ALREADY_COMPLETED.to_owned()));
        }
    }
    active.canceled_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(active.update(txn).await?)
}

/// The error of a job failed by [`fail_stale`].
pub fn stale_error(stale_after: std::time::Duration) -> String {
    format!(
        "Build job timed out: its provisioner stopped sending heartbeats (none for {}).",
        humantime::format_duration(stale_after)
    )
}

/// Ends every job whose provisioner has sent no heartbeat since `stale_after` before `now`
/// (its server died, or lost the database): a running job fails with [`stale_error`], a job
/// asked to cancel becomes canceled. A failed build has no effects, so its workspace shows
/// the failure and can be built again. Returns the jobs it ended.
pub async fn fail_stale(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    stale_after: std::time::Duration,
) -> Result<Vec<provisioner_job::Model>, sea_orm::DbErr> {
    let Some(cutoff) = chrono::Duration::from_std(stale_after)
        .ok()
        .and_then(|limit| now.checked_sub_signed(limit))
    else {
        // A limit beyond the calendar: nothing can be that old.
        return Ok(Vec::new());
    };
    let error = stale_error(stale_after);
    let mut ended = Vec::new();
    for (from, to) in [
        (JobStatus::Running, JobStatus::Failed),
        (JobStatus::Canceling, JobStatus::Canceled),
    ] {
        // The status and heartbeat are re-checked by the UPDATE itself, so a provisioner
        // that completes or heartbeats at the same moment is never overruled.
        let rows = provisioner_job::Entity::update_many()
            .col_expr(provisioner_job::Column::Status, Expr::value(to))
            .col_expr(provisioner_job::Column::Error, Expr::value(error.clone()))
            .col_expr(provisioner_job::Column::CompletedAt, Expr::value(now))
            .col_expr(provisioner_job::Column::UpdatedAt, Expr::value(now))
            .filter(provisioner_job::Column::Status.eq(from))
            .filter(provisioner_job::Column::HeartbeatAt.lt(cutoff))
            .exec_with_returning(db)
            .await?;
        ended.extend(rows);
    }
    Ok(ended)
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
