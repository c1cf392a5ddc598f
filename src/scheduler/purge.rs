//! The retention job: runs the connection log's purge (see
//! [`retention`](crate::domain::connection_log::retention)) and the audit log's (see
//! [`audit::retention`]) every ten minutes and counts what they deleted.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::{Job, JobError};
use crate::domain::{audit, connection_log::retention};

/// The purge job.
pub struct PurgeJob {
    /// Keep connection logs this long; None keeps them forever.
    pub connection_log_retention: Option<chrono::Duration>,
    /// Keep audit log entries this long; None keeps them forever.
    pub audit_log_retention: Option<chrono::Duration>,
    /// Purged rows by type (`connection_logs`, `audit_logs`).
    pub purged: prometheus::IntCounterVec,
}

/// Creates the purge job's counter of deleted rows by type and registers it in `registry`.
pub fn purged_counter(
    registry: &prometheus::Registry,
) -> Result<prometheus::IntCounterVec, prometheus::Error> {
    let purged = prometheus::IntCounterVec::new(
        prometheus::Opts::new(
            "purged_records_total",
            "Records deleted by retention, by type.",
        ),
        &["type"],
    )?;
    registry.register(Box::new(purged.clone()))?;
    Ok(purged)
}

#[async_trait::async_trait]
impl Job for PurgeJob {
    fn name(&self) -> &'static str {
        "connection-log-purge"
    }

    fn interval(&self) -> chrono::Duration {
        chrono::Duration::minutes(10)
    }

    async fn run(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), JobError> {
        // One transaction for the cycle: the counters only move for deletions that stuck.
        let txn = db.begin().await?;
        let purged = retention::purge(&txn, now, self.connection_log_retention).await?;
        let audit_purged = audit::retention::purge(&txn, now, self.audit_log_retention).await?;
        txn.commit().await?;
        self.purged
            .with_label_values(&["connection_logs"])
            .inc_by(purged.connection_logs);
        self.purged
            .with_label_values(&["audit_logs"])
            .inc_by(purged.audit_logs + audit_purged);
        Ok(())
    }
}
