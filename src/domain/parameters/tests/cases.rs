//! The concrete cases of docs/rules/templates-and-parameters.md, one row each; a sub-case gets a
//! letter. Definition-level cases go through `validate_definition`, value cases through
//! `resolve`, and each asserts the exact messages or the stored value.

use super::*;

/// What a case expects.
enum Expect {
    /// validate_definition gives exactly these messages.
    Definition(&'static [&'static str]),
    /// resolve stores this value for "p".
    Value(&'static str),
    /// resolve fails with exactly these client texts.
    Errors(&'static [&'static str]),
}

fn cases() -> Vec<(&'static str, ParameterDefinition, Inputs, Expect)> {
    use Expect::*;
    use ParameterType::*;
    vec![
        (
            "1",
            param(String),
            Inputs::none(),
            Errors(&[
                r#"Required parameter not provided; Parameter "p" is required but not provided"#,
            ]),
        ),
        (
            "2",
            param(Number)
                .default("5")
                .validation(min_max(Some(3), Some(7))),
            Inputs::none(),
            Value("5"),
        ),
        (
            "3",
            param(Number)
                .default("5")
                .validation(min_max(Some(10), None)),
            Inputs::none(),
            Definition(&[
                "Invalid parameter default value according to 'validation' block; value 5 is less than the minimum 10",
            ]),
        ),
        (
            "4",
            param(Number)
                .default("5")
                .options(&["1", "3", "7", "9"])
                .validation(min_max(Some(2), Some(6))),
            Inputs::none(),
            Definition(&[
                r#"Default value must be a valid option; the value "5" must be defined as one of options"#,
            ]),
        ),
        (
            "5",
            param(Number).default("a"),
            Inputs::none(),
            Definition(&[r#"Parameter value is not of type "number"; "a" is not a number"#]),
        ),
        (
            "6",
            param(Number).default("1").options(&["1", "a", "2"]),
            Inputs::none(),
            Definition(&[
                r#"Option "opt1" with value="a" is not of type "number"; "a" is not a number"#,
            ]),
        ),
        (
            "7",
            param(String)
                .default("hello")
                .validation(regex("world", "must say world")),
            Inputs::none(),
            Definition(&[
                r#"Invalid parameter default value according to 'validation' block; must say world (value "hello" does not match "world")"#,
            ]),
        ),
        (
            "8",
            param(String).validation(regex("x", "")),
            Inputs::user("x"),
            Definition(&["an error must be specified with a regex validation"]),
        ),
        (
            "8b",
            param(String).validation(regex("x", "")),
            Inputs::user("x"),
            Errors(&[
                "Invalid parameter value according to 'validation' block; an error must be specified with a regex validation",
            ]),
        ),
        (
            "9",
            param(String).options(&["a", "b", "c", "c"]),
            Inputs::user("c"),
            Definition(&[
                r#"Option values must be unique.; multiple options found with the same value "c""#,
            ]),
        ),
        (
            "9b",
            param(String).options(&["a", "b", "c", "c"]),
            Inputs::user("c"),
            Errors(&[
                r#"Option values must be unique.; multiple options found with the same value "c""#,
            ]),
        ),
        (
            "10",
            param(String)
                .options(&["a", "b", "c", "d", "e"])
                .validation(regex("[a-c]", "a to c")),
            Inputs::user("c"),
            Value("c"),
        ),
        (
            "11",
            param(String).options(&["a", "b", "d", "e"]),
            Inputs::user("c"),
            Errors(&[
                r#"Value must be a valid option; the value "c" must be defined as one of options"#,
            ]),
        ),
        (
            "12",
            param(String)
                .options(&["a", "b", "c", "d", "e"])
                .validation(min_max(Some(1), Some(10))),
            Inputs::user("c"),
            Definition(&["a min cannot be specified for a string type"]),
        ),
        (
            "12b",
            param(String)
                .options(&["a", "b", "c", "d", "e"])
                .validation(min_max(Some(1), Some(10))),
            Inputs::user("c"),
            Errors(&[
                "Invalid parameter value according to 'validation' block; a min cannot be specified for a string type",
            ]),
        ),
        (
            "13",
            param(Number).validation(min_max(Some(1), Some(3))),
            Inputs::user("5"),
            Errors(&[
                "Invalid parameter value according to 'validation' block; value 5 is more than the maximum 3",
            ]),
        ),
        (
            "14",
            param(Number).validation(ParameterValidation {
                error: "{value} not in {min}-{max}".into(),
                ..min_max(Some(1), Some(3))
            }),
            Inputs::user("5"),
            Errors(&["Invalid parameter value according to 'validation' block; 5 not in 1-3"]),
        ),
        (
            "15a",
            param(Number),
            Inputs::user("a"),
            Errors(&[r#"Parameter value is not of type "number"; "a" is not a number"#]),
        ),
        (
            "15b",
            param(Number).validation(min_max(Some(1), Some(3))),
            Inputs::user("a"),
            Errors(&[
                r#"Invalid parameter value according to 'validation' block; value "a" is not a number"#,
            ]),
        ),
        ("15c", param(Number), Inputs::user("1.5"), Value("1.5")),
        (
            "16a",
            param(Bool),
            Inputs::user("yes"),
            Errors(&[r#"Parameter value is not of type "bool"; "yes" is not a bool"#]),
        ),
        ("16b", param(Bool), Inputs::user("True"), Value("True")),
        (
            "16c",
            param(Bool).validation(ParameterValidation::default()),
            Inputs::user("True"),
            Errors(&[
                r#"Invalid parameter value according to 'validation' block; boolean value can be either "true" or "false""#,
            ]),
        ),
        (
            "17",
            param(ListString),
            Inputs::user("c"),
            Errors(&[
                r#"Parameter value is not of type "list(string)"; value "c" is not a valid list of strings"#,
            ]),
        ),
        (
            "18",
            param(ListString).validation(regex("[a-c]", "a to c")),
            Inputs::user(r#"["c"]"#),
            Definition(&["a regex cannot be specified for a list(string) type"]),
        ),
        (
            "18b",
            param(ListString).validation(regex("[a-c]", "a to c")),
            Inputs::user(r#"["c"]"#),
            Errors(&[
                "Invalid parameter value according to 'validation' block; a regex cannot be specified for a list(string) type",
            ]),
        ),
        (
            "19a",
            param(ListString)
                .form(FormType::MultiSelect)
                .options(&["c", "d", "e"]),
            Inputs::user(r#"["c"]"#),
            Value(r#"["c"]"#),
        ),
        (
            "19b",
            param(ListString)
                .form(FormType::MultiSelect)
                .options(&["c", "d", "e"]),
            Inputs::user(r#"["c","x"]"#),
            Errors(&[
                r#"Values must be a valid option; Value "[\"c\",\"x\"]" is not a valid option, values "x" are missing from the options"#,
            ]),
        ),
        (
            "20",
            param(Number).validation(monotonic(Monotonic::Increasing)),
            Inputs {
                previous: Some("10"),
                ..Inputs::user("5")
            },
            Errors(&[
                r#"Parameter "p" monotonicity; parameter value '5' must be equal or greater than previous value: 10"#,
            ]),
        ),
        (
            "21",
            param(Number).validation(monotonic(Monotonic::Decreasing)),
            Inputs {
                previous: Some("5"),
                ..Inputs::user("10")
            },
            Errors(&[
                r#"Parameter "p" monotonicity; parameter value '10' must be equal or lower than previous value: 5"#,
            ]),
        ),
        (
            "22a",
            param(Number).validation(monotonic(Monotonic::Increasing)),
            Inputs {
                previous: Some("10"),
                first_build: Some(true),
                ..Inputs::user("5")
            },
            Value("5"),
        ),
        (
            "22b",
            param(Number).validation(monotonic(Monotonic::Increasing)),
            Inputs {
                first_build: Some(false),
                ..Inputs::user("5")
            },
            Value("5"),
        ),
        (
            "22c",
            param(Number).validation(monotonic(Monotonic::Increasing)),
            Inputs {
                previous: Some("ten"),
                ..Inputs::user("5")
            },
            Value("5"),
        ),
        (
            "23",
            param(String).immutable(),
            Inputs {
                previous: Some("foo"),
                ..Inputs::user("bar")
            },
            Errors(&[
                r#"Immutable parameter changed; Parameter "p" is not mutable, so it can't be updated after creating a workspace."#,
            ]),
        ),
        (
            "24",
            param(String).immutable(),
            Inputs {
                first_build: Some(false),
                ..Inputs::user("bar")
            },
            Value("bar"),
        ),
        (
            "25",
            param(String).default("d").ephemeral(),
            Inputs {
                previous: Some("x"),
                ..Inputs::none()
            },
            Value("d"),
        ),
        (
            "26",
            param(String).default("us-east"),
            Inputs {
                previous: Some("us-west"),
                ..Inputs::none()
            },
            Value("us-west"),
        ),
        (
            "27",
            param(String).default("d").immutable().ephemeral(),
            Inputs::none(),
            Definition(&["parameter can't be immutable and ephemeral"]),
        ),
        (
            "28",
            param(String),
            Inputs {
                preset: Some("a"),
                ..Inputs::user("b")
            },
            Value("a"),
        ),
    ]
}

#[test]
fn the_reference_cases() {
    let mut covered: Vec<u32> = cases()
        .iter()
        .filter_map(|(id, ..)| id.trim_end_matches(char::is_alphabetic).parse().ok())
        .collect();
    covered.dedup();
    assert_eq!(
        covered,
        (1..=28).collect::<Vec<u32>>(),
        "every case, in order"
    );

    for (id, def, inputs, expect) in cases() {
        match expect {
            Expect::Definition(messages) => {
                assert_eq!(validate_definition(&def), messages, "case {id}");
            }
            Expect::Value(value) => {
                assert_eq!(
                    validate_definition(&def),
                    Vec::<std::string::String>::new(),
                    "case {id}: definition"
                );
                let stored = run(std::slice::from_ref(&def), inputs)
                    .unwrap_or_else(|e| panic!("case {id}: {:?}", texts(&e)));
                assert_eq!(stored, values(&[("p", value)]), "case {id}");
            }
            Expect::Errors(messages) => {
                let errors = run(std::slice::from_ref(&def), inputs)
                    .expect_err(&format!("case {id} should fail"));
                assert_eq!(texts(&errors), messages, "case {id}");
            }
        }
    }
}
