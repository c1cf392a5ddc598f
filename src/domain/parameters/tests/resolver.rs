//! The resolver's behaviours beyond the table: all errors at once and sorted, ephemeral
//! values, stored defaults, leftovers on start and stop, the preview, and more definition
//! rules.

use super::*;

#[test]
fn every_failing_parameter_is_reported_sorted_by_name() {
    let defs = [
        ParameterDefinition {
            name: "zeta".into(),
            ..param(ParameterType::String)
        },
        ParameterDefinition {
            name: "alpha".into(),
            ..param(ParameterType::Number)
        },
        ParameterDefinition {
            name: "mid".into(),
            ..param(ParameterType::String)
                .immutable()
                .options(&["a", "b"])
        },
        ParameterDefinition {
            name: "fine".into(),
            ..param(ParameterType::String).default("ok")
        },
    ];
    let previous = values(&[("mid", "a"), ("alpha", "1"), ("fine", "ok")]);
    let user = values(&[("alpha", "x"), ("mid", "c")]);
    let errors = resolve(
        &defs,
        &ResolveInput {
            first_build: false,
            is_start: true,
            previous: &previous,
            user: &user,
            preset: &[],
        },
    )
    .expect_err("three parameters fail");
    let names: Vec<&str> = errors.errors.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["alpha", "mid", "mid", "zeta"]);
    assert_eq!(errors.to_string(), "Unable to validate parameters");

    let fields = errors.field_errors();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|f| (f.field.as_str(), f.detail.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "alpha",
                r#"Parameter value is not of type "number"; "x" is not a number"#
            ),
            (
                "mid",
                r#"Immutable parameter changed; Parameter "mid" is not mutable, so it can't be updated after creating a workspace., and 1 other diagnostic(s)"#
            ),
            (
                "zeta",
                r#"Required parameter not provided; Parameter "zeta" is required but not provided"#
            ),
        ]
    );
}

#[test]
fn an_ephemeral_value_lasts_one_build() {
    let defs = [param(ParameterType::String).default("d").ephemeral()];
    let build = |previous: &[BuildParameter], user: &[BuildParameter]| {
        resolve(
            &defs,
            &ResolveInput {
                first_build: false,
                is_start: true,
                previous,
                user,
                preset: &[],
            },
        )
        .expect("valid")
    };
    // Supplied now: used now.
    let first = build(&values(&[("p", "d")]), &values(&[("p", "x")]));
    assert_eq!(first, values(&[("p", "x")]));
    // Not supplied on the next build: back to the default, though "x" was stored.
    assert_eq!(build(&first, &[]), values(&[("p", "d")]));
}

#[test]
fn a_default_is_stored_and_outlives_a_changed_default() {
    let old = [param(ParameterType::String).default("us-west")];
    let first = resolve(
        &old,
        &ResolveInput {
            first_build: true,
            is_start: true,
            previous: &[],
            user: &[],
            preset: &[],
        },
    )
    .expect("valid");
    assert_eq!(first, values(&[("p", "us-west")]));

    let new = [param(ParameterType::String).default("us-east")];
    let input = ResolveInput {
        first_build: false,
        is_start: true,
        previous: &first,
        user: &[],
        preset: &[],
    };
    assert_eq!(
        resolve(&new, &input).expect("valid"),
        values(&[("p", "us-west")])
    );
    let previewed = preview(&new, &input);
    assert_eq!(previewed[0].source, ValueSource::Previous);
}

#[test]
fn leftover_values_are_dropped_on_start_and_kept_on_stop() {
    let defs = [
        ParameterDefinition {
            name: "b".into(),
            ..param(ParameterType::String).default("b0")
        },
        ParameterDefinition {
            name: "a".into(),
            ..param(ParameterType::String).default("a0")
        },
    ];
    let previous = values(&[("gone", "1"), ("a", "a1"), ("also-gone", "2")]);
    let user = values(&[("typo", "3"), ("gone", "4")]);
    let input = |is_start| ResolveInput {
        first_build: false,
        is_start,
        previous: &previous,
        user: &user,
        preset: &[],
    };

    let started = resolve(&defs, &input(true)).expect("valid");
    assert_eq!(started, values(&[("b", "b0"), ("a", "a1")]));

    let stopped = resolve(&defs, &input(false)).expect("valid");
    assert_eq!(
        stopped,
        values(&[
            ("b", "b0"),
            ("a", "a1"),
            ("gone", "4"),
            ("also-gone", "2"),
            ("typo", "3")
        ])
    );
}

