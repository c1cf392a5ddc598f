//! Reporting connections: agents report their SSH-like sessions with their agent token;
//! workspace proxies (subjects allowed to update the connection log) report web sessions.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::{
    authz::{self, Action, Object as AuthzObject, Resource},
    domain::{
        FieldError,
        connection_log::{
            ConnectionType as DomainType,
            ingest::{self, ConnectionAction, ConnectionEvent, EventTarget},
        },
        workspace,
    },
    entity::workspace_agent,
    graphql::{
        context::ContextExt,
        error::{ApiError, ErrorCode, Result},
        types::ConnectionType,
    },
};

/// The most events one `reportConnections` call may carry; agents that buffer more send
/// several batches, so no request holds a transaction open for long.
const MAX_EVENTS_PER_BATCH: usize = 1000;

/// Whether an event opens or closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ConnectionEventAction {
    /// Opened.
    Connect,
    /// Closed.
    Disconnect,
}

/// A connection event an agent reports.
#[derive(InputObject)]
pub struct ReportConnectionInput {
    /// The agent's session id.
    pub connection_id: Uuid,
    /// Open or close.
    pub action: ConnectionEventAction,
    /// SSH, VSCODE, JETBRAINS or RECONNECTING_PTY.
    pub r#type: ConnectionType,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The client's IP (`localhost` means 127.0.0.1; unparsable ones are dropped).
    pub ip: Option<String>,
    /// Why the connection closed.
    pub reason: Option<String>,
    /// The exit code, on a disconnect.
    pub status_code: Option<i32>,
}

/// A web connection a workspace proxy reports.
#[derive(InputObject)]
pub struct ReportWebConnectionInput {
    /// The agent serving the app or port.
    pub agent_id: Uuid,
    /// WORKSPACE_APP or PORT_FORWARDING.
    pub r#type: ConnectionType,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The client's IP.
    pub ip: Option<String>,
    /// The authenticated requester, if any.
    pub user_id: Option<Uuid>,
    /// The requester's user agent.
    pub user_agent: Option<String>,
    /// The app slug or port.
    pub slug_or_port: String,
    /// The HTTP status of the response (0 means 200).
    pub status_code: i32,
}

/// What was recorded.
#[derive(SimpleObject)]
pub struct ReportConnectionsPayload {
    /// Events recorded.
    pub recorded: i32,
}

/// A new agent token; the token is shown only here.
#[derive(SimpleObject)]
pub struct CreateAgentTokenPayload {
    /// Send as `Coder-Agent-Token: <token>`.
    pub token: String,
    /// The agent's id.
    pub agent_id: Uuid,
}

fn agent_event(input: ReportConnectionInput) -> std::result::Result<ConnectionEvent, FieldError> {
    let connection_type = DomainType::from(input.r#type);
    if connection_type.is_web() {
        return Err(FieldError::new(
            "type",
            "agents report SSH, VSCODE, JETBRAINS or RECONNECTING_PTY connections",
        ));
    }
    if input.connection_id.is_nil() {
        return Err(FieldError::new("connectionId", "must not be the nil UUID"));
    }
    Ok(ConnectionEvent {
        connection_id: Some(input.connection_id),
        action: match input.action {
            ConnectionEventAction::Connect => ConnectionAction::Connect,
            ConnectionEventAction::Disconnect => ConnectionAction::Disconnect,
        },
        connection_type,
        time: input.time,
        ip: input.ip,
        reason: input.reason,
        code: input.status_code,
        user_id: None,
        user_agent: None,
        slug_or_port: None,
    })
}

/// Connection reporting mutations.
#[derive(Default)]
pub struct ConnectionLogMutation;

#[Object]
impl ConnectionLogMutation {
    /// Records one connection event of the calling agent (`Coder-Agent-Token`).
    async fn report_connection(
        &self,
        ctx: &Context<'_>,
        input: ReportConnectionInput,
    ) -> Result<ReportConnectionsPayload> {
        self.report_connections(ctx, vec![input]).await
    }

    /// Records a batch of the calling agent's events, all or none (agents that buffer): at
    /// most 1000 events per call.
    async fn report_connections(
        &self,
        ctx: &Context<'_>,
        input: Vec<ReportConnectionInput>,
    ) -> Result<ReportConnectionsPayload> {
        let (agent, ws) = ctx.agent()?;
        let state = ctx.state()?;
        if input.len() > MAX_EVENTS_PER_BATCH {
            return Err(ApiError::invalid(
                "Invalid connection events.",
                vec![FieldError::new(
                    "input",
                    format!(
                        "at most {MAX_EVENTS_PER_BATCH} events per call, got {}",
                        input.len()
                    ),
                )],
            ));
        }
        let mut errors = Vec::new();
        let mut events = Vec::new();
        let now = state.clock.now();
        for (i, event) in input.into_iter().enumerate() {
            let prefixed =
                |e: FieldError| FieldError::new(format!("input[{i}].{}", e.field), e.detail);
            match agent_event(event) {
                Ok(mut event) => {
                    errors.extend(
                        ingest::check_event(&mut event, now)
                            .into_iter()
                            .map(prefixed),
                    );
                    events.push(event);
                }
                Err(e) => errors.push(prefixed(e)),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid("Invalid connection events.", errors));
        }
        let target = EventTarget {
            workspace: ws.clone(),
            agent_name: agent.name.clone(),
        };
        ingest::record(&state.db, &target, &events).await?;
        Ok(ReportConnectionsPayload {
            recorded: i32::try_from(events.len()).unwrap_or(i32::MAX),
        })
    }

    /// Records a web connection (an app or a forwarded port). For workspace proxies: needs
    /// permission to update the connection log.
    async fn report_web_connection(
        &self,
        ctx: &Context<'_>,
        input: ReportWebConnectionInput,
    ) -> Result<ReportConnectionsPayload> {
        let state = ctx.state()?;
        authz::authorize(
            ctx.subject()?,
            Action::Update,
            &AuthzObject::new(Resource::ConnectionLog),
        )?;
        let connection_type = DomainType::from(input.r#type);
        if !connection_type.is_web() {
            return Err(ApiError::invalid(
                "Invalid connection event.",
                vec![FieldError::new(
                    "type",
                    "web connections are WORKSPACE_APP or PORT_FORWARDING",
                )],
            ));
        }
        let agent = workspace_agent::Entity::find_by_id(input.agent_id)
            .one(&state.db)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The agent does not exist."))?;
        let ws = crate::entity::workspace::Entity::find_by_id(agent.workspace_id)
            .one(&state.db)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The workspace does not exist."))?;
        let mut event = ConnectionEvent {
            connection_id: None,
            action: ConnectionAction::Connect,
            connection_type,
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
        let errors = ingest::check_event(&mut event, state.clock.now());
        if !errors.is_empty() {
            return Err(ApiError::invalid("Invalid connection event.", errors));
        }
        let target = EventTarget {
            workspace: ws,
            agent_name: agent.name,
        };
        ingest::record(&state.db, &target, &[event]).await?;
        Ok(ReportConnectionsPayload { recorded: 1 })
    }

    /// Issues a new token for a workspace agent (replacing its old one); for the workspace's
    /// owner and admins. The token is shown once.
    async fn create_workspace_agent_token(
        &self,
        ctx: &Context<'_>,
        agent_id: Uuid,
    ) -> Result<CreateAgentTokenPayload> {
        let state = ctx.state()?;
        let (agent, token) =
            workspace::create_agent_token(&state.db, ctx.subject()?, state.clock.now(), agent_id)
                .await?;
        Ok(CreateAgentTokenPayload {
            token,
            agent_id: agent.id,
        })
    }
}
