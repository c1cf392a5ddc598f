//! `var.NAME` and `local.NAME` resolution across files, and the values that need Terraform.

use super::{MAIN_TF, import, import_errors};

const VARIABLES_TF: &str = r#"
variable "default_region" {
  type        = string
  description = "Region preselected for new workspaces"
  default     = "eu-west"
}

variable "max_cpu" {
  type    = number
  default = 8
}

variable "ides" {
  type    = list(string)
  default = ["vscode", "jetbrains"]
}

variable "docker_host" {
  type = string
}
"#;

const LOCALS_TF: &str = r#"
locals {
  region        = var.default_region
  region_label  = "Region"
  cpu_max       = local.cpu_limit
}

locals {
  cpu_limit     = var.max_cpu
  default_ides  = jsonencode(var.ides)
  small_preset  = {
    region = local.region
    cpu    = 2
  }
}
"#;

#[test]
fn variables_and_locals_resolve_across_files() {
    let import = import(&[
        ("main.tf", MAIN_TF),
        ("variables.tf", VARIABLES_TF),
        ("locals.tf", LOCALS_TF),
        (
            "parameters.tf",
            r#"
data "coder_parameter" "region" {
  name         = "region"
  display_name = local.region_label
  default      = local.region
}

data "coder_parameter" "cpu" {
  name    = "cpu"
  type    = "number"
  default = "${2}"
  validation {
    min = 1
    max = local.cpu_max
  }
}

data "coder_parameter" "ides" {
  name    = "ides"
  type    = "list(string)"
  default = local.default_ides
}

data "coder_parameter" "editor" {
  name    = "editor"
  type    = "list(string)"
  default = jsonencode(var.ides)
}

data "coder_workspace_preset" "small" {
  name       = "Small"
  parameters = local.small_preset
}
"#,
        ),
    ]);
    let region = &import.parameters.iter().find(|p| p.name == "region");
    let region = region.unwrap_or_else(|| panic!("no region"));
    assert_eq!(region.display_name, "Region");
    assert_eq!(region.default.as_deref(), Some("eu-west"));
    let cpu = import.parameters.iter().find(|p| p.name == "cpu");
    let cpu = cpu.unwrap_or_else(|| panic!("no cpu"));
    assert_eq!(cpu.default.as_deref(), Some("2"));
    assert_eq!(cpu.validation.as_ref().and_then(|v| v.max), Some(8));
    for name in ["ides", "editor"] {
        let ides = import.parameters.iter().find(|p| p.name == name);
        let ides = ides.unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(ides.default.as_deref(), Some(r#"["vscode","jetbrains"]"#));
    }
    let small = &import.presets[0].parameters;
    assert_eq!(small.get("region").map(String::as_str), Some("eu-west"));
    assert_eq!(small.get("cpu").map(String::as_str), Some("2"));
}

#[test]
fn jsonencode_sorts_object_keys_like_terraform() {
    let import = import(&[(
        "main.tf",
        r#"
data "coder_parameter" "config" {
  name    = "config"
  default = jsonencode({ zeta = [1, true, null], alpha = "a\"b" })
}
"#,
    )]);
    assert_eq!(
        import.parameters[0].default.as_deref(),
        Some(r#"{"alpha":"a\"b","zeta":[1,true,null]}"#)
    );
}

#[test]
fn references_that_need_terraform_are_refused_with_their_line() {
    let errors = import_errors(&[
        ("main.tf", MAIN_TF),
        ("variables.tf", VARIABLES_TF),
        ("locals.tf", LOCALS_TF),
        (
            "parameters.tf",
            r#"data "coder_parameter" "a" {
  name        = "a"
  default     = data.coder_workspace_owner.me.name
  description = lower("Hello")
  icon        = var.max_cpu > 4 ? "big" : "small"
  display_name = "${var.default_region} region"
  order       = 1 + 1
}
data "coder_parameter" "b" {
  name    = "b"
  default = var.docker_host
  icon    = var.missing
  display_name = local.missing
  description = local.username
  order = [for x in [1] : x]
}
data "coder_parameter" "c" {
  name    = "c"
  default = local.home
  icon    = "%{ if true }x%{ endif }"
  description = jsonencode("a", "b")
  display_name = var.ides[0]
  order = !true
}
"#,
        ),
    ]);
    let attr = "data.coder_parameter";
    let allowed = "values must be literals, var.NAME or local.NAME";
    assert_eq!(
        errors,
        [
            format!(
                "parameters.tf:3: {attr}.a.default: reference `data.coder_workspace_owner.me.name` \
                 is not allowed; {allowed}"
            ),
            format!(
                "parameters.tf:4: {attr}.a.description: function `lower` is not allowed; {allowed}"
            ),
            format!(
                "parameters.tf:5: {attr}.a.icon: conditional expression \
                 `var.max_cpu > 4 ? \"big\" : \"small\"` is not allowed; {allowed}"
            ),
            format!(
                "parameters.tf:6: {attr}.a.display_name: interpolating `var.default_region` is not \
                 allowed; write the reference alone or a literal"
            ),
            format!(
                "parameters.tf:7: {attr}.a.order: operator expression `1 + 1` is not allowed; \
                 {allowed}"
            ),
            format!(
                "parameters.tf:11: {attr}.b.default: var.docker_host (variables.tf:18) has no default"
            ),
            format!("parameters.tf:12: {attr}.b.icon: no variable `missing` is declared"),
            format!("parameters.tf:13: {attr}.b.display_name: no local `missing` is declared"),
            format!(
                "parameters.tf:14: {attr}.b.description: local.username (main.tf:13): reference \
                 `data.coder_workspace_owner.me.name` is not allowed; {allowed}"
            ),
            format!("parameters.tf:15: {attr}.b.order: for expressions are not allowed; {allowed}"),
            format!(
                "parameters.tf:19: {attr}.c.default: local.home (main.tf:14): interpolating \
                 `local.username` is not allowed; write the reference alone or a literal"
            ),
            format!(
                "parameters.tf:20: {attr}.c.icon: template directives (%{{...}}) are not allowed; \
                 {allowed}"
            ),
            format!(
                "parameters.tf:21: {attr}.c.description: jsonencode takes exactly one argument"
            ),
            format!(
                "parameters.tf:22: {attr}.c.display_name: reference `var.ides[0]` is not allowed; {allowed}"
            ),
            format!(
                "parameters.tf:23: {attr}.c.order: operator expression `!true` is not allowed; \
                 {allowed}"
            ),
        ]
    );
}

#[test]
fn a_variable_default_must_not_reference_anything() {
    let errors = import_errors(&[(
        "main.tf",
        r#"variable "a" {
  default = "x"
}
variable "b" {
  default = var.a
}
data "coder_parameter" "p" {
  name    = "p"
  default = var.b
}
"#,
    )]);
    assert_eq!(
        errors,
        [
            "main.tf:9: data.coder_parameter.p.default: var.b (main.tf:4): a variable's default \
          cannot reference `var.a`"
        ]
    );
}

#[test]
fn cycles_between_locals_are_detected() {
    let errors = import_errors(&[
        (
            "locals.tf",
            r#"locals {
  a    = local.b
  b    = [local.a]
  self = local.self
}
"#,
        ),
        (
            "main.tf",
            r#"data "coder_parameter" "p" {
  name        = "p"
  default     = local.a
  description = local.self
}
"#,
        ),
    ]);
    assert_eq!(
        errors,
        [
            "main.tf:3: data.coder_parameter.p.default: local.a (locals.tf:2): local.b \
             (locals.tf:3): cycle: local.a -> local.b -> local.a",
            "main.tf:4: data.coder_parameter.p.description: local.self (locals.tf:4): cycle: \
             local.self -> local.self",
        ]
    );
}

