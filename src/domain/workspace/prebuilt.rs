//! Prebuilt workspaces as workspaces: creating one for a preset (owned by the prebuilds
//! user, with none of the lifecycle settings that would let the lifecycle executor touch
//! it), deleting one (only while it is still unclaimed), and claiming a ready one for a
//! user inside `createWorkspace`'s transaction.
//!
//! The claim is one conditional `UPDATE`: the row it picks must still be owned by the
//! prebuilds user when the update runs, and on PostgreSQL the picking sub-select takes the
//! row with `FOR UPDATE SKIP LOCKED`, so concurrent claimers each get a different prebuild
//! or none — never the same one.

use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::{BuildRequest, Error, Result, UsageCheck, builder, map_constraint};
use crate::{
    authz::Subject,
    domain::identity::PREBUILDS_SYSTEM_USER_ID,
    entity::{
        template, workspace,
        workspace_build::{self, BuildReason, Transition},
    },
};

/// The subject the reconciler acts as: the prebuilds user, allowed everything on the
/// prebuilds it manages (Coder's prebuilds orchestrator).
pub fn prebuilds_orchestrator() -> Subject {
    Subject::system("prebuilds-reconciler", PREBUILDS_SYSTEM_USER_ID)
}

/// A new prebuild's name: `prebuild-` and the lower-case, unpadded base32 of nine random
/// bytes (15 characters), as Coder names them.
pub fn generate_prebuild_name() -> String {
    let bytes: [u8; 9] = rand::random();
    format!("prebuild-{}", BASE32_NOPAD.encode(&bytes).to_lowercase())
}

