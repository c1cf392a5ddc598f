//! Retention (Coder's dbpurge for the connection log): connection logs older than the
//! configured retention, oldest first in batches of 10,000; and connection events that the
//! audit log held before the connection log existed, after 90 days, in batches of 1,000.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Query,
};

use super::Job;
use crate::entity::{
    audit_log::{self, AuditAction},
    connection_log,
};

/// Connection logs deleted per statement.
pub const CONNECTION_LOG_BATCH: u64 = 10_000;
/// Old audit-log connection events deleted per statement.
pub const AUDIT_LOG_BATCH: u64 = 1_000;
/// How long the audit log keeps connection events.
pub const AUDIT_CONNECTION_RETENTION: chrono::Duration = chrono::Duration::days(90);

/// The purge job.
pub struct PurgeJob {
    /// Keep connection logs this long; None keeps them forever.
    pub connection_log_retention: Option<chrono::Duration>,
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

/// Deletes up to `batch` of the oldest connection logs before `cutoff`; returns how many.
async fn delete_connection_logs(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    batch: u64,
) -> Result<u64, sea_orm::DbErr> {
    let oldest = Query::select()
        .column(connection_log::Column::Id)
        .from(connection_log::Entity)
        .and_where(connection_log::Column::ConnectTime.lt(cutoff))
        .order_by(connection_log::Column::ConnectTime, sea_orm::Order::Asc)
        .limit(batch)
        .to_owned();
    Ok(connection_log::Entity::delete_many()
        .filter(connection_log::Column::Id.in_subquery(oldest))
        .exec(db)
        .await?
        .rows_affected)
}

async fn delete_audit_connection_events(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    batch: u64,
) -> Result<u64, sea_orm::DbErr> {
    let actions = [
        AuditAction::Connect,
        AuditAction::Disconnect,
        AuditAction::Open,
        AuditAction::Close,
    ];
    let ids: Vec<uuid::Uuid> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .filter(audit_log::Column::Action.is_in(actions))
        .filter(audit_log::Column::Time.lt(cutoff))
        .order_by_asc(audit_log::Column::Time)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(audit_log::Entity::delete_many()
        .filter(audit_log::Column::Id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected)
}

#[async_trait::async_trait]
impl Job for PurgeJob {
    fn name(&self) -> &'static str {
        "connection-log-purge"
    }

    fn interval(&self) -> chrono::Duration {
        chrono::Duration::minutes(10)
    }

    async fn run(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<(), String> {
        if let Some(retention) = self.connection_log_retention {
            let cutoff = now - retention;
            loop {
                let deleted = delete_connection_logs(txn, cutoff, CONNECTION_LOG_BATCH)
                    .await
                    .map_err(|e| e.to_string())?;
                self.purged
                    .with_label_values(&["connection_logs"])
                    .inc_by(deleted);
                if deleted < CONNECTION_LOG_BATCH {
                    break;
                }
            }
        }
        let cutoff = now - AUDIT_CONNECTION_RETENTION;
        loop {
            let deleted = delete_audit_connection_events(txn, cutoff, AUDIT_LOG_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            self.purged
                .with_label_values(&["audit_logs"])
                .inc_by(deleted);
            if deleted < AUDIT_LOG_BATCH {
                break;
            }
        }
        Ok(())
    }
}
