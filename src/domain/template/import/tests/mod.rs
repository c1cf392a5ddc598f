//! Tests of the Terraform import on realistic multi-file templates, one file per concern.

mod costs;
mod errors;
mod fuzz;
mod parameters;
mod presets;
mod references;

use super::{ImportErrors, SourceFile, TemplateImport, parse_template};

/// Source files from (path, content) pairs.
fn sources(files: &[(&str, &str)]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|(path, content)| SourceFile {
            path: (*path).to_owned(),
            content: (*content).to_owned(),
        })
        .collect()
}

/// Imports files that must import cleanly; a failure shows every error.
fn import(files: &[(&str, &str)]) -> TemplateImport {
    match parse_template(&sources(files)) {
        Ok(import) => import,
        Err(errors) => panic!("import failed:\n{errors}"),
    }
}

/// Imports files that must fail, returning the errors as displayed.
fn import_errors(files: &[(&str, &str)]) -> Vec<String> {
    match parse_template(&sources(files)) {
        Ok(import) => panic!("import succeeded: {import:?}"),
        Err(ImportErrors { errors }) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// The provider and agent boilerplate of a Docker template, with data sources and locals that
/// only Terraform can evaluate: the import must ignore what it does not read.
const MAIN_TF: &str = r#"terraform {
  required_providers {
    coder  = { source = "coder/coder", version = ">= 2.4.1" }
    docker = { source = "kreuzwerker/docker" }
  }
}

data "coder_provisioner" "me" {}
data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

locals {
  username = data.coder_workspace_owner.me.name
  home     = "/home/${local.username}"
}

resource "coder_agent" "main" {
  arch = data.coder_provisioner.me.arch
  os   = "linux"
  startup_script = <<-EOT
    set -e
    echo "${data.coder_parameter.region.value}"
  EOT
}

resource "coder_agent" "db" {
  arch = data.coder_provisioner.me.arch
  os   = "linux"
}

resource "docker_container" "workspace" {
  count = data.coder_workspace.me.start_count
  image = "codercom/enterprise-base:ubuntu"
  name  = "coder-${data.coder_workspace_owner.me.name}-${lower(data.coder_workspace.me.name)}"
}
"#;
