//! The background scheduler: jobs with an interval, run when due by [`Scheduler::tick`]
//! with the time from the [`Clock`](crate::clock::Clock) (tests tick explicitly; the server
//! ticks every few seconds). Each run holds a lock named after the job — a PostgreSQL
//! transaction-scoped advisory lock, so one replica of many does the work; an in-process
//! lock on SQLite, which has one process — and is labelled `source = job` in its span.
//! Every run is counted and timed by job name ([`metrics`]).
//!
//! A job gets the database handle and opens its own transactions: one for the whole cycle
//! (the purge) or one per item (the lifecycle executor, whose items must not wait for each
//! other). The PostgreSQL lock therefore lives in a transaction of its own, held open on its
//! own pooled connection while the job works on others; on SQLite, whose pool has one
//! connection, only the in-process lock is taken, so the job's transactions can have it.
//!
//! The server shares its scheduler through a [`SchedulerHandle`]: its timer ticks through
//! it, and tests tick through it at a time of their choosing.

pub mod entitlements;
pub mod lifecycle;
pub mod metrics;
pub mod prebuilds;
pub mod purge;
pub mod stale_jobs;

use crate::telemetry::{WorkSource, work_label::WorkLabel};
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::clock::Clock;
use metrics::JobMetrics;

/// Why a job's cycle failed; the scheduler logs it and tries again when the job is next due.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// One kind of background work.
#[async_trait::async_trait]
pub trait Job: Send + Sync {
    /// A stable name: the lock key and the metric label.
    fn name(&self) -> &'static str;
    /// How often it runs.
    fn interval(&self) -> chrono::Duration;
    /// Does one cycle while the scheduler holds the job's lock, in transactions the job
    /// opens on `db` (a job that needs all-or-nothing opens one for the cycle).
    async fn run(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), JobError>;
}

/// What a tick did with one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// It ran and succeeded.
    Ran,
    /// Another replica holds its lock.
    Skipped,
    /// It ran and failed (the error was logged).
    Failed(String),
}

/// The database side of a job's lock.
enum DatabaseLock {
    /// SQLite: the in-process lock is all there is.
    NotNeeded,
    /// PostgreSQL: the open transaction holding the advisory lock.
    Held(DatabaseTransaction),
    /// Another replica holds it.
    Taken,
}

/// Runs registered jobs when they are due.
pub struct Scheduler {
    db: DatabaseConnection,
    jobs: Vec<Arc<dyn Job>>,
    last_run: HashMap<&'static str, DateTime<Utc>>,
    // SQLite: one process, so an in-process lock per job is enough.
    local_locks: HashMap<&'static str, Arc<tokio::sync::Mutex<()>>>,
    metrics: Option<JobMetrics>,
}

impl Scheduler {
    /// A scheduler with no jobs.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            jobs: Vec::new(),
            last_run: HashMap::new(),
            local_locks: HashMap::new(),
            metrics: None,
        }
    }

    /// Counts and times every run in `metrics`.
    pub fn with_metrics(mut self, metrics: JobMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Adds a job; it first runs on the first tick.
    pub fn register(&mut self, job: Arc<dyn Job>) {
        self.local_locks.insert(job.name(), Arc::default());
        self.jobs.push(job);
    }

    /// Runs every job that is due at `now`; one job's failure never stops the others.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Vec<(&'static str, RunOutcome)> {
        let mut outcomes = Vec::new();
        for job in self.jobs.clone() {
            let due = self
                .last_run
                .get(job.name())
                .is_none_or(|last| now - *last >= job.interval());
            if !due {
                continue;
            }
            let span = tracing::info_span!("job", source = "job", job = job.name());
            let started = std::time::Instant::now();
            let label = WorkLabel::new(WorkSource::Job, job.name());
            let outcome = label
                .wrap(self.run_locked(job.as_ref(), now))
                .instrument(span)
                .await;
            if let Some(metrics) = &self.metrics {
                metrics.observe(job.name(), &outcome, started.elapsed().as_secs_f64());
            }
            if outcome != RunOutcome::Skipped {
                self.last_run.insert(job.name(), now);
            }
            if let RunOutcome::Failed(err) = &outcome {
                tracing::error!(job = job.name(), error = %err, "background job failed");
            }
            outcomes.push((job.name(), outcome));
        }
        outcomes
    }

    async fn run_locked(&self, job: &dyn Job, now: DateTime<Utc>) -> RunOutcome {
        let local = self
            .local_locks
            .get(job.name())
            .cloned()
            .unwrap_or_default();
        let Ok(_local) = local.try_lock() else {
            return RunOutcome::Skipped;
        };
        let lock = match self.take_database_lock(job.name()).await {
            Ok(DatabaseLock::Taken) => return RunOutcome::Skipped,
            Ok(lock) => lock,
            Err(e) => return RunOutcome::Failed(e.to_string()),
        };
        let outcome = match job.run(&self.db, now).await {
            Ok(()) => RunOutcome::Ran,
            Err(e) => RunOutcome::Failed(e.to_string()),
        };
        // The lock's transaction wrote nothing; ending it releases the lock.
        if let DatabaseLock::Held(txn) = lock {
            txn.rollback().await.ok();
        }
        outcome
    }

    /// Takes the job's advisory lock on PostgreSQL, in a transaction of its own.
    async fn take_database_lock(&self, name: &str) -> Result<DatabaseLock, sea_orm::DbErr> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(DatabaseLock::NotNeeded);
        }
        let txn = self.db.begin().await?;
        let locked = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1) AS locked",
                [crate::db::advisory_lock_id(name).into()],
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "locked"))
            .transpose()?;
        if locked == Some(true) {
            Ok(DatabaseLock::Held(txn))
        } else {
            txn.rollback().await?;
            Ok(DatabaseLock::Taken)
        }
    }

    /// Shares the scheduler, for the server's timer and for tests to tick.
    pub fn into_handle(self) -> SchedulerHandle {
        SchedulerHandle(Arc::new(tokio::sync::Mutex::new(self)))
    }

    /// Ticks every `period` with the clock's time until `stop`, finishing the current cycle.
    pub fn spawn(
        self,
        clock: Arc<dyn Clock>,
        period: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        self.into_handle().spawn(clock, period, stop)
    }
}

