//! `coder_workspace_preset` blocks, with and without prebuilds.

use std::collections::BTreeMap;

use super::{MAIN_TF, import, import_errors};
use crate::domain::template::import::{
    PrebuildScheduling, PrebuildSettings, PresetDefinition, PresetSchedule,
};

const PRESETS_TF: &str = r#"
data "coder_workspace_preset" "dev" {
  name = "Developer"
  parameters = {
    region = "eu-west"
    cpu    = 4
    gpu    = false
    ides   = jsonencode(["vscode"])
  }
}

data "coder_workspace_preset" "ci" {
  name       = "CI runner"
  parameters = {
    "region" = "us-east"
  }
  prebuilds {
    instances = 3
  }
}

data "coder_workspace_preset" "office_hours" {
  name = "Office hours"
  parameters = {
    region = "eu-west"
  }
  prebuilds {
    instances = 1
    expiration_policy {
      ttl = 86400
    }
    scheduling {
      timezone = "Europe/Paris"
      schedule {
        cron      = "* 8-18 * * 1-5"
        instances = 5
      }
      schedule {
        cron      = "* 8-12 * * 6"
        instances = 2
      }
    }
  }
}

data "coder_workspace_preset" "empty" {
  name = "Empty"
  prebuilds {
    instances = 0
    scheduling {
      timezone = "UTC"
    }
  }
}
"#;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn presets_are_read_with_and_without_prebuilds() {
    let import = import(&[("main.tf", MAIN_TF), ("presets.tf", PRESETS_TF)]);
    assert_eq!(
        import.presets,
        [
            PresetDefinition {
                name: "CI runner".into(),
                parameters: map(&[("region", "us-east")]),
                prebuilds: Some(PrebuildSettings {
                    instances: 3,
                    expiration_ttl_seconds: None,
                    scheduling: None,
                }),
            },
            PresetDefinition {
                name: "Developer".into(),
                parameters: map(&[
                    ("cpu", "4"),
                    ("gpu", "false"),
                    ("ides", r#"["vscode"]"#),
                    ("region", "eu-west"),
                ]),
                prebuilds: None,
            },
            PresetDefinition {
                name: "Empty".into(),
                parameters: BTreeMap::new(),
                prebuilds: Some(PrebuildSettings {
                    instances: 0,
                    expiration_ttl_seconds: None,
                    scheduling: Some(PrebuildScheduling {
                        timezone: "UTC".into(),
                        schedules: Vec::new(),
                    }),
                }),
            },
            PresetDefinition {
                name: "Office hours".into(),
                parameters: map(&[("region", "eu-west")]),
                prebuilds: Some(PrebuildSettings {
                    instances: 1,
                    expiration_ttl_seconds: Some(86400),
                    scheduling: Some(PrebuildScheduling {
                        timezone: "Europe/Paris".into(),
                        schedules: vec![
                            PresetSchedule {
                                cron: "* 8-18 * * 1-5".into(),
                                instances: 5,
                            },
                            PresetSchedule {
                                cron: "* 8-12 * * 6".into(),
                                instances: 2,
                            },
                        ],
                    }),
                }),
            },
        ]
    );
}

#[test]
fn faulty_presets_report_every_problem() {
    let errors = import_errors(&[(
        "presets.tf",
        r#"data "coder_workspace_preset" "a" {
  parameters = ["region"]
  prebuilds {
    expiration_policy {}
    scheduling {
      schedule {
        cron = "0 9 * * *"
      }
      schedule {
        instances = "many"
      }
    }
  }
  prebuilds {
    instances = 1
  }
}
data "coder_workspace_preset" "b" {
  name = "B"
  parameters = {
    region = data.coder_parameter.region.value
    tags   = { a = 1 }
  }
  prebuilds {
    instances = 2.5
    expiration_policy {
      ttl = "1h"
    }
  }
}
"#,
    )]);
    let a = "data.coder_workspace_preset.a";
    let b = "data.coder_workspace_preset.b";
    assert_eq!(
        errors,
        [
            format!("presets.tf:1: {a}.name: is required"),
            format!("presets.tf:2: {a}.parameters: expected an object of name = value"),
            format!("presets.tf:3: {a}.prebuilds.instances: is required"),
            format!("presets.tf:4: {a}.prebuilds.expiration_policy.ttl: is required"),
            format!("presets.tf:5: {a}.prebuilds.scheduling.timezone: is required"),
            format!("presets.tf:6: {a}.prebuilds.scheduling.schedule.instances: is required"),
            format!("presets.tf:9: {a}.prebuilds.scheduling.schedule.cron: is required"),
            format!(
                "presets.tf:10: {a}.prebuilds.scheduling.schedule.instances: expected a whole \
                 number, found the string \"many\""
            ),
            format!(
                "presets.tf:14: {a}.prebuilds: only one `prebuilds` block is allowed (first at \
                 line 3)"
            ),
            format!(
                "presets.tf:21: {b}.parameters: reference `data.coder_parameter.region.value` is \
                 not allowed; values must be literals, var.NAME or local.NAME"
            ),
            format!("presets.tf:25: {b}.prebuilds.instances: expected a whole number, found 2.5"),
            format!(
                "presets.tf:27: {b}.prebuilds.expiration_policy.ttl: expected a whole number, \
                 found the string \"1h\""
            ),
        ]
    );
}

#[test]
fn preset_parameter_values_must_be_scalars_or_lists() {
    let errors = import_errors(&[(
        "presets.tf",
        r#"data "coder_workspace_preset" "b" {
  name = "B"
  parameters = {
    tags = { a = 1 }
  }
}
"#,
    )]);
    assert_eq!(
        errors,
        [
            "presets.tf:3: data.coder_workspace_preset.b.parameters: tags: expected a string, \
          found an object"
        ]
    );
}
