//! Workspaces, builds, jobs and agents.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Milliseconds, ParameterValue, Template, TemplateVersion, User};
use crate::{
    domain::{parameters::BuildParameter, workspace as domain},
    entity::{
        provisioner_job::{self, JobStatus},
        workspace, workspace_agent,
        workspace_build::{self, BuildReason, Transition},
    },
    graphql::{
        context::ContextExt,
        error::{ApiError, ErrorCode, Result},
        loaders::{
            AgentsOf, LatestBuildOf, ProvisionerJobId, TemplateId, TemplateVersionId, UserId,
        },
    },
};

/// A workspace's state, from its latest build and that build's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::workspace::WorkspaceStatus")]
pub enum WorkspaceStatus {
    /// The build waits for a provisioner.
    Pending,
    /// Starting.
    Starting,
    /// Started.
    Running,
    /// Stopping.
    Stopping,
    /// Stopped.
    Stopped,
    /// The latest build failed.
    Failed,
    /// Canceling the latest build.
    Canceling,
    /// The latest build was canceled.
    Canceled,
    /// Deleting.
    Deleting,
    /// Deleted.
    Deleted,
}

/// What a build does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum WorkspaceTransition {
    /// Bring the workspace up.
    Start,
    /// Bring it down, keeping its data.
    Stop,
    /// Remove it.
    Delete,
}

/// Why a build happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    name = "BuildReason",
    remote = "crate::entity::workspace_build::BuildReason"
)]
pub enum BuildReasonKind {
    /// A user asked.
    Initiator,
    /// The autostart schedule.
    Autostart,
    /// The deadline passed.
    Autostop,
    /// Inactivity.
    Dormancy,
    /// Dormant for too long.
    Autodelete,
    /// Cleanup after a failed start.
    FailedStop,
}

/// Where a provisioner job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProvisionerJobStatus {
    /// Waiting for a provisioner.
    Pending,
    /// A provisioner is on it.
    Running,
    /// Done.
    Succeeded,
    /// Done, with an error.
    Failed,
    /// Asked to stop.
    Canceling,
    /// Stopped before finishing.
    Canceled,
}

/// A development environment built from a template.
pub struct Workspace(pub workspace::Model);

