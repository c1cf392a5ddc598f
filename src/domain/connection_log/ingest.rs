//! Recording connection events (Coder's `UpsertConnectionLog`; docs/rules/connection-log.md,
//! "Upsert rules"). Agent-reported sessions are keyed by (connection id, workspace, agent): the
//! first event inserts the row, a later disconnect fills the disconnect fields once, and a
//! later connect changes nothing. Web events carry no connection id and are always new rows.
//! Connection events never go to the audit log.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::ConnectionType;
use crate::{
    domain::{FieldError, text},
    entity::{connection_log, workspace},
};

/// Whether the event opens or closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionAction {
    /// Opened.
    Connect,
    /// Closed.
    Disconnect,
}

/// One event to record, with the workspace and agent it happened on.
#[derive(Debug, Clone)]
pub struct ConnectionEvent {
    /// The agent's session id (SSH-like events); None for web events.
    pub connection_id: Option<Uuid>,
    /// Open or close.
    pub action: ConnectionAction,
    /// How the client connected.
    pub connection_type: ConnectionType,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The client's IP as reported; `localhost` means 127.0.0.1, anything unparsable is dropped.
    pub ip: Option<String>,
    /// Why the connection closed (disconnects).
    pub reason: Option<String>,
    /// Exit code (SSH-like disconnects) or HTTP status (web).
    pub code: Option<i32>,
    /// The authenticated requester (web events).
    pub user_id: Option<Uuid>,
    /// The requester's user agent (web events).
    pub user_agent: Option<String>,
    /// App slug or port (web events).
    pub slug_or_port: Option<String>,
}

/// A workspace and agent name the event happened on.
#[derive(Debug, Clone)]
pub struct EventTarget {
    /// The workspace.
    pub workspace: workspace::Model,
    /// The agent's name.
    pub agent_name: String,
}

/// The earliest event time accepted: anything before is a broken clock, not a connection.
const EARLIEST_EVENT_SECONDS: i64 = 946_684_800; // 2000-01-01T00:00:00Z
/// How far ahead of the server's clock an event may be, for clocks that drift.
const MAX_EVENT_LEAD: chrono::Duration = chrono::Duration::days(1);

/// Checks and cleans an event before it is recorded. Its time must be sane (after
/// 2000-01-01 and at most a day ahead of `now`) and its slug or port at most 256
/// characters; reported free text (reason, user agent) loses NULs and is cut at 1024
/// characters rather than refused, so one odd event cannot make a whole batch fail again
/// and again. Field names are those of the GraphQL input.
pub fn check_event(event: &mut ConnectionEvent, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let earliest = DateTime::from_timestamp(EARLIEST_EVENT_SECONDS, 0).unwrap_or_default();
    if event.time < earliest || event.time > now + MAX_EVENT_LEAD {
        errors.push(FieldError::new(
            "time",
            "must be after 2000-01-01T00:00:00Z and at most a day ahead of the server's clock",
        ));
    }
    if let Some(slug) = &event.slug_or_port {
        text::check("slugOrPort", slug, text::SLUG_OR_PORT, &mut errors);
    }
    for reported in [&mut event.reason, &mut event.user_agent]
        .into_iter()
        .flatten()
    {
        *reported = text::clean_reported(reported, text::REPORTED_TEXT);
    }
    errors
}

/// The IP as stored: canonical text, `localhost` as 127.0.0.1 (Coder issue #20194), None
/// when unparsable.
pub fn normalize_ip(ip: Option<&str>) -> Option<String> {
    let ip = ip?.trim();
    let ip = if ip.eq_ignore_ascii_case("localhost") {
        "127.0.0.1"
    } else {
        ip
    };
    ip.parse::<std::net::IpAddr>()
        .ok()
        .map(|addr| addr.to_string())
}

/// One row to write: the values of the key's first event in the batch, with the disconnect
/// fields of its disconnects folded in.
struct PendingRow {
    row: connection_log::Model,
    /// Whether any of the row's events is a disconnect (the row then updates an existing one).
    closes: bool,
}

