//! Recording connection events (Coder's `UpsertConnectionLog`; docs/rules/connection-log.md,
//! "Upsert rules"). Agent-reported sessions are keyed by (connection id, workspace, agent): the
//! first event inserts the row, a later disconnect fills the disconnect fields once, and a
//! later connect changes nothing. Web events carry no connection id and are always new rows.
//! Connection events never go to the audit log.

use chrono::{DateTime, Utc};
use std::{collections::HashMap, fmt::Write};

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::ConnectionType;
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{FieldError, text},
    entity::{connection_log, workspace, workspace_agent},
};

/// The most events one report may carry; agents that buffer more send several batches, so
/// no request holds a transaction open for long.
pub const MAX_EVENTS_PER_BATCH: usize = 1000;

/// What can go wrong reporting connections.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A batch of agent events is invalid; every problem is listed, by event.
    #[error("Invalid connection events.")]
    InvalidBatch(Vec<FieldError>),
    /// A web event is invalid; every problem is listed.
    #[error("Invalid connection event.")]
    Invalid(Vec<FieldError>),
    /// The agent, or its workspace, does not exist.
    #[error("The {0} does not exist.")]
    NotFound(&'static str),
    /// The caller may not report web connections.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

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

/// A connection event as an agent reports it, about one of its own sessions.
#[derive(Debug, Clone)]
pub struct AgentEvent {
    /// The agent's session id.
    pub connection_id: Uuid,
    /// Open or close.
    pub action: ConnectionAction,
    /// How the client connected: agents report SSH-like sessions only.
    pub connection_type: ConnectionType,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The client's IP as reported.
    pub ip: Option<String>,
    /// Why the connection closed.
    pub reason: Option<String>,
    /// The exit code, on a disconnect.
    pub status_code: Option<i32>,
}

/// A web connection (an app or a forwarded port) as a workspace proxy reports it.
#[derive(Debug, Clone)]
pub struct WebConnection {
    /// The agent serving the app or port.
    pub agent_id: Uuid,
    /// How the client connected: a workspace app or a forwarded port.
    pub connection_type: ConnectionType,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The client's IP as reported.
    pub ip: Option<String>,
    /// The authenticated requester, if any.
    pub user_id: Option<Uuid>,
    /// The requester's user agent.
    pub user_agent: Option<String>,
    /// The app slug or port.
    pub slug_or_port: String,
    /// The HTTP status of the response; 0 means 200.
    pub status_code: i32,
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
fn check_event(event: &mut ConnectionEvent, now: DateTime<Utc>) -> Vec<FieldError> {
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

/// The columns of the session key a report upserts on.
const SESSION_KEY: &str = "connection_id, workspace_id, agent_name";
/// The disconnect fields a closing row fills in, first value wins.
const DISCONNECT_FIELDS: [&str; 3] = ["disconnect_time", "disconnect_reason", "code"];

/// The text of an upsert of `rows` connection log rows, with a placeholder for every value
/// of every column. Closing rows fill an existing row's disconnect fields once (first value
/// wins); opening rows never change an existing row. Written out rather than built from
/// models: building a 50-row statement through sea-orm's query builder copied every value
/// twice and was a fifth of ingestion's CPU. Both engines accept this text.
fn upsert_sql(backend: DbBackend, rows: usize, closing: bool) -> String {
    let columns: Vec<&str> = connection_log::Column::iter()
        .map(|column| column.as_str())
        .collect();
    let mut sql = String::with_capacity(128 + rows * columns.len() * 6);
    sql.push_str("INSERT INTO connection_logs (");
    for (i, column) in columns.iter().enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{separator}\"{column}\"");
    }
    sql.push_str(") VALUES ");
    let mut placeholder = 0usize;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for i in 0..columns.len() {
            placeholder += 1;
            let separator = if i == 0 { "" } else { ", " };
            let _ = match backend {
                DbBackend::Postgres => write!(sql, "{separator}${placeholder}"),
                _ => write!(sql, "{separator}?"),
            };
        }
        sql.push(')');
    }
    let _ = write!(sql, " ON CONFLICT ({SESSION_KEY}) ");
    if closing {
        sql.push_str("DO UPDATE SET ");
        for (i, field) in DISCONNECT_FIELDS.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            let _ = write!(
                sql,
                "{separator}{field} = COALESCE(connection_logs.{field}, excluded.{field})"
            );
        }
    } else {
        sql.push_str("DO NOTHING");
    }
    sql
}

