//! Resolving the parameter values of a build (Coder's dynamic `ResolveParameters`): pick each
//! value by precedence, check it, and decide which values are stored. The UI preview uses
//! the same evaluation, so the form shows exactly the errors a build would fail with.

use serde::{Deserialize, Serialize};

use super::check::{Origin, check, monotonic_error};
use super::{ParameterDefinition, ParameterError, ParameterErrors};
use crate::domain::go_quote::go_quote;

/// One stored or supplied parameter value of a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildParameter {
    /// The parameter's name.
    pub name: String,
    /// The value, as text (list(string) as a JSON array).
    pub value: String,
}

impl BuildParameter {
    /// A value for parameter `name`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// What a build knows when its parameters are resolved.
#[derive(Debug, Clone, Copy)]
pub struct ResolveInput<'a> {
    /// The workspace's first build: immutability and monotonicity do not apply yet.
    pub first_build: bool,
    /// A start build; only a start drops values of parameters that no longer exist.
    pub is_start: bool,
    /// The values stored with the previous build.
    pub previous: &'a [BuildParameter],
    /// The values the user supplied for this build.
    pub user: &'a [BuildParameter],
    /// The values of the preset the build uses, which win over everything else.
    pub preset: &'a [BuildParameter],
}

/// Where a parameter's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueSource {
    /// The build's preset.
    Preset,
    /// The user's input for this build.
    User,
    /// The previous build's stored value.
    Previous,
    /// The definition's default.
    Default,
    /// Nowhere: the parameter is required and nothing gave it a value.
    None,
}

/// One parameter as a form shows it: the value a build would use, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewedParameter<'a> {
    /// The definition, for labels, options and form type.
    pub definition: &'a ParameterDefinition,
    /// The value a build would use, even when it is invalid; None when there is none.
    pub value: Option<String>,
    /// Where the value came from.
    pub source: ValueSource,
    /// Every failed check, in the order they ran; empty when the value is valid.
    pub diagnostics: Vec<ParameterError>,
}

/// The last value given for `name`: a later entry overwrites an earlier one, as in a map.
fn find<'a>(values: &'a [BuildParameter], name: &str) -> Option<&'a str> {
    values
        .iter()
        .rev()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

/// Evaluates one definition against the build's inputs.
fn evaluate<'a>(def: &'a ParameterDefinition, input: &ResolveInput<'_>) -> PreviewedParameter<'a> {
    let previous = find(input.previous, &def.name);
    // An ephemeral value lasts one build: the previous one is not reused, so the parameter
    // reverts to its default unless supplied again.
    let reused = previous.filter(|_| !def.ephemeral);
    let chosen = find(input.preset, &def.name)
        .map(|v| (v, ValueSource::Preset))
        .or_else(|| find(input.user, &def.name).map(|v| (v, ValueSource::User)))
        .or_else(|| reused.map(|v| (v, ValueSource::Previous)))
        .or_else(|| def.default.as_deref().map(|v| (v, ValueSource::Default)));

    let mut diagnostics = Vec::new();
    // New immutable parameters (no previous value) are allowed, so that a workspace can
    // still be updated to a version that adds one.
    if !input.first_build
        && !def.mutable
        && let (Some(previous), Some((value, _))) = (previous, chosen)
        && value != previous
    {
        diagnostics.push(ParameterError::new(
            &def.name,
            "Immutable parameter changed",
            format!(
                "Parameter {} is not mutable, so it can't be updated after creating a workspace.",
                go_quote(&def.name)
            ),
        ));
    }
    let own = match chosen {
        Some((value, source)) => {
            let origin = match source {
                ValueSource::Default => Origin::Default,
                _ => Origin::Input,
            };
            check(def, Some(value), origin)
        }
        None => {
            // Only a parameter without a default can have no value at all.
            let mut errors = check(def, None, Origin::Input);
            errors.push(ParameterError::new(
                &def.name,
                "Required parameter not provided",
                format!(
                    "Parameter {} is required but not provided",
                    go_quote(&def.name)
                ),
            ));
            errors
        }
    };
    // Monotonicity is only judged on an otherwise valid value.
    if !input.first_build
        && own.is_empty()
        && let (Some(previous), Some((value, _))) = (previous, chosen)
        && let Some(err) = monotonic_error(def, value, previous)
    {
        diagnostics.push(err);
    }
    diagnostics.extend(own);

    PreviewedParameter {
        definition: def,
        value: chosen.map(|(value, _)| value.to_owned()),
        source: chosen.map_or(ValueSource::None, |(_, source)| source),
        diagnostics,
    }
}

/// Each definition with the value a build would use, its source and its errors, in
/// definition order; for a form that shows problems before the build is submitted.
pub fn preview<'a>(
    definitions: &'a [ParameterDefinition],
    input: &ResolveInput<'_>,
) -> Vec<PreviewedParameter<'a>> {
    definitions.iter().map(|def| evaluate(def, input)).collect()
}

/// The values to store with the build, or every failed check of every parameter.
///
/// A default used because nothing else gave a value is stored too, so that a later change
/// of the default does not change existing workspaces. Values of parameters the version no
/// longer declares are dropped on a start build and kept on a stop or delete, which does not
/// change what a workspace has. The result lists the definitions in order, then the kept
/// leftovers in the order they first appear in the previous, user and preset values.
pub fn resolve(
    definitions: &[ParameterDefinition],
    input: &ResolveInput<'_>,
) -> Result<Vec<BuildParameter>, ParameterErrors> {
    let evaluated = preview(definitions, input);
    let errors: Vec<ParameterError> = evaluated
        .iter()
        .flat_map(|p| p.diagnostics.iter().cloned())
        .collect();
    if !errors.is_empty() {
        return Err(ParameterErrors::new(errors));
    }
    let mut values: Vec<BuildParameter> = evaluated
        .into_iter()
        .filter_map(|p| {
            p.value
                .map(|value| BuildParameter::new(p.definition.name.clone(), value))
        })
        .collect();
    if !input.is_start {
        let declared = |name: &str| definitions.iter().any(|d| d.name == name);
        for given in input.previous.iter().chain(input.user).chain(input.preset) {
            if declared(&given.name) || values.iter().any(|v| v.name == given.name) {
                continue;
            }
            let value = find(input.preset, &given.name)
                .or_else(|| find(input.user, &given.name))
                .or_else(|| find(input.previous, &given.name))
                .unwrap_or(&given.value);
            values.push(BuildParameter::new(given.name.clone(), value));
        }
    }
    Ok(values)
}
