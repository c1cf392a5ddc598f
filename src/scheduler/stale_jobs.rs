//! The stale provisioner job detector: ends jobs whose provisioner stopped sending
//! heartbeats (see [`provisioner::fail_stale`]), so that a build whose server died shows as
//! failed instead of blocking its workspace forever.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::{Job, JobError};
use crate::domain::provisioner;

/// The stale provisioner job detector.
pub struct StaleJobsJob {
    /// How long a job may go without a heartbeat.
    pub stale_after: std::time::Duration,
    /// Jobs it ended.
    pub ended: prometheus::IntCounter,
}

/// Creates the detector's counter of ended jobs and registers it in `registry`.
pub fn stale_counter(
    registry: &prometheus::Registry,
) -> Result<prometheus::IntCounter, prometheus::Error> {
    let ended = prometheus::IntCounter::new(
        "provisioner_stale_jobs_total",
        "Provisioner jobs ended because their provisioner stopped sending heartbeats.",
    )?;
    registry.register(Box::new(ended.clone()))?;
    Ok(ended)
}

#[async_trait::async_trait]
impl Job for StaleJobsJob {
    fn name(&self) -> &'static str {
        "provisioner-stale-jobs"
    }

    /// Often enough that a dead provisioner's job ends soon after going stale: every minute,
    /// or every half of a shorter staleness threshold.
    fn interval(&self) -> chrono::Duration {
        let half =
            chrono::Duration::from_std(self.stale_after / 2).unwrap_or(chrono::Duration::MAX);
        half.min(chrono::Duration::minutes(1))
    }

    async fn run(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), JobError> {
        // All stale jobs end together, or none does.
        let txn = db.begin().await?;
        let ended = provisioner::fail_stale(&txn, now, self.stale_after).await?;
        txn.commit().await?;
        for job in &ended {
            tracing::warn!(
                job.id = %job.id,
                worker = job.worker_id.as_deref().unwrap_or(""),
                heartbeat_at = ?job.heartbeat_at,
                status = ?job.status,
                "ended a provisioner job whose provisioner stopped sending heartbeats"
            );
        }
        self.ended.inc_by(ended.len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(stale_after: std::time::Duration) -> StaleJobsJob {
        StaleJobsJob {
            stale_after,
            ended: prometheus::IntCounter::new("t", "t").expect("counter"),
        }
    }

    #[test]
    fn checks_every_minute_or_every_half_threshold() {
        use std::time::Duration;
        assert_eq!(
            job(Duration::from_secs(300)).interval(),
            chrono::Duration::minutes(1)
        );
        assert_eq!(
            job(Duration::from_secs(120)).interval(),
            chrono::Duration::minutes(1)
        );
        assert_eq!(
            job(Duration::from_secs(60)).interval(),
            chrono::Duration::seconds(30)
        );
        assert_eq!(
            job(Duration::from_secs(3)).interval(),
            chrono::Duration::milliseconds(1500)
        );
    }
}
