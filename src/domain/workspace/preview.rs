//! `previewParameters`: what a build of a version would resolve for each parameter, with
//! its diagnostics, from the same resolver the builder uses.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    Result,
    builder::{check_supplied_parameters, definitions, latest_build, stored_parameters},
    queries::get_workspace,
};
use crate::{
    authz::Subject,
    domain::{
        parameters::{
            self, BuildParameter, ParameterDefinition, ParameterError, ResolveInput, ValueSource,
        },
        template,
    },
};

/// One parameter of a preview, owning its definition.
#[derive(Debug, Clone)]
pub struct ParameterPreview {
    /// The definition.
    pub definition: ParameterDefinition,
    /// The value a build would use.
    pub value: Option<String>,
    /// Where it came from.
    pub source: ValueSource,
    /// What is wrong with it.
    pub diagnostics: Vec<ParameterError>,
}

/// Previews a start build of `version_id` (for `workspace_id`, if given) with `values`.
pub async fn preview_parameters(
    db: &impl ConnectionTrait,
    subject: &Subject,
    version_id: Uuid,
    workspace_id: Option<Uuid>,
    values: &[BuildParameter],
) -> Result<Vec<ParameterPreview>> {
    check_supplied_parameters(values)?;
    let version = template::get_template_version(db, subject, version_id)
        .await
        .map_err(|e| match e {
            template::Error::NotFound(what) => super::Error::NotFound(what),
            template::Error::Db(e) => super::Error::Db(e),
            other => super::Error::Corrupt(other.to_string()),
        })?;
    let previous = match workspace_id {
        Some(id) => {
            let ws = get_workspace(db, subject, id).await?;
            match latest_build(db, ws.id).await? {
                Some((build, _)) => stored_parameters(&build)?,
                None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let defs = definitions(&version)?;
    let input = ResolveInput {
        first_build: previous.is_empty(),
        is_start: true,
        previous: &previous,
        user: values,
        preset: &[],
    };
    Ok(parameters::preview(&defs, &input)
        .into_iter()
        .map(|p| ParameterPreview {
            definition: p.definition.clone(),
            value: p.value,
            source: p.source,
            diagnostics: p.diagnostics,
        })
        .collect())
}
