//! Queries about prebuilt workspaces: the deployment-wide settings.

use async_graphql::{Context, Object};

use crate::{
    domain::prebuilds::settings,
    graphql::{context::ContextExt, error::Result, types::PrebuildsSettings},
};

/// Prebuild queries.
#[derive(Default)]
pub struct PrebuildsQuery;

#[Object]
impl PrebuildsQuery {
    /// The deployment's prebuild settings (for those who may read deployment settings:
    /// owners).
    async fn prebuilds_settings(&self, ctx: &Context<'_>) -> Result<PrebuildsSettings> {
        let state = ctx.state()?;
        let current = settings::get(&state.db, ctx.subject()?).await?;
        Ok(PrebuildsSettings(current))
    }
}
