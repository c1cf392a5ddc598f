//! Every `coder_parameter` attribute, as written in real templates.

use super::{MAIN_TF, import};
use crate::domain::parameters::{
    FormType, Monotonic, ParameterDefinition, ParameterOption, ParameterType, ParameterValidation,
};

const PARAMETERS_TF: &str = r#"
data "coder_parameter" "region" {
  name         = "region"
  display_name = "Region"
  description  = "Where the workspace runs."
  type         = "string"
  default      = "eu-west"
  mutable      = false
  icon         = "/emojis/1f30e.png"
  order        = 1
  form_type    = "dropdown"

  option {
    name        = "Europe"
    value       = "eu-west"
    description = "Frankfurt"
    icon        = "/emojis/1f1ea-1f1fa.png"
  }
  option {
    name  = "United States"
    value = "us-east"
  }
}

data "coder_parameter" "cpu" {
  name    = "cpu"
  type    = "number"
  default = 4
  mutable = true
  order   = 2
  form_type = "slider"
  validation {
    min       = 2
    max       = 16
    monotonic = "increasing"
    error     = "Between {min} and {max} cores, got {value}"
  }
}

data "coder_parameter" "dotfiles_uri" {
  name        = "dotfiles_uri"
  description = <<-EOT
    A Git repository with your dotfiles.
    Leave empty to skip.
  EOT
  default     = ""
  mutable     = true
  order       = 3
  form_type   = "textarea"
  validation {
    regex = "^(https://|$)"
    error = "Use an https URL"
  }
}

data "coder_parameter" "ides" {
  name      = "ides"
  type      = "list(string)"
  default   = jsonencode(["vscode", "jetbrains"])
  mutable   = true
  order     = 3
  form_type = "multi-select"
  option {
    name  = "VS Code"
    value = "vscode"
  }
  option {
    name  = "JetBrains"
    value = "jetbrains"
  }
}

data "coder_parameter" "fresh_home" {
  name      = "fresh_home"
  type      = "bool"
  default   = true
  mutable   = true
  ephemeral = true
  form_type = "switch"
}

data "coder_parameter" "project" {
  name = "project"
}
"#;

