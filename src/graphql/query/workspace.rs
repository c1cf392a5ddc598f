//! Queries about workspaces and parameter previews.

use async_graphql::{Context, Object};
use uuid::Uuid;

use crate::{
    domain::{parameters, workspace},
    graphql::{
        context::ContextExt,
        error::{ApiError, Result},
        pagination::OffsetPage,
        types::{ParameterInput, ParameterPreview, Workspace, WorkspaceQuota},
    },
};

/// Workspace queries.
#[derive(Default)]
pub struct WorkspaceQuery;

#[Object]
impl WorkspaceQuery {
    /// The workspaces the caller may read, by name. `filter` is a search string:
    /// `owner:<username|me> template:<name> name:<part> status:<status>` and bare words
    /// matching names.
    #[graphql(complexity = "OffsetPage::cost(limit, child_complexity)")]
    async fn workspaces(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Search string.", default)] filter: String,
        #[graphql(desc = "Rows to skip.", default = 0)] offset: i32,
        #[graphql(desc = "Rows to return: 1 to 1000, default 100.")] limit: Option<i32>,
    ) -> Result<Vec<Workspace>> {
        let caller = ctx.caller()?;
        let page = OffsetPage::parse(offset, limit)?;
        let parsed = workspace::parse_filter(&filter, &caller.user.username)
            .map_err(|errors| ApiError::invalid("Invalid workspace search query.", errors))?;
        let rows = workspace::list_workspaces(
            &ctx.state()?.db,
            &caller.subject,
            &parsed,
            page.offset,
            page.limit,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Workspace(row.workspace))
            .collect())
    }

    /// One workspace.
    async fn workspace(&self, ctx: &Context<'_>, id: Uuid) -> Result<Workspace> {
        Ok(Workspace(
            workspace::get_workspace(&ctx.state()?.db, ctx.subject()?, id).await?,
        ))
    }

    /// A user's workspace quota in an organization: the allowance their groups there give
    /// and what their workspaces consume. For the user themselves and whoever may read
    /// their workspaces in the organization (organization admins, owners), including the
    /// prebuilds system user's.
    async fn workspace_quota(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: Uuid,
        #[graphql(desc = "The user (the prebuilds system user for prebuilt workspaces).")]
        user_id: Uuid,
    ) -> Result<WorkspaceQuota> {
        let quota =
            workspace::workspace_quota(&ctx.state()?.db, ctx.subject()?, organization_id, user_id)
                .await?;
        Ok(quota.into())
    }

    /// Each parameter of a version with the value a build would resolve and its
    /// diagnostics, as the workspace builder would check them (for forms). With
    /// `workspaceId`, the workspace's latest build gives the previous values.
    async fn preview_parameters(
        &self,
        ctx: &Context<'_>,
        template_version_id: Uuid,
        workspace_id: Option<Uuid>,
        #[graphql(default)] values: Vec<ParameterInput>,
    ) -> Result<Vec<ParameterPreview>> {
        let state = ctx.state()?;
        let values: Vec<parameters::BuildParameter> = values.into_iter().map(Into::into).collect();
        let previews = workspace::preview_parameters(
            &state.db,
            ctx.subject()?,
            template_version_id,
            workspace_id,
            &values,
        )
        .await?;
        Ok(previews.into_iter().map(ParameterPreview).collect())
    }
}
