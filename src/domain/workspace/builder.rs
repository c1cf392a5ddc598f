//! The workspace builder: the single path for every build — API calls, the lifecycle
//! executor and the prebuild reconciler all come through [`build`]. It runs inside the
//! caller's transaction: authorize, check the version and usage, resolve parameters,
//! refuse while another build is active, then insert the build and its job. The quota is
//! not checked here: a start's cost is committed when its job completes (`quota`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::Value;
use uuid::Uuid;

use super::{BUILD_ACTIVE, Error, Result, map_constraint};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        FieldError,
        audit::{self, AuditEntry, Diff, ResourceType},
        identity::PREBUILDS_SYSTEM_USER_ID,
        parameters::{self, BuildParameter, ParameterDefinition, ResolveInput},
        text,
    },
    entity::{
        audit_log::AuditAction,
        provisioner_job, template, template_version,
        template_version::ImportStatus,
        template_version_preset, workspace,
        workspace_build::{self, BuildReason, Transition},
    },
};

/// Why a usage check did not allow a build.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The build is refused; the reason is shown to the client.
    #[error("{0}")]
    Refused(Box<dyn std::error::Error + Send + Sync>),
    /// The usage could not be counted.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A hook that may refuse a build for usage reasons (the managed-agent limit of a
/// license). It sees the version being built.
#[async_trait::async_trait]
pub trait UsageCheck: Send + Sync {
    /// Ok to allow the build; Err with the reason to refuse it.
    async fn check(
        &self,
        db: &DatabaseTransaction,
        version: &template_version::Model,
    ) -> Result<(), UsageError>;
}

/// Allows every build: the state until licenses fill the hook.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoUsageCheck;

