//! Operations on workspaces: create (with its first build), start, stop, delete, update to
//! the active version (stop, then start, as one server-side operation), and the TTL and
//! autostart settings.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait,
    TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    BuildRequest, Error, Result, UsageCheck,
    build_job::{BuildJobInput, FollowUpStart},
    builder::{self, latest_build},
    map_constraint, next_start_at,
    prebuilt::{ClaimTarget, NewWorkspace, claim_prebuilt_workspace, insert_workspace},
    queries::get_workspace,
};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        FieldError,
        audit::{self, AuditEntry, Diff, ResourceType},
        identity::PREBUILDS_SYSTEM_USER_ID,
        parameters::BuildParameter,
        schedule::{Autostop, CronSchedule, ttl_update_deadline, workspace_ttl_from_millis},
        text,
    },
    entity::{
        audit_log::AuditAction,
        provisioner_job, template, workspace,
        workspace_build::{self, BuildReason, Transition},
    },
};

/// The input of `createWorkspace`.
#[derive(Debug, Clone)]
pub struct CreateWorkspace {
    /// The template to build from (its active version).
    pub template_id: Uuid,
    /// Unique among the owner's live workspaces.
    pub name: String,
    /// A preset of the active version.
    pub preset_id: Option<Uuid>,
    /// Parameter values.
    pub parameters: Vec<BuildParameter>,
    /// Autostop after this long; None takes the template's default.
    pub ttl_ms: Option<i64>,
    /// Coder cron for autostart.
    pub autostart_schedule: Option<String>,
}

/// Coder's `validWorkspaceTTLMillis` (in `schedule`), in milliseconds: None or 0 disables;
/// otherwise truncated to the minute, from one minute to 30 days.
pub(super) fn check_ttl(ttl_ms: Option<i64>) -> Result<Option<i64>, FieldError> {
    workspace_ttl_from_millis(ttl_ms, TimeDelta::zero())
        .map(|ttl| ttl.map(|t| t.num_milliseconds()))
        .map_err(|e| FieldError::new("ttlMs", e.to_string()))
}

fn check_autostart(schedule: Option<&str>) -> Result<Option<CronSchedule>, FieldError> {
    match schedule.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.contains('\0') || s.chars().count() > text::SCHEDULE => {
            let mut errors = Vec::new();
            text::check("autostartSchedule", s, text::SCHEDULE, &mut errors);
            Err(errors.remove(0))
        }
        Some(s) => CronSchedule::parse_weekly(s)
            .map(Some)
            .map_err(|e| FieldError::new("autostartSchedule", e.to_string())),
    }
}

/// The `next_start_at` to store with a new autostart schedule: the first firing the
/// template allows (not merely the next firing, which may fall on a blocked day).
fn autostart_next_start(
    schedule: Option<&CronSchedule>,
    tmpl: &template::Model,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let Some(schedule) = schedule else {
        return Ok(None);
    };
    next_start_at(schedule, tmpl, now)
        .map_err(|e| Error::Corrupt(format!("template schedule: {e}")))
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        errors.push(FieldError::new(
            "name",
            "must be 1-32 letters, digits or single hyphens, not starting or ending with a hyphen",
        ));
    }
    name.to_owned()
}

async fn live_template(
    db: &impl sea_orm::ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<template::Model> {
    let tmpl = template::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|t| !t.deleted)
        .ok_or(Error::NotFound("template"))?;
    if !authz::is_allowed(
        subject,
        Action::Read,
        &Object::new(Resource::Template).in_org(tmpl.organization_id),
    ) {
        return Err(Error::NotFound("template"));
    }
    Ok(tmpl)
}

/// Whether `createWorkspace` may hand out a prebuilt workspace (the deployment is entitled
/// to prebuilds) or always creates a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrebuildClaims {
    /// Claim a ready prebuild of the requested preset when there is one.
    Enabled,
    /// Always create a new workspace.
    Disabled,
}

