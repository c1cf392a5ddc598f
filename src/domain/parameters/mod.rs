//! Build parameters: their definitions (from a template version's `coder_parameter`
//! blocks) and the one module that resolves and validates the values of a build, shared by
//! the workspace builder and the `previewParameters` query.

mod definition;

pub use definition::{
    FormType, Monotonic, ParameterDefinition, ParameterOption, ParameterType, ParameterValidation,
};
