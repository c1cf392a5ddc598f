//! The built-in provisioner: N workers inside the server that take pending jobs and
//! complete them after a delay (standing in for Terraform's apply). Workers wake when a
//! job is queued ([`Wakeup::notify`]) or on a poll interval, and stop with the server.
//!
//! This is the one piece of background work that is not a scheduler job, on purpose. The
//! scheduler runs short cycles, one job after another, each inside one transaction holding
//! that job's lock so that a single replica does the work. Provisioner workers are the
//! opposite: they are woken the moment a build is queued (not on the next tick), each holds
//! one build for as long as it takes to apply (minutes for a real Terraform run), several run
//! at once, and every replica runs its own so that builds spread over the replicas (the
//! queue's `SKIP LOCKED` keeps them apart). Run as a scheduler job, one long build would
//! hold the tick — and, on SQLite, the only connection — from every other job.
//!
//! While it holds a job a worker sends a heartbeat every so often, so that a worker that
//! died with its server is told apart from a slow one (see
//! [`fail_stale`](super::fail_stale)). It stops early when the job is canceled, and when its
//! server stops it hands the job back to the queue instead of completing it.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use tokio::{
    sync::{Notify, watch},
    task::JoinSet,
    time::Instant,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::JobEffects;
use crate::{
    clock::Clock,
    entity::provisioner_job::JobStatus,
    telemetry::{WorkSeconds, WorkSource, work_label::WorkLabel},
};

/// The built-in provisioners' name in logs, metrics and profiles.
const JOB_NAME: &str = "provisioner";

/// How often idle workers look for jobs queued by another replica.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The longest time between two heartbeats of a worker.
const MAX_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// How often a worker holding a job sends a heartbeat when jobs go stale after
/// `stale_after`: five heartbeats within the limit (at most every 30 seconds), so a few
/// slow or failed ones never make a live job look dead.
pub fn heartbeat_interval(stale_after: Duration) -> Duration {
    (stale_after / 5).clamp(Duration::from_millis(100), MAX_HEARTBEAT_INTERVAL)
}

/// What the built-in workers of this process have done since it started. Anyone may wait
/// on it (tests do, instead of sleeping).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerProgress {
    /// Jobs taken from the queue.
    pub taken: u64,
    /// Jobs let go of: completed, canceled, handed back on shutdown, or found ended by
    /// someone else.
    pub released: u64,
}

/// Signals between request handlers and the built-in workers of this process: a job was
/// queued, a job was canceled; and the workers' progress.
#[derive(Debug, Clone)]
pub struct Wakeup {
    queued: Arc<Notify>,
    canceled: watch::Sender<u64>,
    progress: watch::Sender<WorkerProgress>,
}

impl Default for Wakeup {
    fn default() -> Self {
        Self {
            queued: Arc::default(),
            canceled: watch::Sender::new(0),
            progress: watch::Sender::new(WorkerProgress::default()),
        }
    }
}

impl Wakeup {
    /// Tells one idle worker that a job is waiting.
    pub fn notify(&self) {
        self.queued.notify_one();
    }

