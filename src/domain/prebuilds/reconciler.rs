//! One reconciliation cycle: read the pause setting, load the snapshot, refresh the
//! metrics, put the prebuilds user in every organization with prebuilds, then reconcile
//! every preset at once — compute its state and actions with the pure core and perform
//! them through the workspace builder, one transaction per created or deleted prebuild.
//!
//! Builds are queued, never awaited: a cycle may over- or under-shoot while builds run, and
//! later cycles correct it. One preset's failure never stops the others.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio::{sync::Semaphore, task::JoinSet};
use uuid::Uuid;

use super::{
    membership,
    metrics::{PrebuildMetrics, PrebuildTotals, PresetKey},
    preset_snapshot::{PrebuildStatus, PresetSnapshot, ReconciliationAction, State},
    settings,
    snapshot::{self, Scope, SnapshotParams},
};
use crate::domain::{
    identity::PREBUILDS_SYSTEM_USER_ID,
    workspace::{self, UsageCheck},
};

/// Presets reconciled at the same time; each holds at most one connection at a time.
const CONCURRENT_PRESETS: usize = 4;

/// How the reconciler treats failures.
#[derive(Debug, Clone, Copy)]
pub struct ReconcilerSettings {
    /// Each recent failure holds a preset back this long from its last failed build.
    pub backoff_interval: Duration,
    /// Failures older than this no longer hold a preset back.
    pub backoff_lookback: Duration,
    /// A preset whose last this-many prebuild builds all failed gets no more; 0 disables.
    pub failure_hard_limit: i32,
}

impl Default for ReconcilerSettings {
    fn default() -> Self {
        Self {
            backoff_interval: Duration::seconds(15),
            backoff_lookback: Duration::hours(1),
            failure_hard_limit: 3,
        }
    }
}

/// What one cycle did.
#[derive(Debug, Default, Clone)]
pub struct CycleReport {
    /// Reconciliation was paused: nothing else happened.
    pub paused: bool,
    /// Presets with prebuilds in the snapshot.
    pub presets: usize,
    /// Each preset's state, by preset id.
    pub states: BTreeMap<Uuid, State>,
    /// Prebuilds created, by preset id.
    pub created: BTreeMap<Uuid, Vec<Uuid>>,
    /// Prebuilds whose delete build was queued.
    pub deleted: Vec<Uuid>,
    /// Presets held back by recent failures, with when they may act again.
    pub backoff: BTreeMap<Uuid, DateTime<Utc>>,
    /// Presets marked hard-limited in this cycle.
    pub marked_hard_limited: Vec<Uuid>,
    /// What failed, by preset id.
    pub errors: BTreeMap<Uuid, Vec<String>>,
}

impl CycleReport {
    /// Prebuilds created in all.
    pub fn created_count(&self) -> usize {
        self.created.values().map(Vec::len).sum()
    }
}

/// What one preset did.
#[derive(Debug, Default)]
struct PresetOutcome {
    created: Vec<Uuid>,
    deleted: Vec<Uuid>,
    backoff: Option<DateTime<Utc>>,
    marked_hard_limited: bool,
    errors: Vec<String>,
}

/// Runs one cycle at `now`. Only the caller's lock keeps replicas apart; the scheduler holds
/// it for the job.
pub async fn run_cycle(
    db: &DatabaseConnection,
    usage: Arc<dyn UsageCheck>,
    settings: ReconcilerSettings,
    metrics: Option<&PrebuildMetrics>,
    now: DateTime<Utc>,
) -> Result<CycleReport, DbErr> {
    let mut report = CycleReport::default();
    let paused = settings::load(db).await?.reconciliation_paused;
    if let Some(metrics) = metrics {
        metrics.set_paused(paused);
    }
    if paused {
        tracing::info!("prebuilds: reconciliation is paused; skipping the cycle");
        report.paused = true;
        return Ok(report);
    }
    let global = snapshot::load(
        db,
        Scope::All,
        SnapshotParams {
            lookback_start: now - settings.backoff_lookback,
            failure_hard_limit: settings.failure_hard_limit,
        },
    )
    .await?;
    let presets: Vec<(PresetSnapshot, State)> = global
        .preset_snapshots()
        .into_iter()
        .map(|s| {
            let state = s.calculate_state(now);
            (s, state)
        })
        .collect();
    report.presets = presets.len();
    if let Some(metrics) = metrics {
        metrics.record_states(&presets);
        metrics.record_totals(&prebuild_totals(db).await?);
    }
    if presets.is_empty() {
        return Ok(report);
    }
    let organizations: BTreeSet<Uuid> = presets
        .iter()
        .map(|(s, _)| s.preset.organization_id)
        .collect();
    membership::ensure_memberships(db, now, &organizations).await?;

    let limit = Arc::new(Semaphore::new(CONCURRENT_PRESETS));
    let mut tasks = JoinSet::new();
    for (snapshot, state) in presets {
        report.states.insert(snapshot.preset.id, state);
        let (db, usage, limit) = (db.clone(), usage.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let id = snapshot.preset.id;
            let outcome =
                reconcile_preset(&db, usage.as_ref(), settings, now, snapshot, state).await;
            (id, outcome)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((id, outcome)) => {
                if !outcome.created.is_empty() {
                    report.created.insert(id, outcome.created);
                }
                report.deleted.extend(outcome.deleted);
                if let Some(until) = outcome.backoff {
                    report.backoff.insert(id, until);
                }
                if outcome.marked_hard_limited {
                    report.marked_hard_limited.push(id);
                }
                if !outcome.errors.is_empty() {
                    report.errors.insert(id, outcome.errors);
                }
            }
            Err(err) => tracing::error!(error = %err, "prebuilds: a preset task failed"),
        }
    }
    report.deleted.sort();
    Ok(report)
}