async fn latest(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<(workspace_build::Model, provisioner_job::Model)> {
    ctx.loader()?
        .load_one(LatestBuildOf(id))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The workspace has no build."))
}

/// A development environment built from a template.
#[Object]
impl Workspace {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Unique among the owner's live workspaces.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The organization's id.
    async fn organization_id(&self) -> Uuid {
        self.0.organization_id
    }
    /// The owner's id.
    async fn owner_id(&self) -> Uuid {
        self.0.owner_id
    }
    /// The owner.
    async fn owner(&self, ctx: &Context<'_>) -> Result<User> {
        ctx.loader()?
            .load_one(UserId(self.0.owner_id))
            .await?
            .map(User)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The owner no longer exists."))
    }
    /// The template's id.
    async fn template_id(&self) -> Uuid {
        self.0.template_id
    }
    /// The template.
    async fn template(&self, ctx: &Context<'_>) -> Result<Template> {
        ctx.loader()?
            .load_one(TemplateId(self.0.template_id))
            .await?
            .map(Template)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The template no longer exists."))
    }
    /// The latest build.
    async fn latest_build(&self, ctx: &Context<'_>) -> Result<WorkspaceBuild> {
        let (build, job) = latest(ctx, self.0.id).await?;
        Ok(WorkspaceBuild(build, Some(job)))
    }
    /// The state, from the latest build.
    async fn status(&self, ctx: &Context<'_>) -> Result<WorkspaceStatus> {
        let (build, job) = latest(ctx, self.0.id).await?;
        Ok(domain::status_of(&build, &job).into())
    }
    /// Whether the latest build runs an older version than the template's active one.
    async fn outdated(&self, ctx: &Context<'_>) -> Result<bool> {
        let (build, _) = latest(ctx, self.0.id).await?;
        let tmpl = ctx
            .loader()?
            .load_one(TemplateId(self.0.template_id))
            .await?;
        Ok(tmpl.is_some_and(|t| domain::is_outdated(&build, &t)))
    }
    /// When the running workspace stops by itself, if ever (the latest build's deadline).
    async fn deadline(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        let (build, _) = latest(ctx, self.0.id).await?;
        Ok(build.deadline)
    }
    /// The latest build's max deadline (the template's autostop requirement), if any.
    async fn max_deadline(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        let (build, _) = latest(ctx, self.0.id).await?;
        Ok(build.max_deadline)
    }
    /// Autostop after this long; null: no autostop.
    async fn ttl_ms(&self) -> Option<Milliseconds> {
        self.0.ttl_ms.map(Milliseconds)
    }
    /// Autostart schedule (`CRON_TZ=<zone> <min> <hour> * * <weekdays>`), or null.
    async fn autostart_schedule(&self) -> Option<&str> {
        self.0.autostart_schedule.as_deref()
    }
    /// The next autostart, if scheduled.
    async fn next_start_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_start_at
    }
    /// When it was last used.
    async fn last_used_at(&self) -> DateTime<Utc> {
        self.0.last_used_at
    }
    /// When it became dormant, if it is.
    async fn dormant_at(&self) -> Option<DateTime<Utc>> {
        self.0.dormant_at
    }
    /// When a dormant workspace will be deleted, if scheduled.
    async fn deleting_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleting_at
    }
    /// `always` or `never`: whether starts move to the active version.
    async fn automatic_updates(&self) -> &str {
        &self.0.automatic_updates
    }
    /// Whether it has been deleted.
    async fn deleted(&self) -> bool {
        self.0.deleted
    }
    /// The agents of the running build, by name.
    async fn agents(&self, ctx: &Context<'_>) -> Result<Vec<WorkspaceAgent>> {
        let agents = ctx
            .loader()?
            .load_one(AgentsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(agents.into_iter().map(WorkspaceAgent).collect())
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One start, stop or delete of a workspace.
pub struct WorkspaceBuild(
    pub workspace_build::Model,
    pub Option<provisioner_job::Model>,
);

impl WorkspaceBuild {
    async fn job_of(&self, ctx: &Context<'_>) -> Result<provisioner_job::Model> {
        if let Some(job) = &self.1 {
            return Ok(job.clone());
        }
        ctx.loader()?
            .load_one(ProvisionerJobId(self.0.job_id))
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The build has no job."))
    }
}

/// One start, stop or delete of a workspace.
#[Object]
impl WorkspaceBuild {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The workspace's id.
    async fn workspace_id(&self) -> Uuid {
        self.0.workspace_id
    }
    /// 1, 2, … per workspace.
    async fn build_number(&self) -> i32 {
        self.0.build_number
    }
    /// What it does.
    async fn transition(&self) -> WorkspaceTransition {
        match self.0.transition {
            Transition::Start => WorkspaceTransition::Start,
            Transition::Stop => WorkspaceTransition::Stop,
            Transition::Delete => WorkspaceTransition::Delete,
        }
    }
    /// Why it happened.
    async fn reason(&self) -> BuildReasonKind {
        match self.0.reason {
            BuildReason::Initiator => BuildReasonKind::Initiator,
            BuildReason::Autostart => BuildReasonKind::Autostart,
            BuildReason::Autostop => BuildReasonKind::Autostop,
            BuildReason::Dormancy => BuildReasonKind::Dormancy,
            BuildReason::Autodelete => BuildReasonKind::Autodelete,
            BuildReason::FailedStop => BuildReasonKind::FailedStop,
        }
    }
    /// Who started it.
    async fn initiator(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(ctx
            .loader()?
            .load_one(UserId(self.0.initiator_id))
            .await?
            .map(User))
    }
    /// The version it builds.
    async fn template_version(&self, ctx: &Context<'_>) -> Result<TemplateVersion> {
        ctx.loader()?
            .load_one(TemplateVersionId(self.0.template_version_id))
            .await?
            .map(TemplateVersion)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    "The template version no longer exists.",
                )
            })
    }
    /// The preset it used, if any.
    async fn preset_id(&self) -> Option<Uuid> {
        self.0.template_version_preset_id
    }
    /// The parameter values it was built with.
    async fn parameters(&self) -> Result<Vec<ParameterValue>> {
        let values: Vec<BuildParameter> = serde_json::from_value(self.0.parameters.clone())
            .map_err(|e| ApiError::internal(&e))?;
        Ok(values
            .into_iter()
            .map(|p| ParameterValue {
                name: p.name,
                value: p.value,
            })
            .collect())
    }
    /// Whether it runs an AI task.
    async fn has_ai_task(&self) -> bool {
        self.0.has_ai_task
    }
    /// Quota this build consumes: its version's daily cost once a start succeeded within
    /// the owner's quota; 0 for stops, deletes, and builds that have not (or not yet).
    async fn daily_cost(&self) -> i32 {
        self.0.daily_cost
    }
    /// When the workspace stops by itself, if ever (set when a start completes).
    async fn deadline(&self) -> Option<DateTime<Utc>> {
        self.0.deadline
    }
    /// The latest the deadline may be (the template's autostop requirement), if any.
    async fn max_deadline(&self) -> Option<DateTime<Utc>> {
        self.0.max_deadline
    }
    /// The provisioner job that runs it.
    async fn job(&self, ctx: &Context<'_>) -> Result<ProvisionerJob> {
        Ok(ProvisionerJob(self.job_of(ctx).await?))
    }
    /// The workspace state this build gives.
    async fn status(&self, ctx: &Context<'_>) -> Result<WorkspaceStatus> {
        let job = self.job_of(ctx).await?;
        Ok(domain::status_of(&self.0, &job).into())
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A unit of work for a provisioner.
pub struct ProvisionerJob(pub provisioner_job::Model);

/// A unit of work for a provisioner.
#[Object]
impl ProvisionerJob {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Where it stands.
    async fn status(&self) -> ProvisionerJobStatus {
        match self.0.status {
            JobStatus::Pending => ProvisionerJobStatus::Pending,
            JobStatus::Running => ProvisionerJobStatus::Running,
            JobStatus::Succeeded => ProvisionerJobStatus::Succeeded,
            JobStatus::Failed => ProvisionerJobStatus::Failed,
            JobStatus::Canceling => ProvisionerJobStatus::Canceling,
            JobStatus::Canceled => ProvisionerJobStatus::Canceled,
        }
    }
    /// The error of a failed job, or empty.
    async fn error(&self) -> &str {
        &self.0.error
    }
    /// When it was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When a provisioner took it.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    /// When it finished.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// When cancellation was asked for.
    async fn canceled_at(&self) -> Option<DateTime<Utc>> {
        self.0.canceled_at
    }
    /// When the provisioner holding it last said it was still working; a running job
    /// without one for `--provisioner-job-stale-after` is failed.
    async fn heartbeat_at(&self) -> Option<DateTime<Utc>> {
        self.0.heartbeat_at
    }
}

/// Where a workspace agent is in its lifecycle (Coder's states). An agent starts CREATED
/// and reports the others itself; a workspace is usable when its agents are READY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::entity::workspace_agent::LifecycleState")]
pub enum AgentLifecycleState {
    /// Created by its build; the agent has not reported yet.
    Created,
    /// Running its startup scripts.
    Starting,
    /// Its startup scripts took longer than allowed.
    StartTimeout,
    /// A startup script failed.
    StartError,
    /// Started and usable.
    Ready,
    /// Running its shutdown scripts.
    ShuttingDown,
    /// Its shutdown scripts took longer than allowed.
    ShutdownTimeout,
    /// A shutdown script failed.
    ShutdownError,
    /// Shut down.
    Off,
}

/// An agent running in a workspace.
pub struct WorkspaceAgent(pub workspace_agent::Model);

/// An agent running in a workspace.
#[Object]
impl WorkspaceAgent {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Its name in the template (`resource "coder_agent" "<name>"`).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where it is in its lifecycle: CREATED by its build (READY at once when the built-in
    /// provisioner simulates agents), then what the agent last reported.
    async fn lifecycle_state(&self) -> AgentLifecycleState {
        self.0.lifecycle_state.into()
    }
    /// When it last changed (a lifecycle report, a new token).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A user's workspace quota in one organization. A start build whose cost would take
/// `consumed` above `allowance` fails with "insufficient quota"; a user in no group of the
/// organization (allowance 0) is not limited.
#[derive(SimpleObject)]
pub struct WorkspaceQuota {
    /// The sum of the quota allowances of the user's groups in the organization.
    pub allowance: i32,
    /// The sum of the daily costs of the latest builds of the user's workspaces there.
    pub consumed: i32,
}

impl From<domain::WorkspaceQuota> for WorkspaceQuota {
    fn from(quota: domain::WorkspaceQuota) -> Self {
        // Sums of 32-bit values; beyond GraphQL's Int they are shown at its maximum.
        let int = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            allowance: int(quota.allowance),
            consumed: int(quota.consumed),
        }
    }
}
