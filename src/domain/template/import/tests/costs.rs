//! Daily costs: the sum of the `daily_cost` of the instantiated `coder_metadata` resources,
//! with every other attribute of those blocks left unread.

use super::{MAIN_TF, import, import_errors};

/// Metadata blocks as real templates write them: their `resource_id`, items, `hide` and `icon`
/// refer to values only a plan knows, and must not fail the import.
const METADATA_TF: &str = r#"
variable "disk_cost" {
  default = 4
}

resource "coder_metadata" "container" {
  resource_id = docker_container.workspace[0].id
  daily_cost  = 10
  hide        = data.coder_workspace.me.transition == "stop"
  icon        = "/icon/docker.png"
  item {
    key   = "image"
    value = docker_container.workspace[0].image
  }
  item {
    key       = "owner"
    value     = data.coder_workspace_owner.me.name
    sensitive = false
  }
}

resource "coder_metadata" "volume" {
  count       = 1
  resource_id = docker_volume.home.id
  daily_cost  = var.disk_cost
  dynamic "item" {
    for_each = local.volume_labels
    content {
      key   = item.key
      value = item.value
    }
  }
}

resource "coder_metadata" "gpu" {
  count       = 0
  resource_id = docker_container.gpu[0].id
  daily_cost  = 100
}

resource "coder_metadata" "free" {
  resource_id = docker_container.workspace[0].id
  item {
    key   = "note"
    value = "costs nothing"
  }
}
"#;

#[test]
fn the_daily_cost_is_the_sum_of_the_instantiated_metadata_blocks() {
    let imported = import(&[("main.tf", MAIN_TF), ("metadata.tf", METADATA_TF)]);
    // 10 + 4; the block with count = 0 does not exist, and an absent daily_cost is 0.
    assert_eq!(imported.daily_cost, 14);
}

#[test]
fn a_template_without_metadata_costs_nothing() {
    assert_eq!(import(&[("main.tf", MAIN_TF)]).daily_cost, 0);
    let zero = "resource \"coder_metadata\" \"a\" {\n  resource_id = x.y.id\n  daily_cost = 0\n}\n";
    assert_eq!(
        import(&[("main.tf", MAIN_TF), ("m.tf", zero)]).daily_cost,
        0
    );
    let null = "resource \"coder_metadata\" \"a\" {\n  daily_cost = null\n}\n";
    assert_eq!(
        import(&[("main.tf", MAIN_TF), ("m.tf", null)]).daily_cost,
        0
    );
}

#[test]
fn numeric_strings_and_whole_floats_convert_as_in_terraform() {
    let source = "resource \"coder_metadata\" \"a\" {\n  daily_cost = \"3\"\n}\n\
                  resource \"coder_metadata\" \"b\" {\n  daily_cost = 2.0\n}\n";
    assert_eq!(import(&[("m.tf", source)]).daily_cost, 5);
}

#[test]
fn bad_daily_costs_are_reported_at_their_file_and_line() {
    let source = r#"resource "coder_metadata" "negative" {
  resource_id = docker_container.workspace[0].id
  daily_cost  = -1
}

resource "coder_metadata" "fraction" {
  daily_cost = 1.5
}

resource "coder_metadata" "text" {
  daily_cost = "cheap"
}

resource "coder_metadata" "reference" {
  daily_cost = data.coder_workspace.me.start_count
}

resource "coder_metadata" "huge" {
  daily_cost = 3000000000
}

resource "coder_metadata" "counted" {
  count      = 2
  daily_cost = 1
}

resource "coder_metadata" "negative" {
  daily_cost = 1
}
"#;
    let errors = import_errors(&[("main.tf", MAIN_TF), ("costs.tf", source)]);
    assert_eq!(
        errors,
        [
            "costs.tf:3: coder_metadata.negative.daily_cost: must not be negative, found -1",
            "costs.tf:7: coder_metadata.fraction.daily_cost: expected a whole number, found 1.5",
            "costs.tf:11: coder_metadata.text.daily_cost: expected a whole number, found the \
             string \"cheap\"",
            "costs.tf:15: coder_metadata.reference.daily_cost: reference \
             `data.coder_workspace.me.start_count` is not allowed; values must be literals, \
             var.NAME or local.NAME",
            "costs.tf:19: coder_metadata.huge.daily_cost: 3000000000 is out of range",
            "costs.tf:23: coder_metadata.counted.count: count must be 0 or 1, found 2",
            "costs.tf:27: coder_metadata.negative: is already declared at costs.tf:1",
        ]
    );
}

#[test]
fn a_total_beyond_32_bits_is_refused() {
    let source = "resource \"coder_metadata\" \"a\" {\n  daily_cost = 2000000000\n}\n\
                  resource \"coder_metadata\" \"b\" {\n  daily_cost = 2000000000\n}\n";
    assert_eq!(
        import_errors(&[("m.tf", source)]),
        ["m.tf:5: coder_metadata.b.daily_cost: the template's total daily_cost exceeds 2147483647"]
    );
}
