//! Queries about users, organizations and groups.

use async_graphql::{Context, Object};
use uuid::Uuid;

use crate::{
    domain::identity,
    graphql::{
        context::ContextExt,
        error::Result,
        pagination::OffsetPage,
        types::{ApiKey, Group, Organization, User},
    },
};

/// Identity queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(ctx.caller()?.user.clone()))
    }

    /// Whether the first user has been created. Until it has, `createFirstUser` sets up
    /// the deployment. Needs no token.
    async fn has_first_user(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(identity::has_first_user(&ctx.state()?.db).await?)
    }

    /// Named API tokens, newest first (session tokens are not listed): the caller's, or
    /// with `userId` another user's (owners only). Secrets are never shown.
    async fn api_tokens(&self, ctx: &Context<'_>, user_id: Option<Uuid>) -> Result<Vec<ApiKey>> {
        let caller = ctx.caller()?;
        let rows = identity::list_api_tokens(
            &ctx.state()?.db,
            &caller.subject,
            user_id.unwrap_or(caller.user.id),
        )
        .await?;
        Ok(rows.into_iter().map(ApiKey).collect())
    }

    /// The organizations the caller may read, by name.
    async fn organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let rows = identity::list_organizations(&ctx.state()?.db, ctx.subject()?).await?;
        Ok(rows.into_iter().map(Organization).collect())
    }

    /// One organization.
    async fn organization(&self, ctx: &Context<'_>, id: Uuid) -> Result<Organization> {
        Ok(Organization(
            identity::get_organization(&ctx.state()?.db, ctx.subject()?, id).await?,
        ))
    }

    /// The users the caller may read, oldest first. System users are never listed.
    #[graphql(complexity = "OffsetPage::cost(limit, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows to skip.", default = 0)] offset: i32,
        #[graphql(desc = "Rows to return: 1 to 1000, default 100.")] limit: Option<i32>,
    ) -> Result<Vec<User>> {
        let page = OffsetPage::parse(offset, limit)?;
        let rows =
            identity::list_users(&ctx.state()?.db, ctx.subject()?, page.offset, page.limit).await?;
        Ok(rows.into_iter().map(User).collect())
    }

    /// One user.
    async fn user(&self, ctx: &Context<'_>, id: Uuid) -> Result<User> {
        Ok(User(
            identity::get_user(&ctx.state()?.db, ctx.subject()?, id).await?,
        ))
    }

    /// The groups of an organization, by name.
    async fn groups(&self, ctx: &Context<'_>, organization_id: Uuid) -> Result<Vec<Group>> {
        let rows = identity::list_groups(&ctx.state()?.db, ctx.subject()?, organization_id).await?;
        Ok(rows.into_iter().map(Group).collect())
    }

    /// One group.
    async fn group(&self, ctx: &Context<'_>, id: Uuid) -> Result<Group> {
        Ok(Group(
            identity::get_group(&ctx.state()?.db, ctx.subject()?, id).await?,
        ))
    }
}
