//! The reconciler's view of the world: every preset with prebuilds, its schedules, running
//! prebuilds (with agent readiness), builds in progress, recent failures and whether it is
//! at the failure hard limit — read in one read-only transaction with a fixed number of
//! statements ([`SNAPSHOT_STATEMENTS`]) however many presets there are, then split per
//! preset for the pure core.
//!
//! "Latest build" is the build with the highest number of a live workspace owned by the
//! prebuilds user. A prebuild's preset is its latest build's (the builder carries the preset
//! over to stop, start and delete builds that name none).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, IsolationLevel, QueryResult,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use super::preset_snapshot::{
    Backoff, InProgress, PrebuildStatus, PresetInfo, PresetSnapshot, RunningPrebuild,
};
use crate::domain::{identity::PREBUILDS_SYSTEM_USER_ID, workspace};

/// How many statements [`load`] runs, whatever the number of presets.
pub const SNAPSHOT_STATEMENTS: usize = 6;

/// The latest build of every live prebuild, with its job status and its template's active
/// version. `$1` is the prebuilds user.
const LATEST_PREBUILD_BUILDS: &str = "\
    SELECT w.id AS workspace_id, w.created_at AS workspace_created_at, b.id AS build_id, \
           b.transition AS transition, b.template_version_id AS template_version_id, \
           b.template_version_preset_id AS preset_id, b.initiator_id AS initiator_id, \
           b.created_at AS build_created_at, j.status AS job_status, \
           t.active_version_id AS active_version_id, t.deleted AS template_deleted \
    FROM workspaces w \
    JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = \
      (SELECT MAX(b2.build_number) FROM workspace_builds b2 WHERE b2.workspace_id = w.id) \
    JOIN provisioner_jobs j ON j.id = b.job_id \
    JOIN templates t ON t.id = w.template_id \
    WHERE w.owner_id = $1 AND NOT w.deleted";

/// Latest start builds of prebuilds on their template's active version, with the preset's
/// plain instance count (the population backoff and the hard limit look at).
fn start_builds_on_active_versions(live_templates_only: bool) -> String {
    format!(
        "filtered AS ( \
           SELECT l.preset_id AS preset_id, l.build_created_at AS build_created_at, \
                  l.job_status AS job_status, p.desired_instances AS desired_instances \
           FROM latest l JOIN template_version_presets p ON p.id = l.preset_id \
           WHERE p.desired_instances IS NOT NULL AND l.transition = 'start' \
             AND l.template_version_id = l.active_version_id {live} \
         ), \
         ranked AS ( \
           SELECT f.preset_id, f.build_created_at, f.job_status, f.desired_instances, \
                  ROW_NUMBER() OVER (PARTITION BY f.preset_id ORDER BY f.build_created_at DESC) AS rn \
           FROM filtered f \
         )",
        live = if live_templates_only {
            "AND NOT l.template_deleted"
        } else {
            ""
        }
    )
}

/// Which presets to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every preset with prebuilds (the reconciler).
    All,
    /// The presets of one template version (its counts in the API).
    Version(Uuid),
}

/// A preset row of the snapshot with what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalSnapshot {
    /// Every preset with a prebuild configuration, by id.
    pub presets: Vec<PresetInfo>,
    schedules: HashMap<Uuid, Vec<(String, i32)>>,
    running: HashMap<Uuid, Vec<RunningPrebuild>>,
    in_progress: HashMap<Uuid, InProgress>,
    backoff: HashMap<Uuid, Backoff>,
    hard_limited: HashSet<Uuid>,
}

impl GlobalSnapshot {
    /// The snapshot of each preset, in preset id order.
    pub fn preset_snapshots(&self) -> Vec<PresetSnapshot> {
        self.presets
            .iter()
            .map(|preset| PresetSnapshot {
                preset: preset.clone(),
                schedules: self.schedules.get(&preset.id).cloned().unwrap_or_default(),
                running: self.running.get(&preset.id).cloned().unwrap_or_default(),
                in_progress: self
                    .in_progress
                    .get(&preset.id)
                    .copied()
                    .unwrap_or_default(),
                backoff: self.backoff.get(&preset.id).copied(),
                is_hard_limited: self.hard_limited.contains(&preset.id),
            })
            .collect()
    }
}

/// What [`load`] needs besides the scope.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotParams {
    /// Failures created before this no longer count for backoff.
    pub lookback_start: DateTime<Utc>,
    /// A preset whose last this-many builds all failed is hard-limited; 0 disables it.
    pub failure_hard_limit: i32,
}