    /// Tells the busy workers that a job was canceled, so that the one holding it stops at
    /// once rather than at its next heartbeat. (Workers of other replicas learn it from
    /// their heartbeat.)
    pub fn notify_canceled(&self) {
        self.canceled.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The workers' progress, to wait on.
    pub fn progress(&self) -> watch::Receiver<WorkerProgress> {
        self.progress.subscribe()
    }
}

/// How the built-in workers run.
#[derive(Debug, Clone, Copy)]
pub struct DaemonSettings {
    /// How many workers.
    pub workers: usize,
    /// How long each takes to "apply" a job.
    pub delay: Duration,
    /// How often a worker holding a job sends a heartbeat.
    pub heartbeat: Duration,
}

/// A name for this process's workers, `built-in-<random>-<n>`: unique to the process, so
/// that jobs held by workers of different servers (or of one server before and after a
/// restart) are never confused.
fn worker_prefix() -> String {
    format!(
        "built-in-{}",
        crate::domain::secrets::random_token(8).to_lowercase()
    )
}

/// Starts the built-in provisioners, which complete jobs with `effects`; they run until
/// `stop` is cancelled, then hand back any job they hold.
pub fn spawn(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    settings: DaemonSettings,
    work: WorkSeconds,
    wakeup: Wakeup,
    effects: Arc<dyn JobEffects>,
    stop: CancellationToken,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let prefix = worker_prefix();
    if settings.workers > 0 {
        tracing::info!(workers = settings.workers, names = %format!("{prefix}-N"), "built-in provisioners starting");
    }
    for n in 0..settings.workers {
        let worker = Worker {
            db: db.clone(),
            clock: clock.clone(),
            settings,
            wakeup: wakeup.clone(),
            effects: effects.clone(),
            stop: stop.clone(),
            name: format!("{prefix}-{n}"),
            work: work.clone(),
        };
        let span =
            tracing::info_span!("job", source = "job", job = JOB_NAME, worker = %worker.name);
        let label = WorkLabel::new(WorkSource::Job, JOB_NAME);
        set.spawn(label.wrap(worker.run()).instrument(span));
    }
    set
}

/// One built-in provisioner.
struct Worker {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    settings: DaemonSettings,
    wakeup: Wakeup,
    effects: Arc<dyn JobEffects>,
    stop: CancellationToken,
    name: String,
    work: WorkSeconds,
}

impl Worker {
    async fn run(self) {
        loop {
            if self.stop.is_cancelled() {
                break;
            }
            let started = std::time::Instant::now();
            let acquired = super::acquire(&self.db, self.clock.now(), &self.name, None).await;
            // Polls that find nothing are idle waiting, not work.
            if matches!(acquired, Ok(Some(_))) {
                self.work
                    .add(WorkSource::Job, JOB_NAME, started.elapsed().as_secs_f64());
            }
            match acquired {
                Ok(Some(job)) => {
                    self.wakeup.progress.send_modify(|p| p.taken += 1);
                    self.work(job.id).await;
                    self.wakeup.progress.send_modify(|p| p.released += 1);
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::error!(error = %err, "acquiring a job failed"),
            }
            tokio::select! {
                () = self.wakeup.queued.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                () = self.stop.cancelled() => break,
            }
        }
    }

    /// Holds job `id` for the delay, with heartbeats, then completes it; stops early when
    /// it is canceled or ended by someone else, and hands it back when the server stops.
    async fn work(&self, id: Uuid) {
        let done = tokio::time::sleep(self.settings.delay);
        tokio::pin!(done);
        let mut beat = tokio::time::interval_at(
            Instant::now() + self.settings.heartbeat,
            self.settings.heartbeat,
        );
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut canceled = self.wakeup.canceled.subscribe();
        loop {
            tokio::select! {
                () = &mut done => {
                    self.complete(id).await;
                    return;
                }
                _ = beat.tick() => {}
                Ok(()) = canceled.changed() => {}
                () = self.stop.cancelled() => {
                    self.hand_back(id).await;
                    return;
                }
            }
            match super::heartbeat(&self.db, self.clock.now(), id, &self.name).await {
                Ok(job) if job.status == JobStatus::Running => {}
                Ok(job) if job.status == JobStatus::Canceling => {
                    // Nothing was applied: completing now ends it canceled.
                    self.complete(id).await;
                    return;
                }
                Ok(job) => {
                    tracing::warn!(job.id = %id, status = ?job.status, "the job ended without this provisioner; giving it up");
                    return;
                }
                Err(super::Error::InvalidState(reason)) => {
                    tracing::warn!(job.id = %id, %reason, "the job is no longer this provisioner's; giving it up");
                    return;
                }
                // A database hiccup: the next heartbeat tries again.
                Err(err) => tracing::error!(job.id = %id, error = %err, "heartbeat failed"),
            }
        }
    }

    async fn complete(&self, id: Uuid) {
        let started = std::time::Instant::now();
        let completed = super::complete(
            &self.db,
            self.clock.now(),
            id,
            Some(&self.name),
            Ok(()),
            self.effects.as_ref(),
        )
        .await;
        self.work
            .add(WorkSource::Job, JOB_NAME, started.elapsed().as_secs_f64());
        if let Err(err) = completed {
            tracing::error!(job.id = %id, error = %err, "completing a job failed");
        }
    }

    /// The server is stopping before the job is done: never report it succeeded.
    async fn hand_back(&self, id: Uuid) {
        match super::release(&self.db, self.clock.now(), id, &self.name).await {
            Ok(Some(job)) => {
                tracing::info!(job.id = %id, status = ?job.status, "stopping: handed the job back");
            }
            Ok(None) => {}
            // The heartbeat stops with this worker, so the stale-job detector ends it later.
            Err(err) => tracing::error!(job.id = %id, error = %err, "handing a job back failed"),
        }
    }
}
