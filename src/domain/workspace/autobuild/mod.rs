//! The lifecycle executor's work on the database: one cycle finds the workspaces some rule
//! may apply to (one query), then takes each in a transaction of its own, under a lock
//! per workspace, re-reads it, asks the pure [`rules`] what to do, and does it through the
//! workspace builder. The scheduler job (`scheduler/lifecycle.rs`) runs a cycle every poll
//! interval; the rules are in docs/rules/workspaces-and-builds.md ("Lifecycle executor").

pub mod rules;

use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex},
};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, Statement, TransactionTrait,
};
use serde_json::Value;
use tracing::Instrument;
use uuid::Uuid;

pub use rules::{LatestBuild, Snapshot, marks_dormant, next_transition};

use super::{BUILD_ACTIVE, BuildRequest, Error, Result, UsageCheck, builder, schedule_options};
use crate::{
    authz::Subject,
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType, record::time_value},
        identity::PREBUILDS_SYSTEM_USER_ID,
        schedule::{CronSchedule, next_allowed_autostart},
    },
    entity::{
        audit_log::AuditAction,
        template, user, workspace,
        workspace_build::{BuildReason, Transition},
    },
};

/// The most workspaces one cycle works on at the same time.
pub const MAX_CONCURRENT_WORKSPACES: usize = 10;

/// The name the executor's builds are made under (they are the owner's builds).
const ACTOR: &str = "lifecycle-executor";

/// Which workspaces are being worked on in this process. On SQLite (one process owns the
/// database) it is the per-workspace lock; PostgreSQL uses advisory locks instead, which
/// other replicas see.
#[derive(Debug, Default)]
pub struct WorkspaceLocks(Mutex<HashSet<Uuid>>);

impl WorkspaceLocks {
    fn try_lock(self: &Arc<Self>, id: Uuid) -> Option<WorkspaceLockGuard> {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        held.insert(id).then(|| WorkspaceLockGuard {
            locks: Arc::clone(self),
            id,
        })
    }
}

/// Releases a workspace's in-process lock when dropped.
struct WorkspaceLockGuard {
    locks: Arc<WorkspaceLocks>,
    id: Uuid,
}

impl Drop for WorkspaceLockGuard {
    fn drop(&mut self) {
        let mut held = self
            .locks
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        held.remove(&self.id);
    }
}

/// What one cycle did, by workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleStats {
    /// The minute the rules were judged at.
    pub tick: DateTime<Utc>,
    /// Workspaces the query selected.
    pub eligible: usize,
    /// The builds queued.
    pub transitions: BTreeMap<Uuid, (Transition, BuildReason)>,
    /// Workspaces marked dormant.
    pub marked_dormant: Vec<Uuid>,
    /// Workspaces skipped because another replica (or task) was working on them.
    pub locked: Vec<Uuid>,
    /// Workspaces that failed, with why; they are tried again on the next cycle.
    pub errors: BTreeMap<Uuid, String>,
}

/// What happened to one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Someone else holds its lock.
    Locked,
    /// Nothing was due (perhaps its `next_start_at` was refreshed).
    Unchanged,
    /// A build was queued and/or the workspace was marked dormant.
    Acted {
        /// The build queued, if any.
        build: Option<(Transition, BuildReason)>,
        /// Whether it became dormant.
        marked_dormant: bool,
    },
}

/// The time the rules are judged at: `now` truncated to the minute, so every replica
/// ticking within the same minute reaches the same decisions.
pub fn tick_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now)
}

/// Runs one cycle at `now`: selects the candidates, then works on at most
/// [`MAX_CONCURRENT_WORKSPACES`] at a time, each in its own transaction. A workspace's
/// failure is logged with its id and never stops the others; only the selecting query can
/// fail the cycle.
pub async fn run_cycle(
    db: &DatabaseConnection,
    usage: Arc<dyn UsageCheck>,
    locks: Arc<WorkspaceLocks>,
    now: DateTime<Utc>,
) -> Result<CycleStats, DbErr> {
    let tick = tick_of(now);
    let candidates = eligible_workspaces(db, tick).await?;
    let mut stats = CycleStats {
        tick,
        eligible: candidates.len(),
        ..CycleStats::default()
    };
    let mut pending = candidates.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < MAX_CONCURRENT_WORKSPACES
            && let Some(id) = pending.next()
        {
            let (db, usage, locks) = (db.clone(), usage.clone(), locks.clone());
            let span = tracing::info_span!("workspace", workspace.id = %id);
            running.spawn(
                async move {
                    let outcome = act_on_workspace(&db, usage.as_ref(), &locks, tick, now, id);
                    (id, outcome.await)
                }
                .instrument(span),
            );
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        match joined {
            Ok((id, outcome)) => record(&mut stats, id, outcome),
            // A panic in one workspace's task is that workspace's failure, nothing more.
            Err(err) => {
                tracing::error!(error = %err, "lifecycle executor: a workspace task failed")
            }
        }
    }
    Ok(stats)
}

