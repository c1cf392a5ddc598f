//! Provisioner keys, and the mutations external provisioners call with one.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{provisioner, workspace},
    entity::provisioner_key,
    graphql::{
        context::ContextExt,
        error::Result,
        types::{ProvisionerJob, WorkspaceBuild},
    },
};

/// A new provisioner key.
#[derive(InputObject)]
pub struct CreateProvisionerKeyInput {
    /// The organization whose jobs the key may take.
    pub organization_id: Uuid,
    /// Unique name in the organization.
    pub name: String,
}

/// A provisioner key (never its secret).
#[derive(SimpleObject)]
pub struct ProvisionerKey {
    /// Unique id.
    pub id: Uuid,
    /// The organization whose jobs it may take.
    pub organization_id: Uuid,
    /// Name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<provisioner_key::Model> for ProvisionerKey {
    fn from(m: provisioner_key::Model) -> Self {
        Self {
            id: m.id,
            organization_id: m.organization_id,
            name: m.name,
            created_at: m.created_at,
        }
    }
}

/// A created key; the key text is shown only here.
#[derive(SimpleObject)]
pub struct CreateProvisionerKeyPayload {
    /// Send as `Coder-Provisioner-Key: <key>`. It cannot be shown again.
    pub key: String,
    /// The key's metadata.
    pub provisioner_key: ProvisionerKey,
}

/// A job handed to an external provisioner.
#[derive(SimpleObject)]
pub struct ProvisionerJobAssignment {
    /// The job; complete it with `completeProvisionerJob`.
    pub job: ProvisionerJob,
    /// The build to run.
    pub build: WorkspaceBuild,
    /// The workspace's id.
    pub workspace_id: Uuid,
    /// The workspace's name.
    pub workspace_name: String,
    /// The owner's id.
    pub owner_id: Uuid,
    /// The template source archive to apply.
    pub file_id: Uuid,
}

/// How a job ended.
#[derive(InputObject)]
pub struct CompleteProvisionerJobInput {
    /// The job.
    pub job_id: Uuid,
    /// Null or absent on success; the failure's text otherwise.
    pub error: Option<String>,
}

/// Provisioner mutations.
#[derive(Default)]
pub struct ProvisionerMutation;

#[Object]
impl ProvisionerMutation {
    /// Creates a key for an organization's external provisioners (organization admins).
    async fn create_provisioner_key(
        &self,
        ctx: &Context<'_>,
        input: CreateProvisionerKeyInput,
    ) -> Result<CreateProvisionerKeyPayload> {
        let state = ctx.state()?;
        let (model, key) = provisioner::keys::create_key(
            &state.db,
            &state.entitlements,
            ctx.subject()?,
            state.clock.now(),
            input.organization_id,
            &input.name,
        )
        .await?;
        Ok(CreateProvisionerKeyPayload {
            key,
            provisioner_key: model.into(),
        })
    }

    /// Takes the oldest pending job of the key's organization, or null when none waits.
    /// For provisioners: needs `Coder-Provisioner-Key`.
    async fn acquire_provisioner_job(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<ProvisionerJobAssignment>> {
        let key = ctx.provisioner()?;
        let state = ctx.state()?;
        let worker = key.id.to_string();
        let Some(assignment) = workspace::acquire_build_job(
            &state.db,
            state.clock.now(),
            &worker,
            Some(key.organization_id),
        )
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(ProvisionerJobAssignment {
            workspace_id: assignment.workspace.id,
            workspace_name: assignment.workspace.name,
            owner_id: assignment.workspace.owner_id,
            file_id: assignment.file_id,
            build: WorkspaceBuild(assignment.build, Some(assignment.job.clone())),
            job: ProvisionerJob(assignment.job),
        }))
    }

    /// Says this provisioner is still working on a job it acquired, and returns the job.
    /// Send one at least every couple of minutes while a job runs: a running job without a
    /// heartbeat for `--provisioner-job-stale-after` (default 5 minutes) is failed. Stop
    /// working when the status is CANCELING (then complete it) or no longer RUNNING.
    /// For provisioners: needs `Coder-Provisioner-Key`.
    async fn heartbeat_provisioner_job(
        &self,
        ctx: &Context<'_>,
        job_id: Uuid,
    ) -> Result<ProvisionerJob> {
        let key = ctx.provisioner()?;
        let state = ctx.state()?;
        let job = provisioner::heartbeat(&state.db, state.clock.now(), job_id, &key.id.to_string())
            .await?;
        Ok(ProvisionerJob(job))
    }

    /// Completes a job this provisioner acquired: success, or failure with an error.
    /// For provisioners: needs `Coder-Provisioner-Key`.
    async fn complete_provisioner_job(
        &self,
        ctx: &Context<'_>,
        input: CompleteProvisionerJobInput,
    ) -> Result<ProvisionerJob> {
        let key = ctx.provisioner()?;
        let state = ctx.state()?;
        let outcome = match input.error {
            Some(error) if !error.is_empty() => Err(error),
            _ => Ok(()),
        };
        let worker = key.id.to_string();
        let job = workspace::complete_build_job(
            &state.db,
            state.clock.now(),
            input.job_id,
            Some(&worker),
            outcome,
        )
        .await?;
        Ok(ProvisionerJob(job))
    }
}
