//! Reporting connections: agents report their SSH-like sessions with their agent token;
//! workspace proxies (subjects allowed to update the connection log) report web sessions.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        connection_log::ingest::{self, AgentEvent, ConnectionAction, WebConnection},
        workspace,
    },
    graphql::{context::ContextExt, error::Result, types::ConnectionType},
};

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

impl From<ReportConnectionInput> for AgentEvent {
    fn from(input: ReportConnectionInput) -> Self {
        AgentEvent {
            connection_id: input.connection_id,
            action: match input.action {
                ConnectionEventAction::Connect => ConnectionAction::Connect,
                ConnectionEventAction::Disconnect => ConnectionAction::Disconnect,
            },
            connection_type: input.r#type.into(),
            time: input.time,
            ip: input.ip,
            reason: input.reason,
            status_code: input.status_code,
        }
    }
}

impl From<ReportWebConnectionInput> for WebConnection {
    fn from(input: ReportWebConnectionInput) -> Self {
        WebConnection {
            agent_id: input.agent_id,
            connection_type: input.r#type.into(),
            time: input.time,
            ip: input.ip,
            user_id: input.user_id,
            user_agent: input.user_agent,
            slug_or_port: input.slug_or_port,
            status_code: input.status_code,
        }
    }
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
        let recorded = ingest::report_agent_events(
            &state.db,
            state.clock.now(),
            agent,
            ws,
            input.into_iter().map(AgentEvent::from).collect(),
        )
        .await?;
        Ok(ReportConnectionsPayload {
            recorded: i32::try_from(recorded).unwrap_or(i32::MAX),
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
        ingest::report_web_connection(&state.db, ctx.subject()?, state.clock.now(), input.into())
            .await?;
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
