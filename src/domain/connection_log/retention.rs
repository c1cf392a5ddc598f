//! Retention (Coder's dbpurge for the connection log): connection logs older than the
//! configured retention, oldest first in batches of 10,000; and connection events that the
//! audit log held before the connection log existed, after 90 days, in batches of 1,000.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};

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

/// Rows one purge deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Connection logs.
    pub connection_logs: u64,
    /// Connection events of the audit log.
    pub audit_logs: u64,
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
        let cutoff = now - retention;
        loop {
            let deleted = delete_connection_logs(db, cutoff, CONNECTION_LOG_BATCH).await?;
            purged.connection_logs += deleted;
            if deleted < CONNECTION_LOG_BATCH {
                break;
            }
        }
    }
    let cutoff = now - AUDIT_CONNECTION_RETENTION;
    loop {
        let deleted = delete_audit_connection_events(db, cutoff, AUDIT_LOG_BATCH).await?;
        purged.audit_logs += deleted;
        if deleted < AUDIT_LOG_BATCH {
            break;
        }
    }
    Ok(purged)
}
