//! Recording connection events (Coder's `UpsertConnectionLog`, reference/connection-log.md
//! §1.3-1.4). Agent-reported sessions are keyed by (connection id, workspace, agent): the
//! first event inserts the row, a later disconnect fills the disconnect fields once, and a
//! later connect changes nothing. Web events carry no connection id and are always new rows.
//! Connection events never go to the audit log.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::ConnectionType;
use crate::entity::{connection_log, workspace};

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

async fn upsert(
    db: &impl ConnectionTrait,
    target: &EventTarget,
    event: &ConnectionEvent,
) -> Result<(), sea_orm::DbErr> {
    let disconnect = event.action == ConnectionAction::Disconnect;
    let row = connection_log::ActiveModel {
        id: Set(Uuid::new_v4()),
        connect_time: Set(event.time),
        organization_id: Set(target.workspace.organization_id),
        workspace_owner_id: Set(target.workspace.owner_id),
        workspace_id: Set(target.workspace.id),
        workspace_name: Set(target.workspace.name.clone()),
        agent_name: Set(target.agent_name.clone()),
        r#type: Set(event.connection_type.as_str().to_owned()),
        ip: Set(normalize_ip(event.ip.as_deref())),
        // Web events always carry their HTTP status. SSH-like sessions get their exit code
        // with the disconnect, where Coder always treats it as valid (0 when not given).
        code: Set(match (event.connection_type.is_web(), disconnect) {
            (true, _) => event.code,
            (false, true) => Some(event.code.unwrap_or(0)),
            (false, false) => None,
        }),
        user_agent: Set(event.user_agent.clone()),
        user_id: Set(event.user_id),
        slug_or_port: Set(event.slug_or_port.clone()),
        connection_id: Set(event.connection_id),
        disconnect_time: Set(disconnect.then_some(event.time)),
        disconnect_reason: Set(if disconnect {
            event.reason.clone().filter(|r| !r.is_empty())
        } else {
            None
        }),
    };
    let key = [
        connection_log::Column::ConnectionId,
        connection_log::Column::WorkspaceId,
        connection_log::Column::AgentName,
    ];
    let on_conflict = if disconnect {
        // First value wins: a second disconnect never overwrites the first.
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
    connection_log::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records events, all or none, in one transaction.
pub async fn record(
    db: &DatabaseConnection,
    events: &[(EventTarget, ConnectionEvent)],
) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    for (target, event) in events {
        upsert(&txn, target, event).await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_are_normalized() {
        assert_eq!(normalize_ip(Some("localhost")), Some("127.0.0.1".into()));
        assert_eq!(normalize_ip(Some("10.0.0.1")), Some("10.0.0.1".into()));
        assert_eq!(normalize_ip(Some("::1")), Some("::1".into()));
        assert_eq!(normalize_ip(Some("not an ip")), None);
        assert_eq!(normalize_ip(None), None);
    }
}