/// A shared [`Scheduler`]: ticks through it take turns, so a test's tick never overlaps
/// the timer's.
#[derive(Clone)]
pub struct SchedulerHandle(Arc<tokio::sync::Mutex<Scheduler>>);

impl SchedulerHandle {
    /// Runs every job that is due at `now` (see [`Scheduler::tick`]), after any tick in
    /// progress.
    pub async fn tick(&self, now: DateTime<Utc>) -> Vec<(&'static str, RunOutcome)> {
        self.0.lock().await.tick(now).await
    }

    /// Ticks every `period` with the clock's time until `stop`, finishing the current cycle.
    pub fn spawn(
        &self,
        clock: Arc<dyn Clock>,
        period: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let handle = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = ticker.tick() => { handle.tick(clock.now()).await; }
                    () = stop.cancelled() => break,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Counting(AtomicUsize);

    #[async_trait::async_trait]
    impl Job for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }
        fn interval(&self) -> chrono::Duration {
            chrono::Duration::minutes(10)
        }
        async fn run(&self, db: &DatabaseConnection, _now: DateTime<Utc>) -> Result<(), JobError> {
            // A job's own transaction must get the single SQLite connection: the scheduler
            // holds none while the job runs.
            let txn = db.begin().await?;
            txn.execute_unprepared("SELECT 1").await?;
            txn.commit().await?;
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn jobs_run_when_due() {
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .expect("db");
        let job = Arc::new(Counting(AtomicUsize::new(0)));
        let mut scheduler = Scheduler::new(db);
        scheduler.register(job.clone());
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .to_utc();
        assert_eq!(
            scheduler.tick(start).await,
            vec![("counting", RunOutcome::Ran)]
        );
        assert!(
            scheduler
                .tick(start + chrono::Duration::minutes(9))
                .await
                .is_empty()
        );
        assert_eq!(
            scheduler
                .tick(start + chrono::Duration::minutes(10))
                .await
                .len(),
            1
        );
        assert_eq!(job.0.load(Ordering::SeqCst), 2);
    }

    struct Failing;

    #[async_trait::async_trait]
    impl Job for Failing {
        fn name(&self) -> &'static str {
            "failing"
        }
        fn interval(&self) -> chrono::Duration {
            chrono::Duration::minutes(1)
        }
        async fn run(&self, _db: &DatabaseConnection, _now: DateTime<Utc>) -> Result<(), JobError> {
            Err(sea_orm::DbErr::Custom("the database is on fire".into()).into())
        }
    }

    #[tokio::test]
    async fn runs_failures_and_durations_are_counted_by_job() {
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .expect("db");
        let registry = prometheus::Registry::new();
        let work = crate::telemetry::WorkSeconds::register(&registry).expect("work metric");
        let metrics = JobMetrics::register(&registry, work).expect("metrics");
        let mut scheduler = Scheduler::new(db).with_metrics(metrics);
        scheduler.register(Arc::new(Counting(AtomicUsize::new(0))));
        scheduler.register(Arc::new(Failing));
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .to_utc();
        let outcomes = scheduler.tick(start).await;
        assert_eq!(outcomes[0], ("counting", RunOutcome::Ran));
        assert!(
            matches!(&outcomes[1], ("failing", RunOutcome::Failed(e)) if e.contains("on fire")),
            "{outcomes:?}"
        );
        // The failing job is due again a minute later; the other is not.
        scheduler.tick(start + chrono::Duration::minutes(1)).await;
        let families = registry.gather();
        let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
            let family = families.iter().find(|f| f.name() == name)?;
            let metric = family.get_metric().iter().find(|m| {
                labels.iter().all(|(k, v)| {
                    m.get_label()
                        .iter()
                        .any(|l| l.name() == *k && l.value() == *v)
                })
            })?;
            Some(
                if family.get_field_type() == prometheus::proto::MetricType::HISTOGRAM {
                    metric.get_histogram().get_sample_count() as f64
                } else {
                    metric.get_counter().get_value()
                },
            )
        };
        let runs = "job_runs_total";
        assert_eq!(
            value(runs, &[("job", "counting"), ("outcome", "success")]),
            Some(1.0)
        );
        assert_eq!(
            value(runs, &[("job", "failing"), ("outcome", "failure")]),
            Some(2.0)
        );
        assert_eq!(
            value(runs, &[("job", "failing"), ("outcome", "success")]),
            None
        );
        assert_eq!(
            value("job_duration_seconds", &[("job", "failing")]),
            Some(2.0)
        );
        assert_eq!(
            value("job_duration_seconds", &[("job", "counting")]),
            Some(1.0)
        );
        // Their wall time is counted as work from background jobs, by job.
        for job in ["counting", "failing"] {
            let seconds = value("work_seconds_total", &[("source", "job"), ("name", job)]);
            assert!(seconds.is_some_and(|s| s >= 0.0), "{job}: {seconds:?}");
        }
        assert_eq!(value("work_seconds_total", &[("source", "http")]), None);
    }
}
