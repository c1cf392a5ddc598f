//! Mutations of the deployment-wide prebuild settings: pausing and resuming reconciliation.

use async_graphql::{Context, Object};

use crate::{
    domain::prebuilds::settings,
    graphql::{context::ContextExt, error::Result, types::PrebuildsSettings},
};

/// Prebuild mutations.
#[derive(Default)]
pub struct PrebuildsMutation;

#[Object]
impl PrebuildsMutation {
    /// Pauses prebuild reconciliation: no prebuilt workspaces are created or deleted until
    /// `resumePrebuilds`. For those who may change deployment settings (owners); pausing a
    /// paused deployment is no error.
    async fn pause_prebuilds(&self, ctx: &Context<'_>) -> Result<PrebuildsSettings> {
        let state = ctx.state()?;
        let stored =
            settings::set_paused(&state.db, ctx.subject()?, state.clock.now(), true).await?;
        Ok(PrebuildsSettings(stored))
    }

    /// Resumes prebuild reconciliation. For those who may change deployment settings
    /// (owners); resuming a running reconciliation is no error.
    async fn resume_prebuilds(&self, ctx: &Context<'_>) -> Result<PrebuildsSettings> {
        let state = ctx.state()?;
        let stored =
            settings::set_paused(&state.db, ctx.subject()?, state.clock.now(), false).await?;
        Ok(PrebuildsSettings(stored))
    }
}