/// Creates a workspace for the subject and its first (start) build, in one transaction.
/// With a preset and claims enabled, a ready prebuild of that preset on the active version
/// is claimed instead (renamed, given to the subject with the TTL and autostart a new
/// workspace would get) and started with the subject's parameters; with none ready, a new
/// workspace is created as usual.
pub async fn create_workspace(
    db: &DatabaseConnection,
    subject: &Subject,
    usage: &dyn UsageCheck,
    claims: PrebuildClaims,
    now: DateTime<Utc>,
    input: CreateWorkspace,
) -> Result<(workspace::Model, workspace_build::Model)> {
    let tmpl = live_template(db, subject, input.template_id).await?;
    authz::authorize(
        subject,
        Action::Use,
        &Object::new(Resource::Template).in_org(tmpl.organization_id),
    )?;
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::Workspace)
            .in_org(tmpl.organization_id)
            .owned_by(subject.user_id),
    )?;
    let mut errors = Vec::new();
    let name = check_name(&input.name, &mut errors);
    let ttl_ms = match (input.ttl_ms, tmpl.allow_user_autostop) {
        (Some(ms), true) => check_ttl(Some(ms)).unwrap_or_else(|e| {
            errors.push(e);
            None
        }),
        (Some(ms), false) if ms != 0 => {
            errors.push(FieldError::new(
                "ttlMs",
                "Custom autostop TTL is not allowed for workspaces using this template.",
            ));
            None
        }
        // The template default seeds the workspace TTL at creation (Coder).
        _ => (tmpl.default_ttl_ms > 0).then_some(tmpl.default_ttl_ms),
    };
    let autostart = check_autostart(input.autostart_schedule.as_deref()).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if autostart.is_some() && !tmpl.allow_user_autostart {
        errors.push(FieldError::new(
            "autostartSchedule",
            "Autostart is not allowed for workspaces using this template.",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let next_start_at = autostart_next_start(autostart.as_ref(), &tmpl, now)?;
    let autostart_schedule = autostart.as_ref().map(ToString::to_string);
    let txn = db.begin().await?;
    let claimed = match input.preset_id {
        Some(preset_id) if claims == PrebuildClaims::Enabled => {
            let target = ClaimTarget {
                owner_id: subject.user_id,
                name: &name,
                template_id: tmpl.id,
                preset_id,
                ttl_ms,
                autostart_schedule: autostart_schedule.clone(),
                next_start_at,
            };
            claim_prebuilt_workspace(&txn, now, target).await?
        }
        _ => None,
    };
    let claimed_prebuild = claimed.is_some();
    let ws = match claimed {
        Some(ws) => ws,
        None => {
            let new = NewWorkspace {
                organization_id: tmpl.organization_id,
                owner_id: subject.user_id,
                template_id: tmpl.id,
                name,
                ttl_ms,
                autostart_schedule,
                next_start_at,
            };
            insert_workspace(&txn, now, new).await?
        }
    };
    let build = builder::build(
        &txn,
        subject,
        usage,
        now,
        &ws,
        BuildRequest {
            transition: Transition::Start,
            reason: BuildReason::Initiator,
            template_version_id: tmpl.active_version_id,
            preset_id: input.preset_id,
            parameters: input.parameters,
            audited: false,
        },
    )
    .await?;
    // One row for the whole request: the workspace as the user now has it (a claimed
    // prebuild says so), its first build included.
    let mut diff = Diff::of_rows(None, Some(&ws)).field(
        "template_version_id",
        Value::Null,
        build.template_version_id.to_string(),
    );
    if claimed_prebuild {
        diff = diff.field("claimed_prebuild", false, true);
    }
    let entry = AuditEntry::new(AuditAction::Create, workspace_resource(&ws), diff);
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok((ws, build))
}

/// A workspace as the audit log names it.
fn workspace_resource(ws: &workspace::Model) -> audit::Resource {
    audit::Resource::new(ResourceType::Workspace, Some(ws.id), &ws.name).in_org(ws.organization_id)
}

async fn transition(
    db: &DatabaseConnection,
    subject: &Subject,
    usage: &dyn UsageCheck,
    now: DateTime<Utc>,
    id: Uuid,
    transition: Transition,
    parameters: Vec<BuildParameter>,
) -> Result<workspace_build::Model> {
    let txn = db.begin().await?;
    let ws = get_workspace(&txn, subject, id).await?;
    let build = builder::build(
        &txn,
        subject,
        usage,
        now,
        &ws,
        BuildRequest {
            transition,
            reason: BuildReason::Initiator,
            template_version_id: None,
            preset_id: None,
            parameters,
            audited: true,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(build)
}

/// Starts a workspace on the version it last ran.
pub async fn start_workspace(
    db: &DatabaseConnection,
    subject: &Subject,
    usage: &dyn UsageCheck,
    now: DateTime<Utc>,
    id: Uuid,
    parameters: Vec<BuildParameter>,
) -> Result<workspace_build::Model> {
    transition(db, subject, usage, now, id, Transition::Start, parameters).await
}

/// Stops a workspace.
pub async fn stop_workspace(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    id: Uuid,
) -> Result<workspace_build::Model> {
    transition(
        db,
        subject,
        &super::NoUsageCheck,
        now,
        id,
        Transition::Stop,
        Vec::new(),
    )
    .await
}

/// Deletes a workspace (a delete build; the workspace is marked deleted when it succeeds).
pub async fn delete_workspace(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    id: Uuid,
) -> Result<workspace_build::Model> {
    transition(
        db,
        subject,
        &super::NoUsageCheck,
        now,
        id,
        Transition::Delete,
        Vec::new(),
    )
    .await
}

/// What `updateWorkspace` did.
#[derive(Debug, Clone)]
pub enum UpdateOutcome {
    /// Already on the active version with nothing to change.
    UpToDate,
    /// The workspace was not started: one start build on the active version.
    Started(workspace_build::Model),
    /// The workspace was started: a stop build, whose success creates the start build.
    StopThenStart(workspace_build::Model),
}

/// Moves a workspace to its template's active version (Coder #18425): when the latest
/// build is a start (even a failed one) a stop build is created whose successful
/// completion creates the start build in the same transaction, so nothing can slip in
/// between; otherwise a start build is created directly. Parameters carry over.
pub async fn update_workspace(
    db: &DatabaseConnection,
    subject: &Subject,
    usage: &dyn UsageCheck,
    now: DateTime<Utc>,
    id: Uuid,
    parameters: Vec<BuildParameter>,
) -> Result<UpdateOutcome> {
    let txn = db.begin().await?;
    let ws = get_workspace(&txn, subject, id).await?;
    let tmpl = template::Entity::find_by_id(ws.template_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("template"))?;
    let active = tmpl.active_version_id.ok_or(Error::Conflict(
        "The template has no active version.".into(),
    ))?;
    let (latest, job) = latest_build(&txn, ws.id)
        .await?
        .ok_or(Error::Corrupt("workspace without builds".into()))?;
    if latest.template_version_id == active && parameters.is_empty() {
        return Ok(UpdateOutcome::UpToDate);
    }
    if job.status.is_active() {
        return Err(Error::Conflict(super::BUILD_ACTIVE.to_owned()));
    }
    let start = BuildRequest {
        transition: Transition::Start,
        reason: BuildReason::Initiator,
        template_version_id: Some(active),
        preset_id: None,
        parameters: parameters.clone(),
        audited: false,
    };
    // One row for the update, whichever builds it takes; the version it moves to is the
    // change. Parameter values stay out, since one may be a secret.
    let mut diff = Diff::new().field(
        "template_version_id",
        latest.template_version_id.to_string(),
        active.to_string(),
    );
    if !parameters.is_empty() {
        let names: Vec<Value> = parameters
            .iter()
            .map(|p| Value::String(p.name.clone()))
            .collect();
        diff = diff.field("parameters", Value::Null, names);
    }
    let entry = AuditEntry::new(AuditAction::Write, workspace_resource(&ws), diff);
    if latest.transition != Transition::Start {
        let build = builder::build(&txn, subject, usage, now, &ws, start).await?;
        audit::record(&txn, subject, now, entry).await?;
        txn.commit().await?;
        return Ok(UpdateOutcome::Started(build));
    }
    // Validate the start now, so a bad parameter fails the request rather than the
    // follow-up: build it in a savepoint and roll it back.
    {
        let probe = txn.begin().await?;
        builder::build(&probe, subject, usage, now, &ws, start).await?;
        probe.rollback().await?;
    }
    let stop = builder::build(
        &txn,
        subject,
        &super::NoUsageCheck,
        now,
        &ws,
        BuildRequest {
            transition: Transition::Stop,
            reason: BuildReason::Initiator,
            template_version_id: None,
            preset_id: None,
            parameters: Vec::new(),
            audited: false,
        },
    )
    .await?;
    let follow_up = FollowUpStart {
        initiator_id: subject.user_id,
        template_version_id: active,
        parameters,
    };
    let mut job: provisioner_job::ActiveModel = provisioner_job::Entity::find_by_id(stop.job_id)
        .one(&txn)
        .await?
        .ok_or(Error::Corrupt("stop build without job".into()))?
        .into();
    job.input = Set(serde_json::to_value(BuildJobInput {
        workspace_build_id: stop.id,
        then_start: Some(follow_up),
    })
    .map_err(|e| Error::Corrupt(e.to_string()))?);
    job.update(&txn).await?;
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok(UpdateOutcome::StopThenStart(stop))
}

/// The live, non-prebuilt workspace `id` with its template, for a schedule change by
/// `subject` (Coder refuses TTL and autostart changes of prebuilds with 409).
async fn schedule_target(
    txn: &DatabaseTransaction,
    subject: &Subject,
    id: Uuid,
    what: &str,
) -> Result<(workspace::Model, template::Model)> {
    let ws = get_workspace(txn, subject, id).await?;
    if ws.owner_id == PREBUILDS_SYSTEM_USER_ID {
        return Err(Error::Conflict(format!(
            "{what} updates are not supported for prebuilt workspaces"
        )));
    }
    authz::authorize(
        subject,
        Action::Update,
        &Object::new(Resource::Workspace)
            .in_org(ws.organization_id)
            .owned_by(ws.owner_id),
    )?;
    let tmpl = template::Entity::find_by_id(ws.template_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("template"))?;
    Ok((ws, tmpl))
}

/// Sets or clears the workspace TTL (Coder `putWorkspaceTTL`, with the #19203 fix: clearing
/// it sets a running build's deadline to its max deadline, or none).
pub async fn update_ttl(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    id: Uuid,
    ttl_ms: Option<i64>,
) -> Result<workspace::Model> {
    let txn = db.begin().await?;
    let (ws, tmpl) = schedule_target(&txn, subject, id, "TTL").await?;
    if !tmpl.allow_user_autostop {
        return Err(Error::Invalid(vec![FieldError::new(
            "ttlMs",
            "Custom autostop TTL is not allowed for workspaces using this template.",
        )]));
    }
    let ttl = check_ttl(ttl_ms).map_err(|e| Error::Invalid(vec![e]))?;
    if let Some((build, _)) = latest_build(&txn, ws.id).await? {
        let current = Autostop {
            deadline: build.deadline,
            max_deadline: build.max_deadline,
        };
        let is_start = build.transition == Transition::Start;
        if let Some(changed) =
            ttl_update_deadline(ttl.map(TimeDelta::milliseconds), is_start, current)
        {
            let mut active: workspace_build::ActiveModel = build.into();
            active.deadline = Set(changed.deadline);
            active.max_deadline = Set(changed.max_deadline);
            active.updated_at = Set(now);
            active.update(&txn).await.map_err(map_constraint)?;
        }
    }
    let mut active: workspace::ActiveModel = ws.clone().into();
    active.ttl_ms = Set(ttl);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    record_workspace_write(&txn, subject, now, &ws, &updated).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Sets or clears the autostart schedule (Coder `putWorkspaceAutostart`).
pub async fn update_autostart(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    id: Uuid,
    schedule: Option<String>,
) -> Result<workspace::Model> {
    let txn = db.begin().await?;
    let (ws, tmpl) = schedule_target(&txn, subject, id, "Autostart").await?;
    let parsed = check_autostart(schedule.as_deref()).map_err(|e| {
        Error::Invalid(vec![FieldError::new(
            "schedule",
            format!("Invalid autostart schedule. {}", e.detail),
        )])
    })?;
    if parsed.is_some() && !tmpl.allow_user_autostart {
        return Err(Error::Invalid(vec![FieldError::new(
            "schedule",
            "Autostart is not allowed for workspaces using this template.",
        )]));
    }
    let next_start_at = autostart_next_start(parsed.as_ref(), &tmpl, now)?;
    let mut active: workspace::ActiveModel = ws.clone().into();
    active.next_start_at = Set(next_start_at);
    active.autostart_schedule = Set(parsed.as_ref().map(ToString::to_string));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    record_workspace_write(&txn, subject, now, &ws, &updated).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Writes the audit row of a change of the workspace's own fields (TTL, autostart).
async fn record_workspace_write(
    txn: &DatabaseTransaction,
    subject: &Subject,
    now: DateTime<Utc>,
    old: &workspace::Model,
    new: &workspace::Model,
) -> Result<()> {
    let entry = AuditEntry::new(
        AuditAction::Write,
        workspace_resource(new),
        Diff::of_rows(Some(old), Some(new)),
    );
    audit::record(txn, subject, now, entry).await?;
    Ok(())
}

/// Whether the workspace's latest build runs an older version than the template's active one.
pub fn is_outdated(latest: &workspace_build::Model, tmpl: &template::Model) -> bool {
    tmpl.active_version_id
        .is_some_and(|active| active != latest.template_version_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rules() {
        assert_eq!(check_ttl(None), Ok(None));
        assert_eq!(check_ttl(Some(0)), Ok(None));
        assert_eq!(check_ttl(Some(90_500)), Ok(Some(60_000)));
        assert!(check_ttl(Some(59_999)).is_err());
        assert!(check_ttl(Some(TimeDelta::days(30).num_milliseconds())).is_ok());
        assert!(
            check_ttl(Some(
                (TimeDelta::days(30) + TimeDelta::minutes(1)).num_milliseconds()
            ))
            .is_err()
        );
        assert_eq!(check_ttl(Some(3_600_000)), Ok(Some(3_600_000)));
    }
}