/// The row a lone event would insert.
fn new_row(target: &EventTarget, event: &ConnectionEvent) -> connection_log::Model {
    let disconnect = event.action == ConnectionAction::Disconnect;
    connection_log::Model {
        id: Uuid::new_v4(),
        connect_time: event.time,
        organization_id: target.workspace.organization_id,
        workspace_owner_id: target.workspace.owner_id,
        workspace_id: target.workspace.id,
        workspace_name: target.workspace.name.clone(),
        agent_name: target.agent_name.clone(),
        r#type: event.connection_type.as_str().to_owned(),
        ip: normalize_ip(event.ip.as_deref()),
        // Web events always carry their HTTP status. SSH-like sessions get their exit code
        // with the disconnect, where Coder always treats it as valid (0 when not given).
        code: match (event.connection_type.is_web(), disconnect) {
            (true, _) => event.code,
            (false, true) => Some(event.code.unwrap_or(0)),
            (false, false) => None,
        },
        user_agent: event.user_agent.clone(),
        user_id: event.user_id,
        slug_or_port: event.slug_or_port.clone(),
        connection_id: event.connection_id,
        disconnect_time: disconnect.then_some(event.time),
        disconnect_reason: if disconnect {
            event.reason.clone().filter(|r| !r.is_empty())
        } else {
            None
        },
    }
}

/// Collapses the batch to one row per session (one target, so the connection id is the
/// key), giving the same result as upserting the events one by one: the first event
/// supplies the row, a later connect changes nothing, and each disconnect field keeps the
/// first value given. A multi-row upsert cannot touch one row twice, so this must happen
/// before the statement. Web events have no connection id and stay apart.
fn collapse(target: &EventTarget, events: &[ConnectionEvent]) -> Vec<PendingRow> {
    let mut rows: Vec<PendingRow> = Vec::with_capacity(events.len());
    let mut by_session: HashMap<Uuid, usize> = HashMap::new();
    for event in events {
        let row = new_row(target, event);
        let closes = event.action == ConnectionAction::Disconnect;
        let Some(connection_id) = event.connection_id else {
            rows.push(PendingRow { row, closes });
            continue;
        };
        match by_session.get(&connection_id) {
            Some(&i) if closes => {
                let first = &mut rows[i];
                first.closes = true;
                let first = &mut first.row;
                first.disconnect_time = first.disconnect_time.or(row.disconnect_time);
                first.disconnect_reason = first.disconnect_reason.take().or(row.disconnect_reason);
                first.code = first.code.or(row.code);
            }
            Some(_) => {}
            None => {
                by_session.insert(connection_id, rows.len());
                rows.push(PendingRow { row, closes });
            }
        }
    }
    rows
}

/// Rows per statement. Each row binds 17 values (about 250 bytes on the wire), so a
/// statement stays near 12 KiB, within one TCP send buffer's first allotment (16 KiB on
/// Linux). sqlx 0.9.0 no longer sets TCP_NODELAY on PostgreSQL sockets (transact-rs/sqlx
/// #4335, fixed upstream in #4336 but not yet released), so a larger message waits for the
/// server's delayed ACK: measured here, 100 rows per statement cut ingestion from over
/// 5,000 to under 2,000 events/s on PostgreSQL over TCP (not over a Unix socket).
const ROWS_PER_STATEMENT: usize = 50;

