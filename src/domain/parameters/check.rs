//! The checks of one parameter's value, in the provider's order (`ValidateInput`): form type,
//! the options themselves, option membership, the validation block, then the value's type.
//! Both the definition rules (on the default) and the build resolver use these functions, so
//! a message is produced in exactly one place.

use std::collections::HashSet;

use super::form_type::{Form, resolve_form};
use super::validation::validation_error;
use super::{ParameterDefinition, ParameterError, ParameterType, ParameterValidation};
use crate::domain::go_quote::go_quote;

/// Where a checked value came from: the provider words its messages about the default
/// differently ("Default value must be a valid option").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Given for this build, or stored by an earlier one.
    Input,
    /// The definition's default, used because nothing else gave a value.
    Default,
}

impl Origin {
    /// The noun the provider's messages start with.
    fn noun(self) -> &'static str {
        match self {
            Origin::Input => "Value",
            Origin::Default => "Default value",
        }
    }
}

/// Parses a list(string) value: a JSON array of strings. `null` is an empty list, because
/// Go's `json.Unmarshal` into a slice accepts it.
pub(crate) fn parse_string_list(value: &str) -> Result<Vec<String>, String> {
    serde_json::from_str::<Option<Vec<String>>>(value)
        .map(Option::unwrap_or_default)
        .map_err(|_| format!("value {} is not a valid list of strings", go_quote(value)))
}

/// Why `value` is not of type `kind` (the provider's `valueIsType`). Numbers are parsed as
/// floats here, so "1.5" passes unless a validation block demands an integer.
pub(crate) fn type_error(kind: ParameterType, value: &str) -> Option<String> {
    match kind {
        ParameterType::String => None,
        ParameterType::Number => value
            .parse::<f64>()
            .is_err()
            .then(|| format!("{} is not a number", go_quote(value))),
        // The spellings Go's strconv.ParseBool accepts.
        ParameterType::Bool => (!matches!(
            value,
            "1" | "t"
                | "T"
                | "TRUE"
                | "true"
                | "True"
                | "0"
                | "f"
                | "F"
                | "FALSE"
                | "false"
                | "False"
        ))
        .then(|| format!("{} is not a bool", go_quote(value))),
        ParameterType::ListString => parse_string_list(value).err(),
    }
}

/// The option values of a definition, or why its options are invalid: a duplicate name or
/// value stops at the first one (as the provider does), while every option of the wrong type
/// is reported.
pub(crate) fn option_values(
    def: &ParameterDefinition,
    option_type: ParameterType,
) -> Result<HashSet<&str>, Vec<ParameterError>> {
    let mut names = HashSet::new();
    let mut values = HashSet::new();
    let mut errors = Vec::new();
    for option in &def.options {
        if names.contains(option.name.as_str()) {
            return Err(vec![ParameterError::new(
                &def.name,
                "Option names must be unique.",
                format!(
                    "multiple options found with the same name {}",
                    go_quote(&option.name)
                ),
            )]);
        }
        if values.contains(option.value.as_str()) {
            return Err(vec![ParameterError::new(
                &def.name,
                "Option values must be unique.",
                format!(
                    "multiple options found with the same value {}",
                    go_quote(&option.value)
                ),
            )]);
        }
        if let Some(detail) = type_error(option_type, &option.value) {
            errors.push(ParameterError::new(
                &def.name,
                format!(
                    "Option {} with value={} is not of type {}",
                    go_quote(&option.name),
                    go_quote(&option.value),
                    go_quote(option_type.as_str())
                ),
                detail,
            ));
            continue;
        }
        names.insert(option.name.as_str());
        values.insert(option.value.as_str());
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// Checks what the definition alone decides (form type, options) and then, if there is one,
/// the value. An empty result means the value is valid. A missing value is not an error
/// here: whether it is required is the resolver's rule.
pub(crate) fn check(
    def: &ParameterDefinition,
    value: Option<&str>,
    origin: Origin,
) -> Vec<ParameterError> {
    let form = match resolve_form(def) {
        Ok(form) => form,
        Err(err) => return vec![err],
    };
    let options = match option_values(def, form.option_type) {
        Ok(options) => options,
        Err(errors) => return errors,
    };
    let Some(value) = value else {
        return Vec::new();
    };
    if let Some(err) = membership_error(def, form, &options, value, origin) {
        return vec![err];
    }
    if let Some(validation) = &def.validation
        && let Some(detail) = validation_error(validation, def.kind, value, None)
    {
        return vec![ParameterError::new(
            &def.name,
            format!(
                "Invalid parameter {} according to 'validation' block",
                origin.noun().to_lowercase()
            ),
            detail,
        )];
    }
    if let Some(detail) = type_error(def.kind, value) {
        return vec![ParameterError::new(
            &def.name,
            format!(
                "Parameter value is not of type {}",
                go_quote(def.kind.as_str())
            ),
            detail,
        )];
    }
    Vec::new()
}

/// Why `value` is not one of the options; a multi-select list must hold only options.
fn membership_error(
    def: &ParameterDefinition,
    form: Form,
    options: &HashSet<&str>,
    value: &str,
    origin: Origin,
) -> Option<ParameterError> {
    if options.is_empty() {
        return None;
    }
    let noun = origin.noun();
    if def.kind == ParameterType::ListString && form.option_type == ParameterType::String {
        let items = match parse_string_list(value) {
            Ok(items) => items,
            Err(detail) => {
                return Some(ParameterError::new(
                    &def.name,
                    "When using list(string) type, value must be a json encoded list of strings",
                    detail,
                ));
            }
        };
        let missing: Vec<&str> = items
            .iter()
            .map(String::as_str)
            .filter(|item| !options.contains(item))
            .collect();
        return (!missing.is_empty()).then(|| {
            ParameterError::new(
                &def.name,
                format!("{noun}s must be a valid option"),
                format!(
                    "{noun} {} is not a valid option, values {} are missing from the options",
                    go_quote(value),
                    go_quote(&missing.join(", "))
                ),
            )
        });
    }
    if options.contains(value) {
        return None;
    }
    let extra = if value.is_empty() {
        ". The value is empty, did you forget to set it with a default or from user input?"
    } else {
        ""
    };
    Some(ParameterError::new(
        &def.name,
        format!("{noun} must be a valid option{extra}"),
        format!(
            "the value {} must be defined as one of options",
            go_quote(value)
        ),
    ))
}

/// The monotonic rule against the previous build's value, keyed as coderd keys it. Only the
/// block's `monotonic` takes part, so min, max and the error template do not apply again.
pub(crate) fn monotonic_error(
    def: &ParameterDefinition,
    value: &str,
    previous: &str,
) -> Option<ParameterError> {
    let monotonic = def.validation.as_ref()?.monotonic?;
    let only_monotonic = ParameterValidation {
        monotonic: Some(monotonic),
        ..ParameterValidation::default()
    };
    let detail = validation_error(&only_monotonic, def.kind, value, Some(previous))?;
    Some(ParameterError::new(
        &def.name,
        format!("Parameter {} monotonicity", go_quote(&def.name)),
        detail,
    ))
}
