//! The rules a `coder_parameter` definition must follow (terraform-provider-coder), checked
//! when a template version is imported so that a broken definition never reaches a build.

use super::check::{Origin, check};
use super::validation::block_rule_error;
use super::{ParameterDefinition, ParameterValidation};

/// Every rule the definition breaks, with the provider's messages; empty when it is valid.
///
/// Rules about the definition itself come as bare messages ("parameter can't be immutable and
/// ephemeral", "a min cannot be specified for a string type"); checks that the provider
/// reports as diagnostics (options, form type, the default value) come as their client text
/// `"<summary>; <detail>"`. Unlike the provider, all rules are reported rather than the
/// first, and a parameter without a default is not checked as if its value were "" (that is
/// the resolver's "required" rule).
pub fn validate_definition(def: &ParameterDefinition) -> Vec<String> {
    let mut errors = Vec::new();
    if !def.mutable && def.ephemeral {
        errors.push("parameter can't be immutable and ephemeral".to_owned());
    }
    if def.ephemeral && def.default.is_none() {
        errors.push("ephemeral parameter requires the default property".to_owned());
    }
    let mut block_broken = false;
    if let Some(validation) = &def.validation {
        errors.extend(regex_conflicts(validation));
        if let Some(err) = block_rule_error(validation, def.kind) {
            errors.push(err);
            block_broken = true;
        }
    }
    // A broken block would fail the default again with the same message; check only the
    // options and form type then.
    let default = if block_broken {
        None
    } else {
        def.default.as_deref()
    };
    errors.extend(
        check(def, default, Origin::Default)
            .iter()
            .map(|err| err.client_text()),
    );
    errors
}

/// The schema's `ConflictsWith` on `regex`, in the Terraform SDK's wording.
fn regex_conflicts(v: &ParameterValidation) -> Vec<String> {
    if v.regex.as_deref().is_none_or(str::is_empty) {
        return Vec::new();
    }
    [
        ("min", v.min.is_some()),
        ("max", v.max.is_some()),
        ("monotonic", v.monotonic.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(key, _)| format!("\"validation.0.regex\": conflicts with validation.0.{key}"))
    .collect()
}
