//! Retention of the audit log: entries older than the configured retention are deleted,
//! oldest first, in batches of 10,000 (the connection log's batch, so one purge cycle's
//! statements stay short on either table).
//!
//! Connection events (connect, disconnect, open, close), which the audit log held before the
//! connection log existed, are left out: they have their own fixed 90 days
//! ([`crate::domain::connection_log::retention`]), as in Coder.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query};

use crate::entity::audit_log::{self, AuditAction};

/// Audit log entries deleted per statement.
pub const AUDIT_LOG_BATCH: u64 = 10_000;

/// The actions of connection events, which this retention never deletes.
const CONNECTION_ACTIONS: [AuditAction; 4] = [
    AuditAction::Connect,
    AuditAction::Disconnect,
    AuditAction::Open,
    AuditAction::Close,
];

/// Deletes up to `batch` of the oldest entries before `cutoff`; returns how many.
async fn delete_batch(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    batch: u64,
) -> Result<u64, sea_orm::DbErr> {
    let oldest = Query::select()
        .column(audit_log::Column::Id)
        .from(audit_log::Entity)
        .and_where(audit_log::Column::Time.lt(cutoff))
        .and_where(audit_log::Column::Action.is_not_in(CONNECTION_ACTIONS))
        .order_by(audit_log::Column::Time, sea_orm::Order::Asc)
        .limit(batch)
        .to_owned();
    Ok(audit_log::Entity::delete_many()
        .filter(audit_log::Column::Id.in_subquery(oldest))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes the entries older than `retention` at `now`, batch after batch until none is
/// left; returns how many. `None` keeps every entry.
pub async fn purge(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    retention: Option<chrono::Duration>,
) -> Result<u64, sea_orm::DbErr> {
    let Some(retention) = retention else {
        return Ok(0);
    };
    let cutoff = now - retention;
    let mut purged = 0;
    loop {
        let deleted = delete_batch(db, cutoff, AUDIT_LOG_BATCH).await?;
        purged += deleted;
        if deleted < AUDIT_LOG_BATCH {
            return Ok(purged);
        }
    }
}