/// Locals where each one lists the previous one twice: `local.l{n}` holds 2^n strings.
fn doubling_locals(levels: usize, used: usize) -> String {
    let mut tf = String::from("locals {\n  l0 = \"x\"\n");
    for i in 1..=levels {
        tf.push_str(&format!("  l{i} = [local.l{}, local.l{}]\n", i - 1, i - 1));
    }
    tf.push_str(&format!(
        "}}\ndata \"coder_parameter\" \"p\" {{\n  name    = \"p\"\n  default = \
         jsonencode(local.l{used})\n}}\n"
    ));
    tf
}

#[test]
fn nested_locals_expand() {
    let import = import(&[("main.tf", &doubling_locals(3, 2))]);
    assert_eq!(
        import.parameters[0].default.as_deref(),
        Some(r#"[["x","x"],["x","x"]]"#)
    );
}

#[test]
fn locals_that_expand_exponentially_are_refused_quickly() {
    // 2^40 strings would exhaust memory; the expansion budget stops it.
    let errors = import_errors(&[("main.tf", &doubling_locals(40, 40))]);
    assert_eq!(
        errors,
        [
            "main.tf:46: data.coder_parameter.p.default: references expand to more than 100000 values"
        ]
    );
}

#[test]
fn an_unused_local_or_variable_may_hold_anything() {
    // MAIN_TF has locals computed from data sources; they are never read by the import.
    let import = import(&[
        ("main.tf", MAIN_TF),
        ("variables.tf", VARIABLES_TF),
        (
            "locals.tf",
            "locals {\n  weird = [for s in var.ides : upper(s)]\n}\n",
        ),
    ]);
    assert_eq!(import.agents, ["db", "main"]);
}