/// Reconciles one preset: marks it hard-limited the first time it is, then performs its
/// actions.
async fn reconcile_preset(
    db: &DatabaseConnection,
    usage: &dyn UsageCheck,
    settings: ReconcilerSettings,
    now: DateTime<Utc>,
    snapshot: PresetSnapshot,
    state: State,
) -> PresetOutcome {
    let preset = &snapshot.preset;
    let mut outcome = PresetOutcome::default();
    if snapshot.is_hard_limited && preset.status != PrebuildStatus::HardLimited {
        match mark_hard_limited(db, preset.id).await {
            Ok(()) => {
                outcome.marked_hard_limited = true;
                tracing::warn!(
                    preset.id = %preset.id, preset = %preset.name, template = %preset.template_name,
                    "prebuilds: the preset reached the failure hard limit; no more prebuilds are created for it"
                );
            }
            Err(err) => outcome.errors.push(format!("marking hard-limited: {err}")),
        }
    }
    for action in snapshot.calculate_actions(now, settings.backoff_interval) {
        match action {
            ReconciliationAction::Backoff { until } => {
                tracing::warn!(preset.id = %preset.id, %until, "prebuilds: backing off after failed builds");
                outcome.backoff = Some(until);
            }
            ReconciliationAction::Create(n) => {
                let n = if n > state.desired {
                    tracing::error!(preset.id = %preset.id, n, desired = state.desired, "prebuilds: more creates than desired; clamping");
                    state.desired
                } else {
                    n
                };
                if snapshot.is_hard_limited {
                    tracing::debug!(preset.id = %preset.id, "prebuilds: hard-limited; not creating");
                    continue;
                }
                for _ in 0..n {
                    match workspace::create_prebuilt_workspace(
                        db,
                        usage,
                        now,
                        preset.template_id,
                        preset.id,
                    )
                    .await
                    {
                        Ok((ws, _)) => outcome.created.push(ws.id),
                        Err(err) => {
                            tracing::warn!(preset.id = %preset.id, error = %err, "prebuilds: creating a prebuild failed");
                            outcome.errors.push(format!("create: {err}"));
                        }
                    }
                }
            }
            ReconciliationAction::Delete(ids) => {
                for id in ids {
                    match workspace::delete_prebuilt_workspace(db, now, id).await {
                        Ok(_) => outcome.deleted.push(id),
                        Err(err) => {
                            tracing::warn!(preset.id = %preset.id, workspace.id = %id, error = %err, "prebuilds: deleting a prebuild failed");
                            outcome.errors.push(format!("delete {id}: {err}"));
                        }
                    }
                }
            }
        }
    }
    outcome
}

/// Stores that a preset is hard-limited (once; it is never reset automatically — a new
/// template version brings new presets).
async fn mark_hard_limited(db: &DatabaseConnection, preset_id: Uuid) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE template_version_presets SET prebuild_status = $1 WHERE id = $2",
        [
            PrebuildStatus::HardLimited.as_str().into(),
            preset_id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Prebuilds ever created, failed and claimed per preset of live templates: workspaces
/// whose first build the prebuilds user started.
async fn prebuild_totals(
    db: &DatabaseConnection,
) -> Result<BTreeMap<PresetKey, PrebuildTotals>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT t.name AS template_name, p.name AS preset_name, o.name AS organization_name, \
                    COUNT(*) AS created, \
                    COUNT(CASE WHEN j.status = 'failed' THEN 1 END) AS failed, \
                    COUNT(CASE WHEN w.owner_id <> $1 THEN 1 END) AS claimed \
             FROM workspaces w \
             JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = 1 \
               AND b.initiator_id = $1 \
             JOIN provisioner_jobs j ON j.id = b.job_id \
             JOIN templates t ON t.id = w.template_id AND NOT t.deleted \
             JOIN template_version_presets p ON p.id = b.template_version_preset_id \
             JOIN organizations o ON o.id = w.organization_id \
             GROUP BY t.name, p.name, o.name",
            [PREBUILDS_SYSTEM_USER_ID.into()],
        ))
        .await?;
    let mut totals = BTreeMap::new();
    for row in rows {
        let get = |column: &str| -> Result<u64, DbErr> {
            Ok(u64::try_from(row.try_get::<i64>("", column)?).unwrap_or(0))
        };
        totals.insert(
            (
                row.try_get("", "template_name")?,
                row.try_get("", "preset_name")?,
                row.try_get("", "organization_name")?,
            ),
            PrebuildTotals {
                created: get("created")?,
                failed: get("failed")?,
                claimed: get("claimed")?,
            },
        );
    }
    Ok(totals)
}
