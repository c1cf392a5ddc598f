//! The provider's `form_type` truth table: which form types a parameter type allows, with and
//! without options, and which type option values must then have.

use super::{FormType, ParameterDefinition, ParameterError, ParameterType};
use crate::domain::go_quote::go_quote;

/// How a parameter is rendered, and the type its option values are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Form {
    /// The declared form type, or the type's default.
    pub form_type: FormType,
    /// The type of each option value. It differs from the parameter's type only for a
    /// multi-select list(string), whose options are the single strings the list may hold.
    pub option_type: ParameterType,
}

/// The form types allowed for a type with or without options; the first is the default.
fn allowed(kind: ParameterType, has_options: bool) -> &'static [FormType] {
    use FormType::*;
    match (kind, has_options) {
        (ParameterType::String, true) | (ParameterType::Number, true) => &[Radio, Dropdown],
        (ParameterType::String, false) => &[Input, Textarea],
        (ParameterType::Number, false) => &[Input, Slider],
        (ParameterType::Bool, true) => &[Radio],
        (ParameterType::Bool, false) => &[Checkbox, Switch],
        (ParameterType::ListString, true) => &[Radio, MultiSelect],
        (ParameterType::ListString, false) => &[TagInput],
    }
}

/// The form of a definition, or the provider's error when its form type does not fit.
pub(crate) fn resolve_form(def: &ParameterDefinition) -> Result<Form, ParameterError> {
    let allowed = allowed(def.kind, !def.options.is_empty());
    let form_type = match def.form_type {
        Some(declared) if allowed.contains(&declared) => declared,
        Some(declared) => {
            return Err(ParameterError::new(
                &def.name,
                "Invalid form_type for parameter",
                format!(
                    "value type {} is not supported for 'form_types'",
                    go_quote(declared.as_str())
                ),
            ));
        }
        // Every type has at least one allowed form type, so the table's first entry exists.
        None => allowed[0],
    };
    let option_type = match (def.kind, form_type) {
        (ParameterType::ListString, FormType::MultiSelect) => ParameterType::String,
        (kind, _) => kind,
    };
    Ok(Form {
        form_type,
        option_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(
        kind: ParameterType,
        options: usize,
        form_type: Option<FormType>,
    ) -> ParameterDefinition {
        ParameterDefinition {
            name: "p".into(),
            kind,
            form_type,
            options: (0..options)
                .map(|i| super::super::ParameterOption {
                    name: i.to_string(),
                    value: i.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_follow_the_truth_table() {
        let cases = [
            (ParameterType::String, 1, FormType::Radio),
            (ParameterType::String, 0, FormType::Input),
            (ParameterType::Number, 1, FormType::Radio),
            (ParameterType::Number, 0, FormType::Input),
            (ParameterType::Bool, 1, FormType::Radio),
            (ParameterType::Bool, 0, FormType::Checkbox),
            (ParameterType::ListString, 1, FormType::Radio),
            (ParameterType::ListString, 0, FormType::TagInput),
        ];
        for (kind, options, expected) in cases {
            let form = resolve_form(&def(kind, options, None)).expect("default form type");
            assert_eq!(form.form_type, expected, "{kind:?} with {options} options");
            assert_eq!(form.option_type, kind);
        }
    }

    #[test]
    fn multi_select_options_are_strings() {
        let form = resolve_form(&def(
            ParameterType::ListString,
            2,
            Some(FormType::MultiSelect),
        ))
        .expect("multi-select fits list(string) with options");
        assert_eq!(form.option_type, ParameterType::String);
    }

    #[test]
    fn a_form_type_outside_the_table_fails() {
        let err = resolve_form(&def(ParameterType::String, 0, Some(FormType::Slider)))
            .expect_err("slider does not fit string");
        assert_eq!(
            err.client_text(),
            "Invalid form_type for parameter; value type \"slider\" is not supported for 'form_types'"
        );
        assert!(resolve_form(&def(ParameterType::Bool, 2, Some(FormType::Switch))).is_err());
        assert!(resolve_form(&def(ParameterType::Number, 0, Some(FormType::Slider))).is_ok());
    }
}
