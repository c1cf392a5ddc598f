//! `data "coder_parameter"` blocks into `ParameterDefinition`s. Only the shape is checked here
//! (types of attributes, the closed sets `type`, `form_type` and `monotonic`); the provider's
//! rules between attributes are the definition validator's job.

use crate::domain::parameters::{
    FormType, Monotonic, ParameterDefinition, ParameterOption, ParameterType, ParameterValidation,
};

use super::error::ImportError;
use super::reader::BlockReader;

/// Reads one `coder_parameter` block; None when `name` is missing or unusable (the error is
/// recorded). Other faulty attributes are recorded and left at their defaults, so the rest of
/// the block is still checked.
pub(super) fn read_parameter(
    block: &BlockReader<'_>,
    errors: &mut Vec<ImportError>,
) -> Option<ParameterDefinition> {
    block.reject_dynamic_blocks(errors);
    let name = block.required_text("name", errors);
    let kind = block
        .text("type", errors)
        .and_then(|text| match parameter_type(&text) {
            Some(kind) => Some(kind),
            None => {
                let message =
                    format!("unknown type {text:?}; expected string, number, bool or list(string)");
                block.error(errors, "type", block.line_of("type"), message);
                None
            }
        })
        .unwrap_or_default();
    let validation = block
        .single_block("validation", errors)
        .map(|validation| read_validation(&block.nested(validation), errors));
    // Every attribute is read even without a usable name, so all their errors are reported.
    let definition = ParameterDefinition {
        name: String::new(),
        display_name: block.text("display_name", errors).unwrap_or_default(),
        description: block.text("description", errors).unwrap_or_default(),
        kind,
        default: block.parameter_value("default", errors),
        mutable: block.flag("mutable", errors),
        ephemeral: block.flag("ephemeral", errors),
        options: block
            .blocks("option")
            .filter_map(|option| read_option(&block.nested(option), errors))
            .collect(),
        validation,
        form_type: block.choice::<FormType>("form_type", FORM_TYPES, errors),
        order: block.integer("order", errors).unwrap_or_default(),
        icon: block.text("icon", errors).unwrap_or_default(),
    };
    name.map(|name| ParameterDefinition { name, ..definition })
}

/// The spellings `form_type` accepts, as `FormType` serialises them.
const FORM_TYPES: &str =
    "radio, dropdown, input, textarea, slider, checkbox, switch, multi-select, tag-input";

/// The Terraform spelling of a type; matched against `ParameterType::as_str` so the two can
/// not drift apart.
fn parameter_type(text: &str) -> Option<ParameterType> {
    [
        ParameterType::String,
        ParameterType::Number,
        ParameterType::Bool,
        ParameterType::ListString,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == text)
}

fn read_option(option: &BlockReader<'_>, errors: &mut Vec<ImportError>) -> Option<ParameterOption> {
    let name = option.required_text("name", errors);
    let value = option.required("value", errors, BlockReader::parameter_value);
    let description = option.text("description", errors).unwrap_or_default();
    let icon = option.text("icon", errors).unwrap_or_default();
    Some(ParameterOption {
        name: name?,
        value: value?,
        description,
        icon,
    })
}

fn read_validation(
    validation: &BlockReader<'_>,
    errors: &mut Vec<ImportError>,
) -> ParameterValidation {
    ParameterValidation {
        min: validation.integer("min", errors),
        max: validation.integer("max", errors),
        monotonic: validation.choice::<Monotonic>("monotonic", "increasing, decreasing", errors),
        regex: validation.text("regex", errors),
        error: validation.text("error", errors).unwrap_or_default(),
    }
}
