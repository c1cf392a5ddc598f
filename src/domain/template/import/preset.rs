//! `data "coder_workspace_preset"` blocks into `PresetDefinition`s, with their optional
//! `prebuilds` block. Cron expressions and time zones are taken as written: the definition
//! validator parses them.

use super::error::ImportError;
use super::model::{PrebuildScheduling, PrebuildSettings, PresetDefinition, PresetSchedule};
use super::reader::BlockReader;
use super::value::Value;

/// Reads one `coder_workspace_preset` block; None when `name` is missing or unusable.
pub(super) fn read_preset(
    block: &BlockReader<'_>,
    errors: &mut Vec<ImportError>,
) -> Option<PresetDefinition> {
    block.reject_dynamic_blocks(errors);
    let name = block.required_text("name", errors);
    let parameters = block
        .map("parameters", errors, Value::into_parameter_value)
        .into_iter()
        .collect();
    let prebuilds = block
        .single_block("prebuilds", errors)
        .and_then(|prebuilds| read_prebuilds(&block.nested(prebuilds), errors));
    Some(PresetDefinition {
        name: name?,
        parameters,
        prebuilds,
    })
}

fn read_prebuilds(
    prebuilds: &BlockReader<'_>,
    errors: &mut Vec<ImportError>,
) -> Option<PrebuildSettings> {
    prebuilds.reject_dynamic_blocks(errors);
    // Desired instances are counts a reconciler acts on: never negative, and bounded.
    let instances = prebuilds
        .required_integer::<u16>("instances", errors)
        .map(i32::from);
    let expiration_ttl_seconds = prebuilds
        .single_block("expiration_policy", errors)
        .and_then(|policy| prebuilds.nested(policy).required_integer("ttl", errors));
    let scheduling = prebuilds
        .single_block("scheduling", errors)
        .and_then(|scheduling| read_scheduling(&prebuilds.nested(scheduling), errors));
    Some(PrebuildSettings {
        instances: instances?,
        expiration_ttl_seconds,
        scheduling,
    })
}

fn read_scheduling(
    scheduling: &BlockReader<'_>,
    errors: &mut Vec<ImportError>,
) -> Option<PrebuildScheduling> {
    scheduling.reject_dynamic_blocks(errors);
    let timezone = scheduling.required_text("timezone", errors);
    let schedules: Vec<_> = scheduling
        .blocks("schedule")
        .map(|schedule| {
            let schedule = scheduling.nested(schedule);
            let cron = schedule.required_text("cron", errors);
            let instances = schedule
                .required_integer::<u16>("instances", errors)
                .map(i32::from);
            cron.zip(instances)
                .map(|(cron, instances)| PresetSchedule { cron, instances })
        })
        .collect();
    Some(PrebuildScheduling {
        timezone: timezone?,
        // A faulty schedule has its error recorded; the import fails, so dropping it is moot.
        schedules: schedules.into_iter().flatten().collect(),
    })
}
