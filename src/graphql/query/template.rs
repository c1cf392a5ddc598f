//! Queries about templates, their versions and presets.

use async_graphql::{Context, Object};
use uuid::Uuid;

use crate::{
    domain::{prebuilds, template},
    graphql::{
        context::ContextExt,
        error::Result,
        types::{Preset, Template, TemplateVersion},
    },
};

/// Template queries.
#[derive(Default)]
pub struct TemplateQuery;

#[Object]
impl TemplateQuery {
    /// The live templates the caller may read, by name; optionally of one organization.
    async fn templates(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<Uuid>,
    ) -> Result<Vec<Template>> {
        let rows =
            template::list_templates(&ctx.state()?.db, ctx.subject()?, organization_id).await?;
        Ok(rows.into_iter().map(Template).collect())
    }

    /// One template.
    async fn template(&self, ctx: &Context<'_>, id: Uuid) -> Result<Template> {
        Ok(Template(
            template::get_template(&ctx.state()?.db, ctx.subject()?, id).await?,
        ))
    }

    /// One template version.
    async fn template_version(&self, ctx: &Context<'_>, id: Uuid) -> Result<TemplateVersion> {
        Ok(TemplateVersion(
            template::get_template_version(&ctx.state()?.db, ctx.subject()?, id).await?,
        ))
    }

    /// The presets of a template version, by name.
    async fn presets(&self, ctx: &Context<'_>, template_version_id: Uuid) -> Result<Vec<Preset>> {
        let state = ctx.state()?;
        let rows = prebuilds::preset_states::list_presets_with_state(
            &state.db,
            ctx.subject()?,
            template_version_id,
            state.clock.now(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|((preset, schedules), counts)| Preset(preset, schedules, counts))
            .collect())
    }
}