fn record(stats: &mut CycleStats, id: Uuid, outcome: Result<Outcome>) {
    match outcome {
        Ok(Outcome::Locked) => stats.locked.push(id),
        Ok(Outcome::Unchanged) => {}
        Ok(Outcome::Acted {
            build,
            marked_dormant,
        }) => {
            if let Some(build) = build {
                stats.transitions.insert(id, build);
            }
            if marked_dormant {
                stats.marked_dormant.push(id);
            }
        }
        Err(err) => {
            match &err {
                Error::Db(_) | Error::Corrupt(_) => {
                    tracing::error!(workspace.id = %id, error = %err, "lifecycle executor: workspace failed");
                }
                // Refusals by the builder (parameters, usage): the owner's business.
                _ => {
                    tracing::warn!(workspace.id = %id, error = %err, "lifecycle executor: build refused");
                }
            }
            stats.errors.insert(id, err.to_string());
        }
    }
}

/// The workspaces some rule may apply to at `tick`: latest build only, not deleted, not
/// prebuilt, no build in progress, and any of autostop, autostart, dormancy, auto-delete or
/// failed-build cleanup plausible. It may select too many (a stored `next_start_at` that is
/// NULL or stale; the rules decide), never too few. Durations stored per template are
/// compared in epoch milliseconds, which both engines compute.
pub async fn eligible_workspaces(
    db: &impl ConnectionTrait,
    tick: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let epoch_ms = |column: &str| match backend {
        DbBackend::Postgres => format!("(EXTRACT(EPOCH FROM {column}) * 1000)"),
        _ => format!("((julianday({column}) - 2440587.5) * 86400000.0)"),
    };
    let sql = format!(
        "SELECT w.id AS id \
         FROM workspaces w \
         JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = \
           (SELECT MAX(b2.build_number) FROM workspace_builds b2 WHERE b2.workspace_id = w.id) \
         JOIN provisioner_jobs j ON j.id = b.job_id \
         JOIN templates t ON t.id = w.template_id \
         JOIN users u ON u.id = w.owner_id \
         WHERE NOT w.deleted \
           AND w.owner_id <> $1 \
           AND j.status NOT IN ('pending', 'running', 'canceling') \
           AND ( \
             (j.status <> 'failed' AND w.dormant_at IS NULL AND b.transition = 'start' \
               AND (u.status = 'suspended' OR b.deadline <= $2)) \
             OR (u.status = 'active' AND j.status <> 'failed' AND b.transition = 'stop' \
               AND w.dormant_at IS NULL AND w.autostart_schedule IS NOT NULL \
               AND (w.next_start_at IS NULL OR w.next_start_at <= $2)) \
             OR (w.dormant_at IS NULL AND t.time_til_dormant_ms > 0 \
               AND {last_used} + t.time_til_dormant_ms < $3) \
             OR (w.dormant_at IS NOT NULL AND w.deleting_at IS NOT NULL AND w.deleting_at < $2 \
               AND t.time_til_dormant_autodelete_ms > 0 \
               AND NOT (b.transition = 'delete' AND j.status = 'failed' \
                 AND COALESCE(j.completed_at, j.canceled_at, $2) >= $4)) \
             OR (t.failure_ttl_ms > 0 AND b.transition = 'start' AND j.status = 'failed' \
               AND j.completed_at IS NOT NULL AND {completed} + t.failure_ttl_ms < $3) \
           ) \
         ORDER BY w.id",
        last_used = epoch_ms("w.last_used_at"),
        completed = epoch_ms("j.completed_at"),
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                PREBUILDS_SYSTEM_USER_ID.into(),
                tick.into(),
                tick.timestamp_millis().into(),
                (tick - rules::FAILED_DELETE_RETRY).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "id"))
        .collect()
}

/// Takes the workspace's lock for this transaction; false when another replica holds it.
async fn lock_workspace(txn: &DatabaseTransaction, id: Uuid) -> Result<bool, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let key = crate::db::advisory_lock_id(&format!("lifecycle-executor:{id}"));
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            [key.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<bool>("", "locked"))
        .transpose()?
        .unwrap_or(false))
}

/// Works on one workspace at `tick` in a transaction of its own: takes its lock (skipping
/// it silently when another replica has it), re-reads it, and applies the first rule that
/// matches. Builds are the owner's, queued at `now` through the workspace builder.
pub async fn act_on_workspace(
    db: &DatabaseConnection,
    usage: &dyn UsageCheck,
    locks: &Arc<WorkspaceLocks>,
    tick: DateTime<Utc>,
    now: DateTime<Utc>,
    id: Uuid,
) -> Result<Outcome> {
    let Some(_in_process) = locks.try_lock(id) else {
        return Ok(Outcome::Locked);
    };
    let txn = db.begin().await?;
    if !lock_workspace(&txn, id).await? {
        txn.rollback().await?;
        return Ok(Outcome::Locked);
    }
    let outcome = match act_in(&txn, usage, tick, now, id).await {
        // Someone queued a build since the workspace was read (a user, or another replica
        // whose transaction started first): the workspace is theirs this time.
        Err(Error::Conflict(message)) if message == BUILD_ACTIVE => {
            txn.rollback().await?;
            return Ok(Outcome::Unchanged);
        }
        Err(err) => {
            txn.rollback().await?;
            return Err(err);
        }
        Ok(outcome) => outcome,
    };
    txn.commit().await?;
    Ok(outcome)
}

