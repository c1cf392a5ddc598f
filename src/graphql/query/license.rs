//! Queries about licenses and entitlements.

use async_graphql::{Context, Object};

use crate::graphql::{
    context::ContextExt,
    error::Result,
    types::{Entitlements, License},
};

/// License queries.
#[derive(Default)]
pub struct LicenseQuery;

#[Object]
impl LicenseQuery {
    /// What the deployment is entitled to (any signed-in user).
    async fn entitlements(&self, ctx: &Context<'_>) -> Result<Entitlements> {
        ctx.caller()?;
        Ok(Entitlements(ctx.state()?.entitlements.current()))
    }

    /// Every uploaded license, expired ones included (license readers only).
    async fn licenses(&self, ctx: &Context<'_>) -> Result<Vec<License>> {
        let state = ctx.state()?;
        Ok(state
            .entitlements
            .list_licenses(ctx.subject()?)
            .await?
            .into_iter()
            .map(License)
            .collect())
    }
}
