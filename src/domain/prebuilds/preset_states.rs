//! The prebuild state of a version's presets as the API shows it: desired, running and
//! eligible counts computed by the same snapshot and core the reconciler uses, so the
//! numbers an admin sees are the ones it acts on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    preset_snapshot::State,
    snapshot::{self, Scope, SnapshotParams},
};
use crate::{
    authz::Subject,
    domain::template::{self, PresetWithSchedules},
};

/// A preset with its schedules and, when it has prebuilds, its state now.
pub type PresetWithState = (PresetWithSchedules, Option<State>);

/// The presets of a version the subject may read, with their prebuild states at `now`.
pub async fn list_presets_with_state(
    db: &DatabaseConnection,
    subject: &Subject,
    version_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<PresetWithState>, template::Error> {
    let presets = template::list_presets(db, subject, version_id).await?;
    if presets.iter().all(|(p, _)| p.desired_instances.is_none()) {
        return Ok(presets.into_iter().map(|p| (p, None)).collect());
    }
    let global = snapshot::load(
        db,
        Scope::Version(version_id),
        // Backoff and the hard limit do not change the counts.
        SnapshotParams {
            lookback_start: now,
            failure_hard_limit: 0,
        },
    )
    .await?;
    let states: HashMap<Uuid, State> = global
        .preset_snapshots()
        .into_iter()
        .map(|s| (s.preset.id, s.calculate_state(now)))
        .collect();
    Ok(presets
        .into_iter()
        .map(|p| {
            let state = states.get(&p.0.id).copied();
            (p, state)
        })
        .collect())
}