/// The snapshot's statements for `backend`, in the order [`load`] runs them: presets,
/// schedules, running prebuilds, in-progress counts, backoff, hard-limited presets. Public so
/// that the benchmark can time the same SQL run directly.
pub fn statements(
    backend: DbBackend,
    scope: Scope,
    params: SnapshotParams,
) -> [Statement; SNAPSHOT_STATEMENTS] {
    let version = match scope {
        Scope::All => None,
        Scope::Version(id) => Some(id),
    };
    let statement = |sql: String, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(backend, sql, values)
    };
    let system = sea_orm::Value::from(PREBUILDS_SYSTEM_USER_ID);
    let version_filter = |column: &str, n: usize| match version {
        Some(_) => format!(" AND {column} = ${n}"),
        None => String::new(),
    };
    let with_version = |mut values: Vec<sea_orm::Value>| {
        if let Some(id) = version {
            values.push(id.into());
        }
        values
    };

    let presets = statement(
        format!(
            "SELECT p.id AS id, p.name AS name, p.template_version_id AS template_version_id, \
                    p.desired_instances AS desired_instances, \
                    p.invalidate_after_secs AS invalidate_after_secs, \
                    p.scheduling_timezone AS scheduling_timezone, \
                    p.prebuild_status AS prebuild_status, t.id AS template_id, \
                    t.name AS template_name, t.organization_id AS organization_id, \
                    o.name AS organization_name, \
                    (t.active_version_id IS NOT NULL AND t.active_version_id = tv.id) AS using_active_version, \
                    t.deleted AS template_deleted \
             FROM template_version_presets p \
             JOIN template_versions tv ON tv.id = p.template_version_id \
             JOIN templates t ON t.id = tv.template_id \
             JOIN organizations o ON o.id = t.organization_id \
             WHERE p.desired_instances IS NOT NULL{} \
             ORDER BY p.id",
            version_filter("p.template_version_id", 1)
        ),
        with_version(Vec::new()),
    );
    let schedules = statement(
        format!(
            "SELECT s.preset_id AS preset_id, s.cron_expression AS cron_expression, \
                    s.desired_instances AS desired_instances \
             FROM template_version_preset_prebuild_schedules s \
             JOIN template_version_presets p ON p.id = s.preset_id \
             JOIN template_versions tv ON tv.id = p.template_version_id \
             JOIN templates t ON t.id = tv.template_id AND t.active_version_id = tv.id \
             WHERE NOT t.deleted AND p.desired_instances IS NOT NULL{} \
             ORDER BY s.preset_id, s.position",
            version_filter("p.template_version_id", 1)
        ),
        with_version(Vec::new()),
    );
    let running = statement(
        format!(
            "WITH latest AS ({LATEST_PREBUILD_BUILDS}) \
             SELECT l.workspace_id AS workspace_id, l.workspace_created_at AS created_at, \
                    l.preset_id AS preset_id, \
                    {ready} AS ready \
             FROM latest l \
             WHERE l.transition = 'start' AND l.job_status = 'succeeded' \
               AND l.preset_id IS NOT NULL{} \
             ORDER BY l.workspace_id",
            version_filter("l.template_version_id", 2),
            ready = workspace::agents_ready_sql("l.build_id"),
        ),
        with_version(vec![system.clone()]),
    );
    let in_progress = statement(
        format!(
            "WITH latest AS ({LATEST_PREBUILD_BUILDS}) \
             SELECT l.preset_id AS preset_id, l.transition AS transition, COUNT(*) AS n \
             FROM latest l \
             WHERE l.initiator_id = $1 AND l.job_status IN ('pending', 'running') \
               AND l.template_version_id = l.active_version_id AND l.preset_id IS NOT NULL{} \
             GROUP BY l.preset_id, l.transition",
            version_filter("l.template_version_id", 2)
        ),
        with_version(vec![system.clone()]),
    );
    let backoff = statement(
        format!(
            "WITH latest AS ({LATEST_PREBUILD_BUILDS}), {ranked}, \
             failures AS ( \
               SELECT preset_id, COUNT(*) AS num_failed FROM filtered \
               WHERE job_status = 'failed' AND build_created_at >= $2 GROUP BY preset_id \
             ) \
             SELECT r.preset_id AS preset_id, fc.num_failed AS num_failed, \
                    MAX(r.build_created_at) AS last_build_at \
             FROM ranked r JOIN failures fc ON fc.preset_id = r.preset_id \
             WHERE r.rn <= r.desired_instances AND r.job_status = 'failed' \
               AND r.build_created_at >= $2 \
             GROUP BY r.preset_id, fc.num_failed",
            ranked = start_builds_on_active_versions(true)
        ),
        vec![system.clone(), params.lookback_start.into()],
    );
    let hard_limited = statement(
        format!(
            "WITH latest AS ({LATEST_PREBUILD_BUILDS}), {ranked} \
             SELECT preset_id FROM ranked \
             WHERE rn <= $2 AND job_status = 'failed' \
             GROUP BY preset_id HAVING COUNT(*) = $2",
            ranked = start_builds_on_active_versions(false)
        ),
        vec![system, i64::from(params.failure_hard_limit).into()],
    );
    [
        presets,
        schedules,
        running,
        in_progress,
        backoff,
        hard_limited,
    ]
}

