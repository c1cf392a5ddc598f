//! The input and output of the Terraform import: source files in, and what a template version
//! declares (parameters, presets, agents, the AI task, its daily cost) out. Plain data, serialisable so a
//! version can store its import result as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::parameters::ParameterDefinition;

/// One file of a template version's source, as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Path inside the source archive, e.g. `main.tf` or `modules/vm.tf`.
    pub path: String,
    /// The file's text.
    pub content: String,
}

/// What the `.tf` files of a template version declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateImport {
    /// `data "coder_parameter"` blocks, sorted by `order`, then by name.
    pub parameters: Vec<ParameterDefinition>,
    /// `data "coder_workspace_preset"` blocks, sorted by name.
    pub presets: Vec<PresetDefinition>,
    /// Labels of `resource "coder_agent"` blocks, sorted.
    pub agents: Vec<String>,
    /// Whether any `resource "coder_ai_task"` exists.
    pub has_ai_task: bool,
    /// The quota cost of a workspace of this version: the sum of the `daily_cost` of its
    /// instantiated `resource "coder_metadata"` blocks (0 when none sets one).
    pub daily_cost: i32,
}

/// A `data "coder_workspace_preset"` block: a named set of parameter values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetDefinition {
    /// Unique name in the version.
    pub name: String,
    /// Parameter values by parameter name, as strings (list(string) values as JSON text).
    pub parameters: BTreeMap<String, String>,
    /// The `prebuilds` block; None means the reconciler ignores this preset.
    pub prebuilds: Option<PrebuildSettings>,
}

/// A preset's `prebuilds` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrebuildSettings {
    /// How many prebuilt workspaces to keep ready (0 is valid: none, and surplus is deleted).
    pub instances: i32,
    /// `expiration_policy { ttl }` in seconds; None when there is no expiration policy.
    pub expiration_ttl_seconds: Option<i64>,
    /// The `scheduling` block, if any.
    pub scheduling: Option<PrebuildScheduling>,
}

/// A preset's `prebuilds { scheduling { ... } }` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrebuildScheduling {
    /// IANA time zone that every schedule of the preset is read in.
    pub timezone: String,
    /// The `schedule` blocks, in source order.
    pub schedules: Vec<PresetSchedule>,
}

/// One `schedule { cron, instances }` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetSchedule {
    /// Cron expression, unvalidated here (the definition checks read it later).
    pub cron: String,
    /// Desired instances while the schedule matches.
    pub instances: i32,
}
