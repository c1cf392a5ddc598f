//! Workspace builds as provisioner jobs: what a build's job carries, queuing it, and what
//! an external provisioner is handed when it takes one.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    domain::{parameters::BuildParameter, provisioner},
    entity::{provisioner_job, template_version, workspace, workspace_build},
};

/// The kind of the provisioner jobs that run workspace builds.
pub const BUILD_JOB_KIND: &str = "workspace_build";

/// What a workspace-build job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildJobInput {
    /// The build to run.
    pub workspace_build_id: Uuid,
    /// A start build to create when this (stop) build succeeds: `updateWorkspace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then_start: Option<FollowUpStart>,
}

/// The start build `updateWorkspace` queues behind its stop build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowUpStart {
    /// Who asked for the update.
    pub initiator_id: Uuid,
    /// The template's active version at the time of the request.
    pub template_version_id: Uuid,
    /// The values the user gave.
    pub parameters: Vec<BuildParameter>,
}

/// Queues the job of a workspace build.
pub(super) async fn enqueue_build(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: Uuid,
    build_id: Uuid,
) -> Result<provisioner_job::Model, sea_orm::DbErr> {
    let input = BuildJobInput {
        workspace_build_id: build_id,
        then_start: None,
    };
    provisioner::enqueue(
        db,
        now,
        organization_id,
        BUILD_JOB_KIND,
        serde_json::to_value(&input).unwrap_or_default(),
    )
    .await
}

/// A workspace-build job's input with the build and workspace it names.
pub(super) async fn load_build(
    db: &impl ConnectionTrait,
    job: &provisioner_job::Model,
) -> Result<(BuildJobInput, workspace_build::Model, workspace::Model), provisioner::Error> {
    use provisioner::Error;
    let input: BuildJobInput = serde_json::from_value(job.input.clone())
        .map_err(|e| Error::Corrupt(format!("job input: {e}")))?;
    let build = workspace_build::Entity::find_by_id(input.workspace_build_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("job {} has no build", job.id)))?;
    let ws = workspace::Entity::find_by_id(build.workspace_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("build {} has no workspace", build.id)))?;
    Ok((input, build, ws))
}

/// What an external provisioner needs to run a workspace-build job.
#[derive(Debug, Clone)]
pub struct BuildAssignment {
    /// The job.
    pub job: provisioner_job::Model,
    /// The build it runs.
    pub build: workspace_build::Model,
    /// The workspace.
    pub workspace: workspace::Model,
    /// The source archive of the build's version.
    pub file_id: Uuid,
}

/// Takes the oldest pending job for `worker` (of one organization, for an external
/// provisioner) with the build behind it, if any.
pub async fn acquire_build_job(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    worker: &str,
    organization_id: Option<Uuid>,
) -> Result<Option<BuildAssignment>, provisioner::Error> {
    let Some(job) = provisioner::acquire(db, now, worker, organization_id).await? else {
        return Ok(None);
    };
    let (_, build, ws) = load_build(db, &job).await?;
    let version = template_version::Entity::find_by_id(build.template_version_id)
        .one(db)
        .await?
        .ok_or_else(|| provisioner::Error::Corrupt(format!("build {} has no version", build.id)))?;
    Ok(Some(BuildAssignment {
        job,
        build,
        workspace: ws,
        file_id: version.file_id,
    }))
}