#[async_trait::async_trait]
impl UsageCheck for NoUsageCheck {
    async fn check(
        &self,
        _db: &DatabaseTransaction,
        _version: &template_version::Model,
    ) -> Result<(), UsageError> {
        Ok(())
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// Start, stop or delete.
    pub transition: Transition,
    /// Why.
    pub reason: BuildReason,
    /// The version to build; None reuses the latest build's (or the active one for a first build).
    pub template_version_id: Option<Uuid>,
    /// A preset of that version whose values win over the user's.
    pub preset_id: Option<Uuid>,
    /// Values the user gave for this build.
    pub parameters: Vec<BuildParameter>,
    /// Whether the builder writes the build's audit row; false when the caller records the
    /// action as a whole (creating or updating a workspace).
    pub audited: bool,
}

/// The most parameter values one build may be given.
pub const MAX_SUPPLIED_PARAMETERS: usize = 256;

/// Checks the values a user supplied before anything is resolved: how many, how long, and
/// no NUL characters (which PostgreSQL cannot store).
pub(super) fn check_supplied_parameters(values: &[BuildParameter]) -> Result<()> {
    let mut errors = Vec::new();
    if values.len() > MAX_SUPPLIED_PARAMETERS {
        errors.push(FieldError::new(
            "parameters",
            format!(
                "at most {MAX_SUPPLIED_PARAMETERS} values, got {}",
                values.len()
            ),
        ));
    }
    for (i, value) in values.iter().enumerate().take(MAX_SUPPLIED_PARAMETERS) {
        text::check(
            &format!("parameters[{i}].name"),
            &value.name,
            text::PARAMETER_NAME,
            &mut errors,
        );
        text::check(
            &format!("parameters[{i}].value"),
            &value.value,
            text::PARAMETER_VALUE,
            &mut errors,
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Whether `subject` may perform `transition` on `ws` (Coder: a dormant workspace needs
/// update to start; prebuilds fall back to `prebuilt_workspace` for update and delete).
fn authorize_transition(
    subject: &Subject,
    ws: &workspace::Model,
    transition: Transition,
) -> Result<()> {
    let action = match transition {
        Transition::Start if ws.dormant_at.is_some() => Action::Update,
        Transition::Start => Action::Start,
        Transition::Stop => Action::Stop,
        Transition::Delete => Action::Delete,
    };
    let object = Object::new(Resource::Workspace)
        .in_org(ws.organization_id)
        .owned_by(ws.owner_id);
    if authz::is_allowed(subject, action, &object) {
        return Ok(());
    }
    let prebuild_fallback = ws.owner_id == PREBUILDS_SYSTEM_USER_ID
        && matches!(action, Action::Update | Action::Delete);
    let prebuilt = Object::new(Resource::PrebuiltWorkspace)
        .in_org(ws.organization_id)
        .owned_by(ws.owner_id);
    if prebuild_fallback && authz::is_allowed(subject, action, &prebuilt) {
        return Ok(());
    }
    Err(authz::Forbidden {
        subject: subject.name.clone(),
        action,
        resource: Resource::Workspace,
    }
    .into())
}

/// The latest build of a workspace with its job, if any.
pub(super) async fn latest_build(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Option<(workspace_build::Model, provisioner_job::Model)>> {
    let Some(build) = workspace_build::Entity::find()
        .filter(workspace_build::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(workspace_build::Column::BuildNumber)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let job = provisioner_job::Entity::find_by_id(build.job_id)
        .one(db)
        .await?
        .ok_or(Error::Corrupt(format!("build {} has no job", build.id)))?;
    Ok(Some((build, job)))
}

/// Parses stored build parameters.
pub(super) fn stored_parameters(build: &workspace_build::Model) -> Result<Vec<BuildParameter>> {
    serde_json::from_value(build.parameters.clone())
        .map_err(|e| Error::Corrupt(format!("build parameters: {e}")))
}

/// Parses a version's parameter definitions.
pub(super) fn definitions(version: &template_version::Model) -> Result<Vec<ParameterDefinition>> {
    serde_json::from_value(version.parameters.clone())
        .map_err(|e| Error::Corrupt(format!("version parameters: {e}")))
}

async fn preset_values(
    db: &impl ConnectionTrait,
    version: &template_version::Model,
    preset_id: Option<Uuid>,
) -> Result<Vec<BuildParameter>> {
    let Some(preset_id) = preset_id else {
        return Ok(Vec::new());
    };
    let preset = template_version_preset::Entity::find_by_id(preset_id)
        .filter(template_version_preset::Column::TemplateVersionId.eq(version.id))
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::Invalid(vec![FieldError::new(
                "presetId",
                "the preset does not belong to the template version",
            )])
        })?;
    let map: std::collections::BTreeMap<String, String> = serde_json::from_value(preset.parameters)
        .map_err(|e| Error::Corrupt(format!("preset parameters: {e}")))?;
    Ok(map
        .into_iter()
        .map(|(name, value)| BuildParameter { name, value })
        .collect())
}

/// Creates a build and its provisioner job for `ws`, in the caller's transaction.
pub async fn build(
    db: &DatabaseTransaction,
    subject: &Subject,
    usage: &dyn UsageCheck,
    now: DateTime<Utc>,
    ws: &workspace::Model,
    request: BuildRequest,
) -> Result<workspace_build::Model> {
    authorize_transition(subject, ws, request.transition)?;
    check_supplied_parameters(&request.parameters)?;
    let tmpl = template::Entity::find_by_id(ws.template_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("template"))?;
    let latest = latest_build(db, ws.id).await?;
    let version_id = match (request.template_version_id, &latest) {
        (Some(id), _) => id,
        (None, Some((build, _))) => build.template_version_id,
        (None, None) => tmpl.active_version_id.ok_or(Error::Conflict(
            "The template has no active version.".into(),
        ))?,
    };
    let version = template_version::Entity::find_by_id(version_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("template version"))?;
    if version.template_id != ws.template_id {
        return Err(Error::Invalid(vec![FieldError::new(
            "templateVersionId",
            "template version doesn't match template",
        )]));
    }
    match version.import_status {
        ImportStatus::Succeeded => {}
        ImportStatus::Pending | ImportStatus::Running => {
            return Err(Error::Conflict(format!(
                "The template version {} is still importing. Wait for it to complete importing!",
                version.name
            )));
        }
        ImportStatus::Failed => {
            return Err(Error::Invalid(vec![FieldError::new(
                "templateVersionId",
                format!(
                    "The template version {} has failed to import: {}",
                    version.name, version.import_error
                ),
            )]));
        }
    }
    let is_start = request.transition == Transition::Start;
    if is_start && version.has_ai_task {
        usage.check(db, &version).await.map_err(|err| match err {
            UsageError::Refused(reason) => {
                Error::NotPermitted(format!("Build is not permitted: {reason}"))
            }
            UsageError::Db(e) => Error::Db(e),
        })?;
    }

    let previous = match &latest {
        Some((build, _)) => stored_parameters(build)?,
        None => Vec::new(),
    };
    let preset = preset_values(db, &version, request.preset_id).await?;
    let defs = definitions(&version)?;
    let input = ResolveInput {
        first_build: latest.is_none(),
        is_start,
        previous: &previous,
        user: &request.parameters,
        preset: &preset,
    };
    let resolved = parameters::resolve(&defs, &input)
        .map_err(|errors| Error::InvalidParameters(errors.field_errors()))?;

    if let Some((_, job)) = &latest
        && job.status.is_active()
    {
        return Err(Error::Conflict(BUILD_ACTIVE.to_owned()));
    }
    let number = latest.as_ref().map_or(1, |(b, _)| b.build_number + 1);
    let build_id = Uuid::new_v4();
    let job = super::build_job::enqueue_build(db, now, ws.organization_id, build_id).await?;
    let preset_id = request.preset_id.or_else(|| {
        // The current preset carries over when none is named (Coder: latest non-null).
        latest
            .as_ref()
            .and_then(|(b, _)| b.template_version_preset_id)
            .filter(|_| request.template_version_id.is_none())
    });
    let build =
        workspace_build::ActiveModel {
            id: Set(build_id),
            workspace_id: Set(ws.id),
            build_number: Set(number),
            transition: Set(request.transition),
            reason: Set(request.reason),
            initiator_id: Set(subject.user_id),
            template_version_id: Set(version.id),
            template_version_preset_id: Set(preset_id),
            parameters: Set(
                serde_json::to_value(&resolved).map_err(|e| Error::Corrupt(e.to_string()))?
            ),
            has_ai_task: Set(is_start && version.has_ai_task),
            // Committed when the build succeeds, within the owner's quota (build_completion).
            daily_cost: Set(0),
            deadline: Set(None),
            max_deadline: Set(None),
            job_id: Set(job.id),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(map_constraint)?;
    if request.audited {
        audit::record(db, subject, now, build_audit_entry(ws, &build)).await?;
    }
    Ok(build)
}

/// The audit row of a build: its transition as the action, and why it happened. The
/// parameters stay out of the diff, since a value may be a secret the template asked for.
fn build_audit_entry(ws: &workspace::Model, build: &workspace_build::Model) -> AuditEntry {
    let action = match build.transition {
        Transition::Start => AuditAction::Start,
        Transition::Stop => AuditAction::Stop,
        Transition::Delete => AuditAction::Delete,
    };
    let diff = Diff::new()
        .field("workspace_id", Value::Null, ws.id.to_string())
        .field("build_number", Value::Null, build.build_number)
        .field(
            "template_version_id",
            Value::Null,
            build.template_version_id.to_string(),
        );
    let resource = audit::Resource::new(ResourceType::WorkspaceBuild, Some(build.id), &ws.name)
        .in_org(ws.organization_id);
    AuditEntry::new(action, resource, diff).with_build_reason(build.reason)
}
