//! Retention (Coder's dbpurge for the connection log): connection logs older than the
//! configured retention, oldest first in batches of 10,000; and connection events that the
//! audit log held before the connection log existed, after 90 days, in batches of 1,000.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};

use crate::{
    domain::log_paging::delete_before,
    entity::{
        audit_log::{self, AuditAction},
        connection_log,
    },
};

/// Connection logs deleted per statement.
pub const CONNECTION_LOG_BATCH: u64 = 10_000;
/// Old audit-log connection events deleted per statement.
pub const AUDIT_LOG_BATCH: u64 = 1_000;
/// How long the audit log keeps connection events.
pub const AUDIT_CONNECTION_RETENTION: chrono::Duration = chrono::Duration::days(90);

/// Rows one purge deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Connection logs.
    pub connection_logs: u64,
    /// Connection events of the audit log.
    pub audit_logs: u64,
}

/// Deletes what retention no longer keeps at `now`: connection logs older than
/// `connection_log_retention` (None keeps them forever) and the audit log's connection
/// events older than [`AUDIT_CONNECTION_RETENTION`].
pub async fn purge(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    connection_log_retention: Option<chrono::Duration>,
) -> Result<Purged, sea_orm::DbErr> {
    let mut purged = Purged::default();
    if let Some(retention) = connection_log_retention {
        purged.connection_logs = delete_before::<connection_log::Entity>(
            db,
            now - retention,
            Condition::all(),
            CONNECTION_LOG_BATCH,
        )
        .await?;
    }
    purged.audit_logs = delete_before::<audit_log::Entity>(
        db,
        now - AUDIT_CONNECTION_RETENTION,
        Condition::all().add(audit_log::Column::Action.is_in(AuditAction::CONNECTION_EVENTS)),
        AUDIT_LOG_BATCH,
    )
    .await?;
    Ok(purged)
}
