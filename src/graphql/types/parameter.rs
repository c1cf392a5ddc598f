//! Parameter values in inputs, and parameter previews for forms.

use async_graphql::{Enum, InputObject, Object, SimpleObject};

use super::TemplateParameter;
use crate::domain::{parameters, workspace};

/// A parameter value given for a build.
#[derive(InputObject, Clone)]
pub struct ParameterInput {
    /// The parameter's name.
    pub name: String,
    /// Its value (a JSON array for list(string)).
    pub value: String,
}

impl From<ParameterInput> for parameters::BuildParameter {
    fn from(input: ParameterInput) -> Self {
        parameters::BuildParameter {
            name: input.name,
            value: input.value,
        }
    }
}

/// Where a previewed value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::parameters::ValueSource")]
pub enum ParameterValueSource {
    /// The build's preset.
    Preset,
    /// The given values.
    User,
    /// The workspace's previous build.
    Previous,
    /// The parameter's default.
    Default,
    /// Nowhere: required and missing.
    None,
}

/// One problem with a parameter's value.
#[derive(SimpleObject)]
pub struct ParameterDiagnostic {
    /// What failed, in a few words.
    pub summary: String,
    /// Why, with the values involved.
    pub detail: String,
}

/// A parameter with the value a build would use and what is wrong with it.
pub struct ParameterPreview(pub workspace::ParameterPreview);

/// A parameter with the value a build would use and what is wrong with it.
#[Object]
impl ParameterPreview {
    /// The parameter's name.
    async fn name(&self) -> &str {
        &self.0.definition.name
    }
    /// The definition.
    async fn parameter(&self) -> TemplateParameter {
        TemplateParameter(self.0.definition.clone())
    }
    /// The value a build would use, even when invalid; null when there is none.
    async fn value(&self) -> Option<&str> {
        self.0.value.as_deref()
    }
    /// Where the value came from.
    async fn source(&self) -> ParameterValueSource {
        self.0.source.into()
    }
    /// Every failed check; empty when the value is valid.
    async fn diagnostics(&self) -> Vec<ParameterDiagnostic> {
        self.0
            .diagnostics
            .iter()
            .map(|d| ParameterDiagnostic {
                summary: d.summary.clone(),
                detail: d.detail.clone(),
            })
            .collect()
    }
}