/// Upserts rows whose keys are distinct (see [`upsert_sql`]), [`ROWS_PER_STATEMENT`] at a
/// time.
async fn upsert_rows(
    db: &impl ConnectionTrait,
    rows: Vec<connection_log::Model>,
    closing: bool,
) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let width = connection_log::Column::iter().count();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut values = Vec::with_capacity(ROWS_PER_STATEMENT * width);
        let mut count = 0;
        for row in rows.by_ref().take(ROWS_PER_STATEMENT) {
            // Taken out of the active model in column order, moved rather than copied.
            let mut row = row.into_active_model();
            for column in connection_log::Column::iter() {
                // Every field of a model converted whole is set (a NULL is a typed value).
                let value = row.take(column).into_value().ok_or_else(|| {
                    sea_orm::DbErr::Custom(format!("{} is not set", column.as_str()))
                })?;
                values.push(value);
            }
            count += 1;
        }
        let sql = upsert_sql(backend, count, closing);
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
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

/// The event to record for an agent's report, or what is wrong with it (field names of
/// the GraphQL input).
fn agent_event(event: AgentEvent) -> Result<ConnectionEvent, FieldError> {
    if event.connection_type.is_web() {
        return Err(FieldError::new(
            "type",
            "agents report SSH, VSCODE, JETBRAINS or RECONNECTING_PTY connections",
        ));
    }
    if event.connection_id.is_nil() {
        return Err(FieldError::new("connectionId", "must not be the nil UUID"));
    }
    Ok(ConnectionEvent {
        connection_id: Some(event.connection_id),
        action: event.action,
        connection_type: event.connection_type,
        time: event.time,
        ip: event.ip,
        reason: event.reason,
        code: event.status_code,
        user_id: None,
        user_agent: None,
        slug_or_port: None,
    })
}