/// Reads the snapshot in one read-only transaction (repeatable read on PostgreSQL, so the
/// statements agree with each other).
pub async fn load(
    db: &DatabaseConnection,
    scope: Scope,
    params: SnapshotParams,
) -> Result<GlobalSnapshot, DbErr> {
    let backend = db.get_database_backend();
    let txn = match backend {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        // SQLite: one writer and snapshot reads within a transaction already.
        _ => db.begin().await?,
    };
    let [
        presets,
        schedules,
        running,
        in_progress,
        backoff,
        hard_limited,
    ] = statements(backend, scope, params);
    let preset_rows = txn.query_all_raw(presets).await?;
    let schedule_rows = txn.query_all_raw(schedules).await?;
    let running_rows = txn.query_all_raw(running).await?;
    let in_progress_rows = txn.query_all_raw(in_progress).await?;
    let backoff_rows = txn.query_all_raw(backoff).await?;
    let hard_limited_rows = txn.query_all_raw(hard_limited).await?;
    txn.commit().await?;

    let mut snapshot = GlobalSnapshot {
        presets: preset_rows
            .iter()
            .map(preset_info)
            .collect::<Result<_, _>>()?,
        schedules: HashMap::new(),
        running: HashMap::new(),
        in_progress: HashMap::new(),
        backoff: HashMap::new(),
        hard_limited: HashSet::new(),
    };
    for row in &schedule_rows {
        snapshot
            .schedules
            .entry(row.try_get("", "preset_id")?)
            .or_default()
            .push((
                row.try_get("", "cron_expression")?,
                row.try_get("", "desired_instances")?,
            ));
    }
    for row in &running_rows {
        snapshot
            .running
            .entry(row.try_get("", "preset_id")?)
            .or_default()
            .push(RunningPrebuild {
                workspace_id: row.try_get("", "workspace_id")?,
                created_at: row.try_get("", "created_at")?,
                ready: row.try_get("", "ready")?,
            });
    }
    for row in &in_progress_rows {
        let counts = snapshot
            .in_progress
            .entry(row.try_get("", "preset_id")?)
            .or_default();
        let n = count(row.try_get::<i64>("", "n")?);
        match row.try_get::<String>("", "transition")?.as_str() {
            "start" => counts.starting += n,
            "stop" => counts.stopping += n,
            _ => counts.deleting += n,
        }
    }
    for row in &backoff_rows {
        snapshot.backoff.insert(
            row.try_get("", "preset_id")?,
            Backoff {
                num_failed: count(row.try_get::<i64>("", "num_failed")?),
                last_build_at: row.try_get("", "last_build_at")?,
            },
        );
    }
    for row in &hard_limited_rows {
        snapshot.hard_limited.insert(row.try_get("", "preset_id")?);
    }
    Ok(snapshot)
}

fn preset_info(row: &QueryResult) -> Result<PresetInfo, DbErr> {
    Ok(PresetInfo {
        id: row.try_get("", "id")?,
        name: row.try_get("", "name")?,
        template_version_id: row.try_get("", "template_version_id")?,
        template_id: row.try_get("", "template_id")?,
        template_name: row.try_get("", "template_name")?,
        organization_id: row.try_get("", "organization_id")?,
        organization_name: row.try_get("", "organization_name")?,
        using_active_version: row.try_get("", "using_active_version")?,
        template_deleted: row.try_get("", "template_deleted")?,
        // Templates cannot be deprecated in this product (yet); the core handles it.
        template_deprecated: false,
        desired_instances: row
            .try_get::<Option<i32>>("", "desired_instances")?
            .unwrap_or(0),
        ttl_secs: row.try_get("", "invalidate_after_secs")?,
        scheduling_timezone: row.try_get("", "scheduling_timezone")?,
        status: PrebuildStatus::parse(&row.try_get::<String>("", "prebuild_status")?),
    })
}

/// A database count as the core's `i32`.
fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