#[test]
fn the_preview_shows_values_sources_and_the_same_errors() {
    let defs = [
        ParameterDefinition {
            name: "from-preset".into(),
            ..param(ParameterType::String)
        },
        ParameterDefinition {
            name: "from-user".into(),
            ..param(ParameterType::Number)
        },
        ParameterDefinition {
            name: "from-previous".into(),
            ..param(ParameterType::String)
        },
        ParameterDefinition {
            name: "from-default".into(),
            ..param(ParameterType::Bool).default("true")
        },
        ParameterDefinition {
            name: "missing".into(),
            ..param(ParameterType::String)
        },
    ];
    let previous = values(&[("from-previous", "kept"), ("from-preset", "old")]);
    let user = values(&[("from-user", "x"), ("from-preset", "mine")]);
    let preset = values(&[("from-preset", "preset")]);
    let input = ResolveInput {
        first_build: false,
        is_start: true,
        previous: &previous,
        user: &user,
        preset: &preset,
    };

    let previewed = preview(&defs, &input);
    let shown: Vec<(&str, Option<&str>, ValueSource, usize)> = previewed
        .iter()
        .map(|p| {
            (
                p.definition.name.as_str(),
                p.value.as_deref(),
                p.source,
                p.diagnostics.len(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("from-preset", Some("preset"), ValueSource::Preset, 0),
            ("from-user", Some("x"), ValueSource::User, 1),
            ("from-previous", Some("kept"), ValueSource::Previous, 0),
            ("from-default", Some("true"), ValueSource::Default, 0),
            ("missing", None, ValueSource::None, 1),
        ]
    );

    let errors = resolve(&defs, &input).expect_err("two parameters fail");
    let mut from_preview: Vec<ParameterError> =
        previewed.into_iter().flat_map(|p| p.diagnostics).collect();
    from_preview.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(errors.errors, from_preview);
}

#[test]
fn a_default_that_fails_is_worded_as_the_default() {
    // A template whose default broke after import: the value comes from the default.
    let defs = [param(ParameterType::String)
        .default("z")
        .options(&["a", "b"])];
    let errors = run(&defs, Inputs::none()).expect_err("default is not an option");
    assert_eq!(
        texts(&errors),
        [
            r#"Default value must be a valid option; the value "z" must be defined as one of options"#
        ]
    );
    let errors = run(&defs, Inputs::user("")).expect_err("empty is not an option");
    assert_eq!(
        texts(&errors),
        [
            r#"Value must be a valid option. The value is empty, did you forget to set it with a default or from user input?; the value "" must be defined as one of options"#
        ]
    );
}

#[test]
fn definition_rules_beyond_the_table() {
    let valid = param(ParameterType::Number)
        .default("4")
        .validation(ParameterValidation {
            monotonic: Some(Monotonic::Increasing),
            ..min_max(Some(1), Some(9))
        })
        .form(FormType::Slider);
    assert!(validate_definition(&valid).is_empty());

    let ephemeral = param(ParameterType::String).ephemeral();
    assert_eq!(
        validate_definition(&ephemeral),
        ["ephemeral parameter requires the default property"]
    );

    let conflicting = param(ParameterType::Number).validation(ParameterValidation {
        regex: Some("x".into()),
        error: "e".into(),
        ..min_max(Some(1), None)
    });
    assert_eq!(
        validate_definition(&conflicting),
        [
            r#""validation.0.regex": conflicts with validation.0.min"#,
            "a regex cannot be specified for a number type",
        ]
    );

    let slider = param(ParameterType::String).form(FormType::Slider);
    assert_eq!(
        validate_definition(&slider),
        [
            r#"Invalid form_type for parameter; value type "slider" is not supported for 'form_types'"#
        ]
    );

    let names = param(ParameterType::String).options(&["a", "b"]);
    let names = ParameterDefinition {
        options: names
            .options
            .iter()
            .map(|o| ParameterOption {
                name: "same".into(),
                ..o.clone()
            })
            .collect(),
        ..names
    };
    assert_eq!(
        validate_definition(&names),
        [r#"Option names must be unique.; multiple options found with the same name "same""#]
    );

    let list_options = param(ParameterType::ListString)
        .default(r#"["a"]"#)
        .options(&[r#"["a"]"#, "b"]);
    assert_eq!(
        validate_definition(&list_options),
        [
            r#"Option "opt1" with value="b" is not of type "list(string)"; value "b" is not a valid list of strings"#
        ]
    );
}

#[test]
fn effective_form_types() {
    assert_eq!(
        param(ParameterType::Bool).effective_form_type(),
        Some(FormType::Checkbox)
    );
    assert_eq!(
        param(ParameterType::Bool)
            .form(FormType::Slider)
            .effective_form_type(),
        None
    );
}
