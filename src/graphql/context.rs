//! What a resolver gets from its request: the shared state, the authenticated caller and
//! the request's DataLoader.

use async_graphql::{
    Context,
    dataloader::{DataLoader, HashMapCache},
};

use super::{
    error::{ApiError, Result},
    loaders::DbLoader,
};
use crate::{authz::Subject, domain::identity, state::AppState};

/// The caller of one request, as the HTTP layer authenticated it.
pub type Authenticated = identity::Authentication;

/// Request data: the caller, if any token was presented and valid.
#[derive(Debug, Clone, Default)]
pub struct Caller(pub Option<Authenticated>);

/// Request data: the external provisioner, when a valid `Coder-Provisioner-Key` was sent.
#[derive(Debug, Clone, Default)]
pub struct ProvisionerCaller(pub Option<crate::entity::provisioner_key::Model>);

/// Request data: the workspace agent, when a valid `Coder-Agent-Token` was sent.
#[derive(Debug, Clone, Default)]
pub struct AgentCaller(
    pub  Option<(
        crate::entity::workspace_agent::Model,
        crate::entity::workspace::Model,
    )>,
);

/// Accessors resolvers use instead of raw `ctx.data`.
pub trait ContextExt {
    /// The shared state.
    fn state(&self) -> Result<&AppState>;
    /// The authenticated caller, or UNAUTHENTICATED.
    fn caller(&self) -> Result<&Authenticated>;
    /// The caller's subject, or UNAUTHENTICATED.
    fn subject(&self) -> Result<&Subject> {
        Ok(&self.caller()?.subject)
    }
    /// The external provisioner's key, or UNAUTHENTICATED.
    fn provisioner(&self) -> Result<&crate::entity::provisioner_key::Model>;
    /// The calling workspace agent and its workspace, or UNAUTHENTICATED.
    fn agent(
        &self,
    ) -> Result<&(
        crate::entity::workspace_agent::Model,
        crate::entity::workspace::Model,
    )>;
    /// This request's DataLoader.
    fn loader(&self) -> Result<&DataLoader<DbLoader, HashMapCache>>;
    /// Where the request came from (address behind trusted proxies, user agent, request
    /// id), for the failed-login limits and the audit log.
    fn origin(&self) -> crate::authz::RequestOrigin;
}

fn missing(what: &str) -> ApiError {
    ApiError::internal(&std::io::Error::other(format!(
        "request data missing: {what}"
    )))
}

impl ContextExt for Context<'_> {
    fn state(&self) -> Result<&AppState> {
        self.data::<AppState>().map_err(|_| missing("AppState"))
    }

    fn caller(&self) -> Result<&Authenticated> {
        match self.data::<Caller>() {
            Ok(Caller(Some(caller))) => Ok(caller),
            _ => Err(ApiError::unauthenticated()),
        }
    }

    fn provisioner(&self) -> Result<&crate::entity::provisioner_key::Model> {
        match self.data::<ProvisionerCaller>() {
            Ok(ProvisionerCaller(Some(key))) => Ok(key),
            _ => Err(ApiError::new(
                super::error::ErrorCode::Unauthenticated,
                "This operation is for provisioners: send Coder-Provisioner-Key: <key>.",
            )),
        }
    }

    fn agent(
        &self,
    ) -> Result<&(
        crate::entity::workspace_agent::Model,
        crate::entity::workspace::Model,
    )> {
        match self.data::<AgentCaller>() {
            Ok(AgentCaller(Some(agent))) => Ok(agent),
            _ => Err(ApiError::new(
                super::error::ErrorCode::Unauthenticated,
                "This operation is for workspace agents: send Coder-Agent-Token: <token>.",
            )),
        }
    }

    fn origin(&self) -> crate::authz::RequestOrigin {
        self.data::<crate::authz::RequestOrigin>()
            .cloned()
            .unwrap_or_default()
    }

    fn loader(&self) -> Result<&DataLoader<DbLoader, HashMapCache>> {
        self.data::<DataLoader<DbLoader, HashMapCache>>()
            .map_err(|_| missing("DataLoader"))
    }
}
