//! Canceling a workspace build: a pending build is canceled at once (no provisioner has it);
//! a running one is marked canceling and becomes canceled when its provisioner completes
//! it. A canceled build has no effects, and the workspace can be built again.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::Value;
use uuid::Uuid;

use super::{Error, Result, queries::get_workspace};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType},
        identity::PREBUILDS_SYSTEM_USER_ID,
        provisioner,
    },
    entity::{audit_log::AuditAction, provisioner_job, workspace_build},
};

/// Cancels the build `build_id` (a build, not a workspace: the caller names exactly the build
/// it saw). Allowed to whoever may update the workspace — its owner and the organization's
/// admins; for a prebuilt workspace, those who may update prebuilt workspaces. Returns the
/// build and its job as left.
pub async fn cancel_build(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    build_id: Uuid,
) -> Result<(workspace_build::Model, provisioner_job::Model)> {
    let txn = db.begin().await?;
    let build = workspace_build::Entity::find_by_id(build_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("workspace build"))?;
    // Builds of workspaces the caller may not read are not found, like the workspaces.
    let ws = get_workspace(&txn, subject, build.workspace_id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound("workspace build"),
            other => other,
        })?;
    let object = |resource| {
        Object::new(resource)
            .in_org(ws.organization_id)
            .owned_by(ws.owner_id)
    };
    let prebuilt = ws.owner_id == PREBUILDS_SYSTEM_USER_ID
        && authz::is_allowed(
            subject,
            Action::Update,
            &object(Resource::PrebuiltWorkspace),
        );
    if !prebuilt {
        authz::authorize(subject, Action::Update, &object(Resource::Workspace))?;
    }
    let job = provisioner::cancel(&txn, now, build.job_id)
        .await
        .map_err(|e| match e {
            provisioner::Error::InvalidState(message) => Error::Conflict(message),
            provisioner::Error::Corrupt(message) => Error::Corrupt(message),
            provisioner::Error::Db(e) => Error::Db(e),
        })?;
    let diff = Diff::new().field(
        "job_status",
        Value::Null,
        sea_orm::sea_query::sea_value_to_json_value(&job.status.into()),
    );
    let resource = audit::Resource::new(ResourceType::WorkspaceBuild, Some(build.id), &ws.name)
        .in_org(ws.organization_id);
    let entry = AuditEntry::new(AuditAction::Write, resource, diff).with_build_reason(build.reason);
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok((build, job))
}
