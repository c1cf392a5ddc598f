//! Build parameters: their definitions (from a template version's `coder_parameter`
//! blocks), the rules a definition must follow, and the one module that resolves and
//! validates the values of a build, shared by the workspace builder and the
//! `previewParameters` query. Messages are the provider's and coderd's, word for word,
//! because clients and users know them (docs/rules/templates-and-parameters.md).

mod check;
mod definition;
mod error;
mod form_type;
mod resolve;
mod rules;
mod validation;

#[cfg(test)]
mod tests;

pub use definition::{
    FormType, Monotonic, ParameterDefinition, ParameterOption, ParameterType, ParameterValidation,
};
pub use error::{ParameterError, ParameterErrors};
pub use resolve::{
    BuildParameter, PreviewedParameter, ResolveInput, ValueSource, preview, resolve,
};
pub use rules::validate_definition;
