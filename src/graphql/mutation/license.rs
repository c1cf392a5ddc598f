//! Uploading and deleting licenses, and refreshing the entitlements.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::graphql::{
    context::ContextExt,
    error::Result,
    types::{Entitlements, License},
};

/// A license to upload.
#[derive(InputObject)]
pub struct AddLicenseInput {
    /// The license JWT.
    pub license: String,
}

/// The result of deleting a license.
#[derive(SimpleObject)]
pub struct DeleteLicensePayload {
    /// The deleted license's id.
    pub id: i32,
}

/// License mutations.
#[derive(Default)]
pub struct LicenseMutation;

#[Object]
impl LicenseMutation {
    /// Uploads a license (a license that is not valid yet is accepted) and recomputes the
    /// entitlements.
    async fn add_license(&self, ctx: &Context<'_>, input: AddLicenseInput) -> Result<License> {
        let state = ctx.state()?;
        Ok(License(
            state
                .entitlements
                .add_license(ctx.subject()?, &input.license)
                .await?,
        ))
    }

    /// Deletes a license and recomputes the entitlements.
    async fn delete_license(&self, ctx: &Context<'_>, id: i32) -> Result<DeleteLicensePayload> {
        let state = ctx.state()?;
        state
            .entitlements
            .delete_license(ctx.subject()?, id.into())
            .await?;
        Ok(DeleteLicensePayload { id })
    }

    /// Recomputes the entitlements now (at most once a minute).
    async fn refresh_entitlements(&self, ctx: &Context<'_>) -> Result<Entitlements> {
        let state = ctx.state()?;
        Ok(Entitlements(
            state.entitlements.refresh_now(ctx.subject()?).await?,
        ))
    }
}
