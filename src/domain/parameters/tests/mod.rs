//! Tests of the parameters module: the cases of docs/rules/templates-and-parameters.md as one
//! table (`cases`), and the resolver's behaviours around them (`resolver`). This file holds
//! the builders both use.

mod cases;
mod resolver;

use super::*;

/// A parameter named "p" of the given type; the builder methods below fill in the rest.
fn param(kind: ParameterType) -> ParameterDefinition {
    ParameterDefinition {
        name: "p".into(),
        kind,
        mutable: true,
        ..Default::default()
    }
}

trait Build {
    fn default(self, v: &str) -> Self;
    fn options(self, values: &[&str]) -> Self;
    fn validation(self, v: ParameterValidation) -> Self;
    fn immutable(self) -> Self;
    fn ephemeral(self) -> Self;
    fn form(self, f: FormType) -> Self;
}

impl Build for ParameterDefinition {
    fn default(mut self, v: &str) -> Self {
        self.default = Some(v.into());
        self
    }
    /// Options named opt0, opt1, … so that a duplicate value is not also a duplicate name.
    fn options(mut self, values: &[&str]) -> Self {
        self.options = values
            .iter()
            .enumerate()
            .map(|(i, v)| ParameterOption {
                name: format!("opt{i}"),
                value: (*v).into(),
                ..Default::default()
            })
            .collect();
        self
    }
    fn validation(mut self, v: ParameterValidation) -> Self {
        self.validation = Some(v);
        self
    }
    fn immutable(mut self) -> Self {
        self.mutable = false;
        self
    }
    fn ephemeral(mut self) -> Self {
        self.ephemeral = true;
        self
    }
    fn form(mut self, f: FormType) -> Self {
        self.form_type = Some(f);
        self
    }
}

fn min_max(min: Option<i64>, max: Option<i64>) -> ParameterValidation {
    ParameterValidation {
        min,
        max,
        ..Default::default()
    }
}

fn regex(re: &str, error: &str) -> ParameterValidation {
    ParameterValidation {
        regex: Some(re.into()),
        error: error.into(),
        ..Default::default()
    }
}

fn monotonic(m: Monotonic) -> ParameterValidation {
    ParameterValidation {
        monotonic: Some(m),
        ..Default::default()
    }
}

fn values(pairs: &[(&str, &str)]) -> Vec<BuildParameter> {
    pairs
        .iter()
        .map(|(n, v)| BuildParameter::new(*n, *v))
        .collect()
}

/// The inputs of a build of parameter "p"; a first build unless a previous value exists.
#[derive(Default, Clone, Copy)]
struct Inputs {
    previous: Option<&'static str>,
    user: Option<&'static str>,
    preset: Option<&'static str>,
    first_build: Option<bool>,
}

impl Inputs {
    fn user(v: &'static str) -> Self {
        Self {
            user: Some(v),
            ..Self::default()
        }
    }
    fn none() -> Self {
        Self::default()
    }
}

/// Resolves "p" on a start build with the given inputs.
fn run(
    defs: &[ParameterDefinition],
    inputs: Inputs,
) -> Result<Vec<BuildParameter>, ParameterErrors> {
    let one = |v: Option<&str>| v.map(|v| values(&[("p", v)])).unwrap_or_default();
    let (previous, user, preset) = (one(inputs.previous), one(inputs.user), one(inputs.preset));
    resolve(
        defs,
        &ResolveInput {
            first_build: inputs.first_build.unwrap_or(inputs.previous.is_none()),
            is_start: true,
            previous: &previous,
            user: &user,
            preset: &preset,
        },
    )
}

fn texts(errors: &ParameterErrors) -> Vec<String> {
    errors
        .errors
        .iter()
        .map(ParameterError::client_text)
        .collect()
}