/// Upserts rows whose keys are distinct: closing rows fill an existing row's disconnect
/// fields once (first value wins), opening rows never change an existing row.
async fn upsert_rows(
    db: &impl ConnectionTrait,
    rows: Vec<connection_log::Model>,
    closing: bool,
) -> Result<(), sea_orm::DbErr> {
    let key = [
        connection_log::Column::ConnectionId,
        connection_log::Column::WorkspaceId,
        connection_log::Column::AgentName,
    ];
    let on_conflict = if closing {
        let keep_first =
            |col: &str| Expr::cust(format!("COALESCE(connection_logs.{col}, excluded.{col})"));
        OnConflict::columns(key)
            .value(
                connection_log::Column::DisconnectTime,
                keep_first("disconnect_time"),
            )
            .value(
                connection_log::Column::DisconnectReason,
                keep_first("disconnect_reason"),
            )
            .value(connection_log::Column::Code, keep_first("code"))
            .to_owned()
    } else {
        OnConflict::columns(key).do_nothing().to_owned()
    };
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk = rows
            .by_ref()
            .take(ROWS_PER_STATEMENT)
            .map(|row| row.into_active_model().reset_all());
        connection_log::Entity::insert_many(chunk)
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Records events that happened on `target`, all or none, in one transaction: one
/// multi-row statement per kind of row rather than one per event.
pub async fn record(
    db: &DatabaseConnection,
    target: &EventTarget,
    events: &[ConnectionEvent],
) -> Result<(), sea_orm::DbErr> {
    let (closing, opening): (Vec<_>, Vec<_>) = collapse(target, events)
        .into_iter()
        .partition(|pending| pending.closes);
    let txn = db.begin().await?;
    upsert_rows(&txn, closing.into_iter().map(|p| p.row).collect(), true).await?;
    upsert_rows(&txn, opening.into_iter().map(|p| p.row).collect(), false).await?;
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionAction::{Connect, Disconnect};

    #[test]
    fn ips_are_normalized() {
        assert_eq!(normalize_ip(Some("localhost")), Some("127.0.0.1".into()));
        assert_eq!(normalize_ip(Some("10.0.0.1")), Some("10.0.0.1".into()));
        assert_eq!(normalize_ip(Some("::1")), Some("::1".into()));
        assert_eq!(normalize_ip(Some("not an ip")), None);
        assert_eq!(normalize_ip(None), None);
    }

    fn target(workspace_id: Uuid, agent: &str) -> EventTarget {
        let now = Utc::now();
        EventTarget {
            workspace: workspace::Model {
                id: workspace_id,
                organization_id: Uuid::nil(),
                owner_id: Uuid::nil(),
                template_id: Uuid::nil(),
                name: "ws".into(),
                ttl_ms: None,
                autostart_schedule: None,
                next_start_at: None,
                last_used_at: now,
                dormant_at: None,
                deleting_at: None,
                automatic_updates: "never".into(),
                deleted: false,
                created_at: now,
                updated_at: now,
            },
            agent_name: agent.into(),
        }
    }

    fn event(
        connection_id: Option<Uuid>,
        action: ConnectionAction,
        seconds: i64,
        reason: Option<&str>,
        code: Option<i32>,
    ) -> ConnectionEvent {
        let base = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        ConnectionEvent {
            connection_id,
            action,
            connection_type: if connection_id.is_some() {
                ConnectionType::Ssh
            } else {
                ConnectionType::WorkspaceApp
            },
            time: base + chrono::Duration::seconds(seconds),
            ip: None,
            reason: reason.map(str::to_owned),
            code,
            user_id: None,
            user_agent: None,
            slug_or_port: None,
        }
    }

    #[test]
    fn a_batch_collapses_like_events_applied_one_by_one() {
        let ws = Uuid::new_v4();
        let c = Some(Uuid::new_v4());
        let t = target(ws, "main");
        let batch = [
            event(c, Connect, 0, None, None),
            event(c, Connect, 5, None, None),
            event(c, Disconnect, 10, Some(""), Some(3)),
            event(c, Disconnect, 20, Some("second"), Some(4)),
        ];
        let rows = collapse(&t, &batch);
        assert_eq!(rows.len(), 1);
        let first = &rows[0];
        assert!(first.closes);
        assert_eq!(first.row.connect_time, batch[0].time);
        assert_eq!(first.row.disconnect_time, Some(batch[2].time));
        // An empty reason is no reason, so the next disconnect's fills it; the code stays
        // the first disconnect's.
        assert_eq!(first.row.disconnect_reason.as_deref(), Some("second"));
        assert_eq!(first.row.code, Some(3));
    }

    #[test]
    fn a_connect_after_a_disconnect_changes_nothing() {
        let ws = Uuid::new_v4();
        let c = Some(Uuid::new_v4());
        let t = target(ws, "main");
        let batch = [
            event(c, Disconnect, 0, Some("gone"), None),
            event(c, Connect, 1, None, None),
        ];
        let rows = collapse(&t, &batch);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].closes);
        assert_eq!(rows[0].row.connect_time, batch[0].time);
        assert_eq!(rows[0].row.disconnect_time, Some(batch[0].time));
        assert_eq!(rows[0].row.code, Some(0));
    }

    #[test]
    fn only_the_same_session_collapses() {
        let t = target(Uuid::new_v4(), "main");
        let batch = [
            event(Some(Uuid::new_v4()), Connect, 0, None, None),
            event(Some(Uuid::new_v4()), Connect, 0, None, None),
            event(None, Connect, 0, None, Some(200)),
            event(None, Connect, 0, None, Some(200)),
        ];
        let rows = collapse(&t, &batch);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|p| !p.closes));
        assert_eq!(rows[2].row.code, Some(200));
        assert!(rows.iter().all(|p| p.row.workspace_id == t.workspace.id));
        assert!(rows.iter().all(|p| p.row.agent_name == "main"));
    }
}