/// The part of [`act_on_workspace`] inside its transaction.
async fn act_in(
    txn: &DatabaseTransaction,
    usage: &dyn UsageCheck,
    tick: DateTime<Utc>,
    now: DateTime<Utc>,
    id: Uuid,
) -> Result<Outcome> {
    let Some(ws) = workspace::Entity::find_by_id(id)
        .one(txn)
        .await?
        .filter(|ws| !ws.deleted)
    else {
        return Ok(Outcome::Unchanged);
    };
    let owner = user::Entity::find_by_id(ws.owner_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("workspace {id} has no owner")))?;
    let tmpl = template::Entity::find_by_id(ws.template_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("workspace {id} has no template")))?;
    let Some((build, job)) = builder::latest_build(txn, ws.id).await? else {
        return Ok(Outcome::Unchanged);
    };
    let options =
        schedule_options(&tmpl).map_err(|e| Error::Corrupt(format!("template schedule: {e}")))?;
    // A stored schedule was valid when written; one that no longer parses just never fires.
    let autostart = ws
        .autostart_schedule
        .as_deref()
        .and_then(|s| CronSchedule::parse_weekly(s).ok());
    let snapshot = Snapshot {
        prebuilt: ws.owner_id == PREBUILDS_SYSTEM_USER_ID,
        owner_status: owner.status,
        last_used_at: ws.last_used_at,
        dormant_at: ws.dormant_at,
        deleting_at: ws.deleting_at,
        autostart,
        next_start_at: ws.next_start_at,
        latest: LatestBuild {
            transition: build.transition,
            created_at: build.created_at,
            deadline: build.deadline,
            job_status: job.status,
            completed_at: job.completed_at,
            canceled_at: job.canceled_at,
        },
        template: options,
    };
    let transition = next_transition(&snapshot, tick);
    let dormant = marks_dormant(&snapshot, tick);

    if let Some((transition, reason)) = transition {
        let on_active_version = transition == Transition::Start
            && (ws.automatic_updates == "always" || tmpl.require_active_version);
        let request = BuildRequest {
            transition,
            reason,
            // None keeps the last build's version and parameters.
            template_version_id: if on_active_version {
                tmpl.active_version_id
            } else {
                None
            },
            preset_id: None,
            parameters: Vec::new(),
            audited: true,
        };
        let subject = Subject::system(ACTOR, ws.owner_id);
        builder::build(txn, &subject, usage, now, &ws, request).await?;
    }

    let mut changed = false;
    let mut active: workspace::ActiveModel = ws.clone().into();
    if dormant {
        let autodelete = snapshot.template.time_til_dormant_autodelete;
        active.dormant_at = Set(Some(tick));
        active.deleting_at = Set((autodelete > TimeDelta::zero()).then(|| tick + autodelete));
        changed = true;
    }
    // The cached next autostart: computed when missing, and moved on once the workspace
    // was acted on (an autostart consumed it; any other build leaves it as good as new).
    if let Some(schedule) = &snapshot.autostart
        && (ws.next_start_at.is_none() || transition.is_some())
    {
        let next = next_allowed_autostart(tick, schedule, snapshot.template.autostart_requirement);
        if next != ws.next_start_at {
            active.next_start_at = Set(next);
            changed = true;
        }
    }
    if changed {
        active.updated_at = Set(now);
        let updated = active.update(txn).await?;
        if dormant {
            // Marking a workspace dormant is audited as a change of the workspace, by the
            // system; the next autostart moving on is bookkeeping and is not.
            let diff = Diff::new()
                .field("dormant_at", Value::Null, time_value(updated.dormant_at))
                .field(
                    "deleting_at",
                    time_value(ws.deleting_at),
                    time_value(updated.deleting_at),
                );
            let resource = audit::Resource::new(ResourceType::Workspace, Some(ws.id), &ws.name)
                .in_org(ws.organization_id);
            let subject = Subject::system(ACTOR, ws.owner_id);
            audit::record(
                txn,
                &subject,
                now,
                AuditEntry::new(AuditAction::Write, resource, diff),
            )
            .await?;
        }
    }
    Ok(if transition.is_some() || dormant {
        Outcome::Acted {
            build: transition,
            marked_dormant: dormant,
        }
    } else {
        Outcome::Unchanged
    })
}
