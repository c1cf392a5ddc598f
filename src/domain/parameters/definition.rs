//! What a template version declares about one parameter, as parsed from
//! `data "coder_parameter"`. Stored as JSON with the version.

use serde::{Deserialize, Serialize};

/// The type of a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ParameterType {
    /// Any string (the default).
    #[default]
    String,
    /// A number (integers where a validation block applies).
    Number,
    /// `true` or `false`.
    Bool,
    /// A JSON array of strings; Terraform's `list(string)`.
    #[serde(rename = "list(string)")]
    ListString,
}

impl ParameterType {
    /// The Terraform spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "string",
            ParameterType::Number => "number",
            ParameterType::Bool => "bool",
            ParameterType::ListString => "list(string)",
        }
    }
}

/// How the UI renders the parameter; None means the type's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormType {
    /// Radio buttons (options).
    Radio,
    /// A dropdown (options).
    Dropdown,
    /// A one-line input.
    Input,
    /// A multi-line input.
    Textarea,
    /// A slider (numbers).
    Slider,
    /// A checkbox (bools).
    Checkbox,
    /// A switch (bools).
    Switch,
    /// Several options at once (list(string)).
    MultiSelect,
    /// Free tags (list(string)).
    TagInput,
}

impl FormType {
    /// The provider's spelling (`multi-select`, `tag-input`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FormType::Radio => "radio",
            FormType::Dropdown => "dropdown",
            FormType::Input => "input",
            FormType::Textarea => "textarea",
            FormType::Slider => "slider",
            FormType::Checkbox => "checkbox",
            FormType::Switch => "switch",
            FormType::MultiSelect => "multi-select",
            FormType::TagInput => "tag-input",
        }
    }
}

/// Direction a number parameter may move between builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monotonic {
    /// Never below the previous value.
    Increasing,
    /// Never above the previous value.
    Decreasing,
}

/// One allowed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ParameterOption {
    /// Label.
    pub name: String,
    /// The value itself (of the parameter's type).
    pub value: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Icon URL or path.
    #[serde(default)]
    pub icon: String,
}

/// The `validation` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ParameterValidation {
    /// Smallest number allowed.
    pub min: Option<i64>,
    /// Largest number allowed.
    pub max: Option<i64>,
    /// Direction numbers may move between builds.
    pub monotonic: Option<Monotonic>,
    /// A regular expression strings must match (unanchored).
    pub regex: Option<String>,
    /// The message for a failed check; `{min}`, `{max}` and `{value}` are substituted.
    #[serde(default)]
    pub error: String,
}

/// A parameter as a template version declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ParameterDefinition {
    /// Unique name in the version; the key of its value.
    pub name: String,
    /// Label for the UI.
    #[serde(default)]
    pub display_name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Type of the value.
    #[serde(rename = "type", default)]
    pub kind: ParameterType,
    /// Default value; None makes the parameter required.
    pub default: Option<String>,
    /// Whether the value may change after the first build.
    #[serde(default)]
    pub mutable: bool,
    /// Whether the value applies to one build only (reverts to the default afterwards).
    #[serde(default)]
    pub ephemeral: bool,
    /// Allowed values; empty means any.
    #[serde(default)]
    pub options: Vec<ParameterOption>,
    /// The validation block, if any.
    pub validation: Option<ParameterValidation>,
    /// How the UI renders it; None is the type's default.
    pub form_type: Option<FormType>,
    /// Sort key for the UI.
    #[serde(default)]
    pub order: i32,
    /// Icon URL or path.
    #[serde(default)]
    pub icon: String,
}

impl ParameterDefinition {
    /// A parameter without a default must be given a value.
    pub fn required(&self) -> bool {
        self.default.is_none()
    }

    /// The form type the UI renders: the declared one, or the first one the type allows.
    /// None when the declared form type does not fit the type (see [`validate_definition`]).
    ///
    /// [`validate_definition`]: super::validate_definition
    #[cfg(test)]
    pub fn effective_form_type(&self) -> Option<FormType> {
        super::form_type::resolve_form(self)
            .ok()
            .map(|form| form.form_type)
    }
}
