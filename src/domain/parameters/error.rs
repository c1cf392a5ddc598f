//! The errors of parameter checking, shaped like Coder's diagnostics: a summary and a detail,
//! keyed by the parameter name, rendered for clients as `"<summary>; <detail>"`.

use serde::Serialize;

use crate::domain::FieldError;

/// One failed check of one parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParameterError {
    /// The parameter the error belongs to.
    pub name: String,
    /// What failed, in a few words (`Immutable parameter changed`).
    pub summary: String,
    /// Why, with the values involved.
    pub detail: String,
}

impl ParameterError {
    /// An error of parameter `name`.
    pub fn new(name: &str, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            summary: summary.into(),
            detail: detail.into(),
        }
    }

    /// The text clients receive: `"<summary>; <detail>"`, as Coder's `DiagnosticErrorString`
    /// renders it (even when the detail is empty).
    pub fn client_text(&self) -> String {
        format!("{}; {}", self.summary, self.detail)
    }
}

impl std::fmt::Display for ParameterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.summary, self.detail)
    }
}

/// Every failed check of a build's parameters, sorted by parameter name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unable to validate parameters")]
pub struct ParameterErrors {
    /// The errors, sorted by parameter name; one parameter may have several.
    pub errors: Vec<ParameterError>,
}

impl ParameterErrors {
    /// Wraps errors, sorting them by parameter name. The sort is stable, so the errors of one
    /// parameter keep the order the checks produced them in.
    pub fn new(mut errors: Vec<ParameterError>) -> Self {
        errors.sort_by(|a, b| a.name.cmp(&b.name));
        Self { errors }
    }

    /// One field error per failing parameter, as Coder's `Validations`: the detail is the
    /// first error's client text, followed by `, and N other diagnostic(s)` when there are
    /// more.
    pub fn field_errors(&self) -> Vec<FieldError> {
        let mut fields: Vec<FieldError> = Vec::new();
        let mut start = 0;
        while start < self.errors.len() {
            let name = &self.errors[start].name;
            let count = self.errors[start..]
                .iter()
                .take_while(|e| &e.name == name)
                .count();
            let first = self.errors[start].client_text();
            let detail = if count == 1 {
                first
            } else {
                format!("{first}, and {} other diagnostic(s)", count - 1)
            };
            fields.push(FieldError::new(name.clone(), detail));
            start += count;
        }
        fields
    }
}