/// Checks a batch of an agent's events, all or none: at most [`MAX_EVENTS_PER_BATCH`],
/// every problem listed under `input[i].<field>`.
fn check_agent_events(
    events: Vec<AgentEvent>,
    now: DateTime<Utc>,
) -> Result<Vec<ConnectionEvent>, Error> {
    if events.len() > MAX_EVENTS_PER_BATCH {
        return Err(Error::InvalidBatch(vec![FieldError::new(
            "input",
            format!(
                "at most {MAX_EVENTS_PER_BATCH} events per call, got {}",
                events.len()
            ),
        )]));
    }
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(events.len());
    for (i, event) in events.into_iter().enumerate() {
        let prefixed = |e: FieldError| FieldError::new(format!("input[{i}].{}", e.field), e.detail);
        match agent_event(event) {
            Ok(mut event) => {
                errors.extend(check_event(&mut event, now).into_iter().map(prefixed));
                checked.push(event);
            }
            Err(e) => errors.push(prefixed(e)),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(Error::InvalidBatch(errors))
    }
}

/// Records a batch of events the authenticated `agent` of `workspace` reports, all or
/// none; returns how many were recorded.
pub async fn report_agent_events(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    agent: &workspace_agent::Model,
    workspace: &workspace::Model,
    events: Vec<AgentEvent>,
) -> Result<usize, Error> {
    let events = check_agent_events(events, now)?;
    let target = EventTarget {
        workspace: workspace.clone(),
        agent_name: agent.name.clone(),
    };
    record(db, &target, &events).await?;
    // A session on the workspace is use of it: keep it from going dormant and bump its
    // deadline. The events are recorded either way; an agent must not resend them because the
    // bump failed.
    if !events.is_empty()
        && let Err(err) = crate::domain::workspace::record_activity(db, now, workspace.id).await
    {
        tracing::error!(workspace.id = %workspace.id, error = %err, "recording workspace activity failed");
    }
    Ok(events.len())
}

/// Records a web connection; `subject` (a workspace proxy) needs permission to update the
/// connection log.
pub async fn report_web_connection(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    input: WebConnection,
) -> Result<(), Error> {
    authz::authorize(
        subject,
        Action::Update,
        &Object::new(Resource::ConnectionLog),
    )?;
    if !input.connection_type.is_web() {
        return Err(Error::Invalid(vec![FieldError::new(
            "type",
            "web connections are WORKSPACE_APP or PORT_FORWARDING",
        )]));
    }
    let agent = workspace_agent::Entity::find_by_id(input.agent_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("agent"))?;
    let ws = workspace::Entity::find_by_id(agent.workspace_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("workspace"))?;
    let mut event = ConnectionEvent {
        connection_id: None,
        action: ConnectionAction::Connect,
        connection_type: input.connection_type,
        time: input.time,
        ip: input.ip,
        reason: None,
        code: Some(if input.status_code == 0 {
            200
        } else {
            input.status_code
        }),
        user_id: input.user_id,
        user_agent: input.user_agent,
        slug_or_port: Some(input.slug_or_port),
    };
    let errors = check_event(&mut event, now);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let target = EventTarget {
        workspace: ws,
        agent_name: agent.name,
    };
    record(db, &target, &[event]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionAction::{Connect, Disconnect};

    #[test]
    fn an_upsert_names_every_column_and_a_placeholder_for_each_value() {
        let columns = "\"id\", \"connect_time\", \"organization_id\", \"workspace_owner_id\", \
            \"workspace_id\", \"workspace_name\", \"agent_name\", \"type\", \"ip\", \"code\", \
            \"user_agent\", \"user_id\", \"slug_or_port\", \"connection_id\", \
            \"disconnect_time\", \"disconnect_reason\"";
        let pg = upsert_sql(DbBackend::Postgres, 2, false);
        assert_eq!(
            pg,
            format!(
                "INSERT INTO connection_logs ({columns}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16), \
                 ($17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32) \
                 ON CONFLICT (connection_id, workspace_id, agent_name) DO NOTHING"
            )
        );
        let sqlite = upsert_sql(DbBackend::Sqlite, 1, true);
        assert_eq!(
            sqlite,
            format!(
                "INSERT INTO connection_logs ({columns}) VALUES \
                 (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (connection_id, workspace_id, agent_name) DO UPDATE SET \
                 disconnect_time = COALESCE(connection_logs.disconnect_time, excluded.disconnect_time), \
                 disconnect_reason = COALESCE(connection_logs.disconnect_reason, excluded.disconnect_reason), \
                 code = COALESCE(connection_logs.code, excluded.code)"
            )
        );
    }

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

    fn agent_event_at(connection_id: Uuid, connection_type: ConnectionType) -> AgentEvent {
        AgentEvent {
            connection_id,
            action: Connect,
            connection_type,
            time: event(None, Connect, 0, None, None).time,
            ip: None,
            reason: None,
            status_code: None,
        }
    }

    fn now() -> DateTime<Utc> {
        event(None, Connect, 60, None, None).time
    }

    #[test]
    fn agent_batches_list_every_problem_by_event() {
        let batch = vec![
            agent_event_at(Uuid::new_v4(), ConnectionType::Ssh),
            agent_event_at(Uuid::new_v4(), ConnectionType::WorkspaceApp),
            agent_event_at(Uuid::nil(), ConnectionType::Vscode),
            AgentEvent {
                time: now() + chrono::Duration::days(2),
                ..agent_event_at(Uuid::new_v4(), ConnectionType::Ssh)
            },
        ];
        let Err(Error::InvalidBatch(errors)) = check_agent_events(batch, now()) else {
            panic!("the batch must be refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["input[1].type", "input[2].connectionId", "input[3].time"]
        );
    }

    #[test]
    fn agent_batches_are_capped() {
        let ok = vec![agent_event_at(Uuid::new_v4(), ConnectionType::Ssh); MAX_EVENTS_PER_BATCH];
        assert_eq!(
            check_agent_events(ok, now())
                .map(|events| events.len())
                .ok(),
            Some(MAX_EVENTS_PER_BATCH)
        );
        let too_many =
            vec![agent_event_at(Uuid::new_v4(), ConnectionType::Ssh); MAX_EVENTS_PER_BATCH + 1];
        let Err(Error::InvalidBatch(errors)) = check_agent_events(too_many, now()) else {
            panic!("the batch must be refused");
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "input");
    }
}
