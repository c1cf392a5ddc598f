//! Every kind of import error, each with its file and line, all collected in one pass.

use super::{MAIN_TF, import_errors, sources};
use crate::domain::template::import::{ImportError, ImportErrors, parse_template};

#[test]
fn a_template_without_tf_files_is_refused() {
    let result = parse_template(&sources(&[
        ("README.md", "# hello"),
        ("main.tf.json", "{}"),
    ]));
    assert_eq!(
        result,
        Err(ImportErrors {
            errors: vec![ImportError {
                file: String::new(),
                line: 0,
                attribute: String::new(),
                message: "the template has no .tf files".into(),
            }],
        })
    );
    assert!(parse_template(&[]).is_err());
}

#[test]
fn syntax_errors_name_file_and_line_and_other_files_are_still_read() {
    let errors = import_errors(&[
        ("main.tf", MAIN_TF),
        (
            "broken.tf",
            "data \"coder_parameter\" \"a\" {\n  name = \"a\"\n  default = \n}\n",
        ),
        (
            "dup.tf",
            "data \"coder_parameter\" \"d\" {\n  name = \"d\"\n  name = \"d2\"\n}\n",
        ),
        (
            "params.tf",
            "data \"coder_parameter\" \"b\" {\n  name = \"b\"\n  type = \"text\"\n}\n",
        ),
    ]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    // The parser stops where the value should have been.
    assert!(
        errors[0].starts_with("broken.tf:3: syntax: invalid expression"),
        "{}",
        errors[0]
    );
    // HCL forbids setting an attribute twice; the parser reports it.
    assert_eq!(
        errors[1],
        "dup.tf:3: syntax: invalid attribute; expected unique attribute key; found redefined \
         attribute"
    );
    assert_eq!(
        errors[2],
        "params.tf:3: data.coder_parameter.b.type: unknown type \"text\"; expected string, \
         number, bool or list(string)"
    );
}

#[test]
fn attribute_errors_are_all_reported_in_file_and_line_order() {
    let errors = import_errors(&[
        (
            "b.tf",
            r#"data "coder_parameter" "p" {
  display_name = "P"
  form_type    = "combobox"
  mutable      = "yes"
  order        = 3000000000
  icon         = ["x"]
  validation {
    monotonic = "up"
    min       = 1.5
  }
  validation {
    max = 3
  }
  option {
    value = "v"
  }
  option {
    name = "n"
  }
  dynamic "option" {
    for_each = ["a"]
    content {
      name  = option.value
      value = option.value
    }
  }
}
"#,
        ),
        (
            "a.tf",
            r#"
data "coder_parameter" "q" {
  name    = "q"
  default = { a = 1 }
}
"#,
        ),
    ]);
    let p = "data.coder_parameter.p";
    assert_eq!(
        errors,
        [
            "a.tf:4: data.coder_parameter.q.default: expected a string, found an object".to_owned(),
            format!("b.tf:1: {p}.name: is required"),
            format!(
                "b.tf:3: {p}.form_type: unknown value \"combobox\"; expected one of radio, \
                 dropdown, input, textarea, slider, checkbox, switch, multi-select, tag-input"
            ),
            format!("b.tf:4: {p}.mutable: expected a bool, found a string"),
            format!("b.tf:5: {p}.order: 3000000000 is out of range"),
            format!("b.tf:6: {p}.icon: expected a string, found a list"),
            format!(
                "b.tf:8: {p}.validation.monotonic: unknown value \"up\"; expected one of \
                 increasing, decreasing"
            ),
            format!("b.tf:9: {p}.validation.min: expected a whole number, found 1.5"),
            format!(
                "b.tf:11: {p}.validation: only one `validation` block is allowed (first at line 7)"
            ),
            format!("b.tf:14: {p}.option.name: is required"),
            format!("b.tf:17: {p}.option.value: is required"),
            format!(
                "b.tf:20: {p}.dynamic: dynamic blocks are not supported; write the `option` \
                 blocks out"
            ),
        ]
    );
}

#[test]
fn duplicate_names_and_addresses_across_files_are_refused() {
    let errors = import_errors(&[
        (
            "one.tf",
            r#"variable "region" {
  default = "eu"
}
locals {
  size = 1
}
data "coder_parameter" "region" {
  name = "region"
}
data "coder_workspace_preset" "small" {
  name = "Small"
}
resource "coder_agent" "main" {}
"#,
        ),
        (
            "two.tf",
            r#"variable "region" {}
locals {
  size = 2
}
data "coder_parameter" "region_again" {
  name = "region"
}
data "coder_workspace_preset" "tiny" {
  name = "Small"
}
resource "coder_agent" "main" {}
data "coder_parameter" "region" {
  name = "other"
}
"#,
        ),
    ]);
    assert_eq!(
        errors,
        [
            "two.tf:1: variable.region: is already declared at one.tf:1",
            "two.tf:3: local.size: is already declared at one.tf:5",
            "two.tf:6: data.coder_parameter.region_again.name: name \"region\" is already \
             declared at one.tf:8",
            "two.tf:9: data.coder_workspace_preset.tiny.name: name \"Small\" is already declared \
             at one.tf:11",
            "two.tf:11: coder_agent.main: is already declared at one.tf:13",
            "two.tf:12: data.coder_parameter.region: is already declared at one.tf:7",
        ]
    );
}

#[test]
fn for_each_and_counts_other_than_zero_or_one_are_refused() {
    let errors = import_errors(&[(
        "main.tf",
        r#"data "coder_parameter" "a" {
  for_each = toset(["x", "y"])
  name     = each.key
}
data "coder_parameter" "b" {
  count = 2
  name  = "b"
}
data "coder_workspace_preset" "c" {
  count = data.coder_workspace.me.start_count
  name  = "C"
}
"#,
    )]);
    assert_eq!(
        errors,
        [
            "main.tf:2: data.coder_parameter.a.for_each: for_each is not supported; declare each \
             block separately",
            "main.tf:6: data.coder_parameter.b.count: count must be 0 or 1, found 2",
            "main.tf:10: data.coder_workspace_preset.c.count: reference \
             `data.coder_workspace.me.start_count` is not allowed; values must be literals, \
             var.NAME or local.NAME",
        ]
    );
}

#[test]
fn errors_display_as_file_line_attribute_message() {
    let error = ImportError {
        file: "main.tf".into(),
        line: 12,
        attribute: "data.coder_parameter.region.default".into(),
        message: "is required".into(),
    };
    assert_eq!(
        error.to_string(),
        "main.tf:12: data.coder_parameter.region.default: is required"
    );
    let errors = ImportErrors {
        errors: vec![error.clone(), error],
    };
    assert_eq!(
        errors.to_string(),
        "main.tf:12: data.coder_parameter.region.default: is required\n\
         main.tf:12: data.coder_parameter.region.default: is required"
    );
}