/// Creates a prebuild of `preset_id` for `tmpl` (at its active version) and queues its
/// start build, in a transaction of its own.
pub async fn create_prebuilt_workspace(
    db: &DatabaseConnection,
    usage: &dyn UsageCheck,
    now: DateTime<Utc>,
    template_id: Uuid,
    preset_id: Uuid,
) -> Result<(workspace::Model, workspace_build::Model)> {
    let txn = db.begin().await?;
    let tmpl = template::Entity::find_by_id(template_id)
        .one(&txn)
        .await?
        .filter(|t| !t.deleted)
        .ok_or(Error::NotFound("template"))?;
    let version_id = tmpl.active_version_id.ok_or(Error::Conflict(
        "The template has no active version.".into(),
    ))?;
    // Lifecycle settings stay empty until a claim fills them: a prebuild follows only its
    // preset's expiry and schedules.
    let ws = insert_workspace(
        &txn,
        now,
        NewWorkspace {
            organization_id: tmpl.organization_id,
            owner_id: PREBUILDS_SYSTEM_USER_ID,
            template_id: tmpl.id,
            name: generate_prebuild_name(),
            ttl_ms: None,
            autostart_schedule: None,
            next_start_at: None,
        },
    )
    .await?;
    let build = builder::build(
        &txn,
        &prebuilds_orchestrator(),
        usage,
        now,
        &ws,
        BuildRequest {
            transition: Transition::Start,
            reason: BuildReason::Initiator,
            template_version_id: Some(version_id),
            preset_id: Some(preset_id),
            parameters: Vec::new(),
            audited: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok((ws, build))
}

/// Queues the delete build of an unclaimed prebuild, in a transaction of its own. The
/// workspace is re-read inside it: a prebuild claimed since the snapshot is left alone
/// (Conflict). The build reuses the last build's version and passes no parameters, so a
/// prebuild of an old version can always be removed.
pub async fn delete_prebuilt_workspace(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    workspace_id: Uuid,
) -> Result<workspace_build::Model> {
    let txn = db.begin().await?;
    lock_row(&txn, workspace_id).await?;
    let ws = workspace::Entity::find_by_id(workspace_id)
        .one(&txn)
        .await?
        .filter(|w| !w.deleted)
        .ok_or(Error::NotFound("workspace"))?;
    if ws.owner_id != PREBUILDS_SYSTEM_USER_ID {
        return Err(Error::Conflict(
            "the workspace is no longer a prebuild (probably it was claimed)".into(),
        ));
    }
    let build = builder::build(
        &txn,
        &prebuilds_orchestrator(),
        &builder::NoUsageCheck,
        now,
        &ws,
        BuildRequest {
            transition: Transition::Delete,
            reason: BuildReason::Initiator,
            template_version_id: None,
            preset_id: None,
            parameters: Vec::new(),
            audited: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(build)
}

/// A workspace about to be inserted.
#[derive(Debug, Clone)]
pub(super) struct NewWorkspace {
    /// Its organization (the template's).
    pub organization_id: Uuid,
    /// Its owner.
    pub owner_id: Uuid,
    /// Its template.
    pub template_id: Uuid,
    /// Its name (checked by the caller).
    pub name: String,
    /// Its TTL.
    pub ttl_ms: Option<i64>,
    /// Its autostart schedule.
    pub autostart_schedule: Option<String>,
    /// When autostart next fires.
    pub next_start_at: Option<DateTime<Utc>>,
}

/// Inserts a live workspace, not yet used, never updated automatically.
pub(super) async fn insert_workspace(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    new: NewWorkspace,
) -> Result<workspace::Model> {
    workspace::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(new.organization_id),
        owner_id: Set(new.owner_id),
        template_id: Set(new.template_id),
        name: Set(new.name),
        ttl_ms: Set(new.ttl_ms),
        autostart_schedule: Set(new.autostart_schedule),
        next_start_at: Set(new.next_start_at),
        last_used_at: Set(now),
        dormant_at: Set(None),
        deleting_at: Set(None),
        automatic_updates: Set("never".to_owned()),
        deleted: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(map_constraint)
}

/// Locks a workspace row for the rest of the transaction on PostgreSQL, so that a claim
/// and a delete of the same prebuild run one after the other (SQLite has one writer).
async fn lock_row(txn: &DatabaseTransaction, id: Uuid) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM workspaces WHERE id = $1 FOR UPDATE",
            [id.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The SQL condition "every agent of the build whose id is in `build_id` is ready, and it
/// has at least one": what makes a prebuild claimable. The reconciler's snapshot counts
/// eligible prebuilds with the same condition.
pub fn agents_ready_sql(build_id: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM workspace_agents a WHERE a.build_id = {build_id}) \
          AND NOT EXISTS (SELECT 1 FROM workspace_agents a \
                          WHERE a.build_id = {build_id} AND a.lifecycle_state <> 'ready'))"
    )
}

/// What a claimed prebuild becomes.
#[derive(Debug, Clone)]
pub(super) struct ClaimTarget<'a> {
    /// The new owner.
    pub owner_id: Uuid,
    /// The new name.
    pub name: &'a str,
    /// The template the prebuild must belong to.
    pub template_id: Uuid,
    /// The preset the prebuild must have been built with.
    pub preset_id: Uuid,
    /// The owner's TTL for it.
    pub ttl_ms: Option<i64>,
    /// The owner's autostart schedule.
    pub autostart_schedule: Option<String>,
    /// When autostart next fires.
    pub next_start_at: Option<DateTime<Utc>>,
}

/// Hands one ready prebuild of `target.preset_id` on the template's active version to
/// `target.owner_id`, in the caller's transaction; None when none is ready.
pub(super) async fn claim_prebuilt_workspace(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    target: ClaimTarget<'_>,
) -> Result<Option<workspace::Model>> {
    let backend = txn.get_database_backend();
    let skip_locked = match backend {
        DbBackend::Postgres => "FOR UPDATE OF w SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE workspaces SET owner_id = $1, name = $2, ttl_ms = $3, autostart_schedule = $4, \
           next_start_at = $5, last_used_at = $6, updated_at = $6, dormant_at = NULL, \
           deleting_at = NULL \
         WHERE owner_id = $7 AND NOT deleted AND id = ( \
           SELECT w.id FROM workspaces w \
           JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = \
             (SELECT MAX(b2.build_number) FROM workspace_builds b2 WHERE b2.workspace_id = w.id) \
           JOIN provisioner_jobs j ON j.id = b.job_id \
           JOIN templates t ON t.id = w.template_id \
           WHERE w.owner_id = $7 AND NOT w.deleted AND w.template_id = $8 AND NOT t.deleted \
             AND b.transition = 'start' AND j.status = 'succeeded' \
             AND b.template_version_id = t.active_version_id \
             AND b.template_version_preset_id = $9 \
             AND {ready} \
           ORDER BY w.created_at, w.id \
           LIMIT 1 {skip_locked}) \
         RETURNING id",
        ready = agents_ready_sql("b.id"),
    );
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                target.owner_id.into(),
                target.name.into(),
                target.ttl_ms.into(),
                target.autostart_schedule.into(),
                target.next_start_at.into(),
                now.into(),
                PREBUILDS_SYSTEM_USER_ID.into(),
                target.template_id.into(),
                target.preset_id.into(),
            ],
        ))
        .await
        .map_err(map_constraint)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: Uuid = row.try_get("", "id")?;
    let ws = workspace::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::Corrupt(format!("claimed workspace {id} vanished")))?;
    Ok(Some(ws))
}