fn by_name<'a>(parameters: &'a [ParameterDefinition], name: &str) -> &'a ParameterDefinition {
    parameters
        .iter()
        .find(|parameter| parameter.name == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

#[test]
fn every_attribute_of_a_realistic_template_is_read() {
    let import = import(&[("main.tf", MAIN_TF), ("parameters.tf", PARAMETERS_TF)]);
    let p = &import.parameters;

    assert_eq!(
        by_name(p, "region"),
        &ParameterDefinition {
            name: "region".into(),
            display_name: "Region".into(),
            description: "Where the workspace runs.".into(),
            kind: ParameterType::String,
            default: Some("eu-west".into()),
            mutable: false,
            ephemeral: false,
            options: vec![
                ParameterOption {
                    name: "Europe".into(),
                    value: "eu-west".into(),
                    description: "Frankfurt".into(),
                    icon: "/emojis/1f1ea-1f1fa.png".into(),
                },
                ParameterOption {
                    name: "United States".into(),
                    value: "us-east".into(),
                    description: String::new(),
                    icon: String::new(),
                },
            ],
            validation: None,
            form_type: Some(FormType::Dropdown),
            order: 1,
            icon: "/emojis/1f30e.png".into(),
        }
    );
    assert_eq!(
        by_name(p, "cpu"),
        &ParameterDefinition {
            name: "cpu".into(),
            kind: ParameterType::Number,
            default: Some("4".into()),
            mutable: true,
            validation: Some(ParameterValidation {
                min: Some(2),
                max: Some(16),
                monotonic: Some(Monotonic::Increasing),
                regex: None,
                error: "Between {min} and {max} cores, got {value}".into(),
            }),
            form_type: Some(FormType::Slider),
            order: 2,
            ..ParameterDefinition::default()
        }
    );
    let dotfiles = by_name(p, "dotfiles_uri");
    assert_eq!(
        dotfiles.description,
        "A Git repository with your dotfiles.\nLeave empty to skip.\n"
    );
    assert_eq!(dotfiles.default.as_deref(), Some(""));
    assert_eq!(dotfiles.form_type, Some(FormType::Textarea));
    assert_eq!(
        dotfiles.validation,
        Some(ParameterValidation {
            regex: Some("^(https://|$)".into()),
            error: "Use an https URL".into(),
            ..ParameterValidation::default()
        })
    );
    let ides = by_name(p, "ides");
    assert_eq!(ides.kind, ParameterType::ListString);
    assert_eq!(ides.default.as_deref(), Some(r#"["vscode","jetbrains"]"#));
    assert_eq!(ides.form_type, Some(FormType::MultiSelect));
    assert_eq!(ides.options.len(), 2);
    let fresh_home = by_name(p, "fresh_home");
    assert_eq!(fresh_home.kind, ParameterType::Bool);
    assert_eq!(fresh_home.default.as_deref(), Some("true"));
    assert!(fresh_home.mutable && fresh_home.ephemeral);
    assert_eq!(fresh_home.form_type, Some(FormType::Switch));
    // Nothing but a name: a required string parameter at order 0.
    assert_eq!(
        by_name(p, "project"),
        &ParameterDefinition {
            name: "project".into(),
            ..ParameterDefinition::default()
        }
    );
    assert!(by_name(p, "project").required());
}

#[test]
fn parameters_are_sorted_by_order_then_name() {
    let import = import(&[("main.tf", MAIN_TF), ("parameters.tf", PARAMETERS_TF)]);
    let names: Vec<&str> = import.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fresh_home",
            "project",
            "region",
            "cpu",
            "dotfiles_uri",
            "ides"
        ]
    );
}

#[test]
fn values_written_as_numbers_bools_and_lists_become_strings() {
    let import = import(&[(
        "main.tf",
        r#"
data "coder_parameter" "size" {
  name    = "size"
  type    = "number"
  default = -1.5
  order   = -2
  validation {
    min = -10
    max = "10"
  }
  option {
    name  = "small"
    value = 1
  }
  option {
    name  = "big"
    value = 2.5
  }
}

data "coder_parameter" "gpu" {
  name    = "gpu"
  type    = "bool"
  default = false
  mutable = "true"
  option {
    name  = "yes"
    value = true
  }
}

data "coder_parameter" "tags" {
  name    = "tags"
  type    = "list(string)"
  default = ["a", "b c"]
  order   = "3"
}

data "coder_parameter" "nothing" {
  name    = "nothing"
  default = null
  icon    = null
}
"#,
    )]);
    let p = &import.parameters;
    let size = by_name(p, "size");
    assert_eq!(size.default.as_deref(), Some("-1.5"));
    assert_eq!(size.order, -2);
    let validation = size.validation.clone().unwrap_or_default();
    assert_eq!((validation.min, validation.max), (Some(-10), Some(10)));
    let values: Vec<&str> = size.options.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["1", "2.5"]);

    let gpu = by_name(p, "gpu");
    assert_eq!(gpu.default.as_deref(), Some("false"));
    assert!(gpu.mutable, "the string \"true\" converts to a bool");
    assert_eq!(gpu.options[0].value, "true");

    let tags = by_name(p, "tags");
    assert_eq!(tags.default.as_deref(), Some(r#"["a","b c"]"#));
    assert_eq!(tags.order, 3);

    // null is no value: no default makes the parameter required.
    let nothing = by_name(p, "nothing");
    assert_eq!(nothing.default, None);
    assert_eq!(nothing.icon, "");
}

#[test]
fn every_form_type_and_monotonic_spelling_is_accepted() {
    let form_types = [
        ("radio", FormType::Radio),
        ("dropdown", FormType::Dropdown),
        ("input", FormType::Input),
        ("textarea", FormType::Textarea),
        ("slider", FormType::Slider),
        ("checkbox", FormType::Checkbox),
        ("switch", FormType::Switch),
        ("multi-select", FormType::MultiSelect),
        ("tag-input", FormType::TagInput),
    ];
    let mut tf = String::new();
    for (index, (spelling, _)) in form_types.iter().enumerate() {
        let monotonic = if index % 2 == 0 {
            "increasing"
        } else {
            "decreasing"
        };
        tf.push_str(&format!(
            "data \"coder_parameter\" \"p{index}\" {{\n  name = \"p{index}\"\n  order = {index}\n  \
             form_type = \"{spelling}\"\n  validation {{\n    monotonic = \"{monotonic}\"\n  }}\n}}\n"
        ));
    }
    let import = import(&[("main.tf", &tf)]);
    for (index, (_, form_type)) in form_types.iter().enumerate() {
        let parameter = &import.parameters[index];
        assert_eq!(parameter.form_type, Some(*form_type));
        let expected = if index % 2 == 0 {
            Monotonic::Increasing
        } else {
            Monotonic::Decreasing
        };
        assert_eq!(
            parameter.validation.as_ref().and_then(|v| v.monotonic),
            Some(expected)
        );
    }
}

#[test]
fn count_zero_removes_a_parameter_and_count_one_keeps_it() {
    let import = import(&[(
        "main.tf",
        r#"
variable "enable_gpu" {
  default = 0
}
data "coder_parameter" "gpu" {
  count = var.enable_gpu
  name  = "gpu"
}
data "coder_parameter" "disk" {
  count = 1
  name  = "disk"
}
"#,
    )]);
    let names: Vec<&str> = import.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["disk"]);
}

#[test]
fn agents_are_sorted_and_the_ai_task_is_detected() {
    let import = import(&[("main.tf", MAIN_TF)]);
    assert_eq!(import.agents, ["db", "main"]);
    assert!(!import.has_ai_task);
    assert!(import.parameters.is_empty() && import.presets.is_empty());

    let import = super::import(&[
        ("main.tf", MAIN_TF),
        (
            "ai.tf",
            r#"
resource "coder_ai_task" "claude" {
  sidebar_app {
    id = coder_app.claude.id
  }
}
resource "coder_agent" "agent_b" {}
"#,
        ),
        ("README.md", "# not HCL { at all"),
        ("scripts/setup.sh", "echo ${oops"),
    ]);
    assert_eq!(import.agents, ["agent_b", "db", "main"]);
    assert!(import.has_ai_task);
}

#[test]
fn the_import_result_round_trips_through_json() {
    let import = import(&[("main.tf", MAIN_TF), ("parameters.tf", PARAMETERS_TF)]);
    let json = serde_json::to_string(&import).unwrap_or_default();
    let back: super::TemplateImport = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, import);
}
