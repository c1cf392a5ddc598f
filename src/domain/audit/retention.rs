//! Retention of the audit log: entries older than the configured retention are deleted,
//! oldest first, in batches of 10,000 (the connection log's batch, so one purge cycle's
//! statements stay short on either table).
//!
//! Connection events (connect, disconnect, open, close), which the audit log held before the
//! connection log existed, are left out: they have their own fixed 90 days
//! ([`crate::domain::connection_log::retention`]), as in Coder.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};

use crate::{
    domain::log_paging::delete_before,
    entity::audit_log::{self, AuditAction},
};

/// Audit log entries deleted per statement.
pub const AUDIT_LOG_BATCH: u64 = 10_000;

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
    delete_before::<audit_log::Entity>(
        db,
        now - retention,
        Condition::all().add(audit_log::Column::Action.is_not_in(AuditAction::CONNECTION_EVENTS)),
        AUDIT_LOG_BATCH,
    )
    .await
}
