//! The lifecycle executor as a scheduler job: every `--autobuild-poll-interval` it runs one
//! cycle of [`autobuild`](crate::domain::workspace::autobuild) — stopping workspaces at
//! their deadline, starting them on their schedule, cleaning up failed starts, marking idle
//! ones dormant and deleting dormant ones — and wakes the built-in provisioners for the
//! builds it queued.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{Job, JobError};
use crate::domain::{
    provisioner::daemon::Wakeup,
    workspace::{
        UsageCheck,
        autobuild::{self, CycleStats, WorkspaceLocks},
    },
};

/// The lifecycle executor job.
pub struct LifecycleExecutor {
    interval: chrono::Duration,
    usage: Arc<dyn UsageCheck>,
    provisioner: Wakeup,
    locks: Arc<WorkspaceLocks>,
}

impl LifecycleExecutor {
    /// An executor polling every `interval`, building through `usage`'s check and waking
    /// `provisioner` when it queued builds.
    pub fn new(
        interval: chrono::Duration,
        usage: Arc<dyn UsageCheck>,
        provisioner: Wakeup,
    ) -> Self {
        Self {
            interval,
            usage,
            provisioner,
            locks: Arc::default(),
        }
    }

    /// One cycle at `now`, as each scheduled run does it, with what it did (tests call this
    /// to see the decisions; the scheduler only logs them).
    pub async fn run_cycle(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> Result<CycleStats, JobError> {
        let stats = autobuild::run_cycle(db, self.usage.clone(), self.locks.clone(), now).await?;
        if !stats.transitions.is_empty() {
            self.provisioner.notify();
        }
        if stats.transitions.is_empty()
            && stats.marked_dormant.is_empty()
            && stats.errors.is_empty()
        {
            tracing::debug!(tick = %stats.tick, eligible = stats.eligible, "lifecycle executor: nothing to do");
        } else {
            tracing::info!(
                tick = %stats.tick,
                eligible = stats.eligible,
                builds = stats.transitions.len(),
                dormant = stats.marked_dormant.len(),
                errors = stats.errors.len(),
                "lifecycle executor cycle"
            );
        }
        Ok(stats)
    }
}

#[async_trait::async_trait]
impl Job for LifecycleExecutor {
    fn name(&self) -> &'static str {
        "lifecycle-executor"
    }

    fn interval(&self) -> chrono::Duration {
        self.interval
    }

    async fn run(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), JobError> {
        self.run_cycle(db, now).await.map(|_| ())
    }
}
