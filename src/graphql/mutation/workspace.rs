//! Mutations that build workspaces and change their schedules.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use uuid::Uuid;

use crate::{
    domain::{parameters::BuildParameter, workspace},
    graphql::{
        context::ContextExt,
        error::Result,
        types::{
            AgentLifecycleState, Milliseconds, ParameterInput, Workspace, WorkspaceAgent,
            WorkspaceBuild,
        },
    },
};

/// A new workspace.
#[derive(InputObject)]
pub struct CreateWorkspaceInput {
    /// The template (its active version is built).
    pub template_id: Uuid,
    /// Unique among your live workspaces: 1-32 letters, digits or single hyphens.
    pub name: String,
    /// A preset of the active version; its values win over `parameters`.
    pub preset_id: Option<Uuid>,
    /// Parameter values.
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
    /// Autostop after this long (at least a minute, under 30 days); default: the template's.
    pub ttl_ms: Option<Milliseconds>,
    /// Autostart schedule: `[CRON_TZ=<zone>] <min> <hour> * * <weekdays 0-6 from Sunday>`.
    pub autostart_schedule: Option<String>,
}

/// A start, with optional new parameter values.
#[derive(InputObject)]
pub struct StartWorkspaceInput {
    /// The workspace.
    pub id: Uuid,
    /// Parameter values to change.
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
}

/// A move to the template's active version.
#[derive(InputObject)]
pub struct UpdateWorkspaceInput {
    /// The workspace.
    pub id: Uuid,
    /// Parameter values to change or add (new required parameters must be given).
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
}

/// A new TTL.
#[derive(InputObject)]
pub struct UpdateWorkspaceTtlInput {
    /// The workspace.
    pub id: Uuid,
    /// Autostop after this long; null or 0 disables autostop.
    pub ttl_ms: Option<Milliseconds>,
}

/// A new autostart schedule.
#[derive(InputObject)]
pub struct UpdateWorkspaceAutostartInput {
    /// The workspace.
    pub id: Uuid,
    /// `[CRON_TZ=<zone>] <min> <hour> * * <weekdays>`; null or empty disables autostart.
    pub schedule: Option<String>,
}

/// What `updateWorkspace` did.
#[derive(SimpleObject)]
pub struct UpdateWorkspacePayload {
    /// The workspace.
    pub workspace: Workspace,
    /// The builds created: a start, or a stop whose success creates the start on the
    /// active version (no other build can come between). Empty when already up to date.
    pub builds: Vec<WorkspaceBuild>,
    /// Whether the workspace was already up to date (nothing was done).
    pub up_to_date: bool,
}

fn build_parameters(values: Vec<ParameterInput>) -> Vec<BuildParameter> {
    values.into_iter().map(Into::into).collect()
}

/// What reported activity did to the workspace.
#[derive(SimpleObject)]
pub struct AgentActivityPayload {
    /// The running build's deadline now; null when autostop is off or nothing runs.
    pub deadline: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether this report moved the deadline.
    pub bumped: bool,
}

/// Workspace mutations.
#[derive(Default)]
pub struct WorkspaceMutation;

#[Object]
impl WorkspaceMutation {
    /// Tells the server that the calling agent's workspace is in use (`Coder-Agent-Token`):
    /// it is kept from going dormant, and a running build's deadline moves out by the
    /// template's activity bump (never past its max deadline). Connection reports count as
    /// activity too.
    async fn report_agent_activity(&self, ctx: &Context<'_>) -> Result<AgentActivityPayload> {
        let (_, ws) = ctx.agent()?;
        let state = ctx.state()?;
        let activity = workspace::record_activity(&state.db, state.clock.now(), ws.id).await?;
        Ok(AgentActivityPayload {
            deadline: activity.deadline,
            bumped: activity.bumped,
        })
    }

    /// Records the calling agent's lifecycle state (`Coder-Agent-Token`) and returns the
    /// agent. Refused with CONFLICT when the agent's workspace was deleted or the agent
    /// belongs to an older build than the workspace's latest.
    async fn report_agent_lifecycle(
        &self,
        ctx: &Context<'_>,
        state: AgentLifecycleState,
    ) -> Result<WorkspaceAgent> {
        let (agent, _) = ctx.agent()?;
        let app = ctx.state()?;
        let agent =
            workspace::report_agent_lifecycle(&app.db, app.clock.now(), agent.id, state.into())
                .await?;
        Ok(WorkspaceAgent(agent))
    }

    /// Creates a workspace from a template's active version and starts it.
    async fn create_workspace(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkspaceInput,
    ) -> Result<Workspace> {
        let state = ctx.state()?;
        let (ws, _) = workspace::create_workspace(
            &state.db,
            ctx.subject()?,
            state.usage.as_ref(),
            state.prebuild_claims(),
            state.clock.now(),
            workspace::CreateWorkspace {
                template_id: input.template_id,
                name: input.name,
                preset_id: input.preset_id,
                parameters: build_parameters(input.parameters),
                ttl_ms: input.ttl_ms.map(|m| m.0),
                autostart_schedule: input.autostart_schedule,
            },
        )
        .await?;
        state.provisioner.notify();
        Ok(Workspace(ws))
    }

    /// Starts a workspace on the version it last ran.
    async fn start_workspace(
        &self,
        ctx: &Context<'_>,
        input: StartWorkspaceInput,
    ) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let build = workspace::start_workspace(
            &state.db,
            ctx.subject()?,
            state.usage.as_ref(),
            state.clock.now(),
            input.id,
            build_parameters(input.parameters),
        )
        .await?;
        state.provisioner.notify();
        Ok(WorkspaceBuild(build, None))
    }

    /// Stops a workspace.
    async fn stop_workspace(&self, ctx: &Context<'_>, id: Uuid) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let build =
            workspace::stop_workspace(&state.db, ctx.subject()?, state.clock.now(), id).await?;
        state.provisioner.notify();
        Ok(WorkspaceBuild(build, None))
    }

    /// Deletes a workspace (it is marked deleted when the delete build succeeds).
    async fn delete_workspace(&self, ctx: &Context<'_>, id: Uuid) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let build =
            workspace::delete_workspace(&state.db, ctx.subject()?, state.clock.now(), id).await?;
        state.provisioner.notify();
        Ok(WorkspaceBuild(build, None))
    }

    /// Cancels a pending or running build, by the build's id: a pending build is canceled
    /// at once; a running one becomes CANCELING, then CANCELED when its provisioner stops.
    /// For those who may update the workspace (its owner, organization admins).
    async fn cancel_workspace_build(&self, ctx: &Context<'_>, id: Uuid) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let (build, job) =
            workspace::cancel_build(&state.db, ctx.subject()?, state.clock.now(), id).await?;
        state.provisioner.notify_canceled();
        Ok(WorkspaceBuild(build, Some(job)))
    }

    /// Moves a workspace to its template's active version. A started workspace is stopped
    /// first and then started on the new version, as one server-side operation.
    async fn update_workspace(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceInput,
    ) -> Result<UpdateWorkspacePayload> {
        let state = ctx.state()?;
        let subject = ctx.subject()?;
        let outcome = workspace::update_workspace(
            &state.db,
            subject,
            state.usage.as_ref(),
            state.clock.now(),
            input.id,
            build_parameters(input.parameters),
        )
        .await?;
        state.provisioner.notify();
        let ws = workspace::get_workspace(&state.db, subject, input.id).await?;
        let (builds, up_to_date) = match outcome {
            workspace::UpdateOutcome::UpToDate => (Vec::new(), true),
            workspace::UpdateOutcome::Started(b) | workspace::UpdateOutcome::StopThenStart(b) => {
                (vec![WorkspaceBuild(b, None)], false)
            }
        };
        Ok(UpdateWorkspacePayload {
            workspace: Workspace(ws),
            builds,
            up_to_date,
        })
    }

    /// Sets or clears a workspace's TTL. Clearing it on a running workspace moves the
    /// deadline to the max deadline (or removes it when there is none).
    async fn update_workspace_ttl(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceTtlInput,
    ) -> Result<Workspace> {
        let state = ctx.state()?;
        let ws = workspace::update_ttl(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.ttl_ms.map(|m| m.0),
        )
        .await?;
        Ok(Workspace(ws))
    }

    /// Sets or clears a workspace's autostart schedule.
    async fn update_workspace_autostart(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceAutostartInput,
    ) -> Result<Workspace> {
        let state = ctx.state()?;
        let ws = workspace::update_autostart(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.schedule,
        )
        .await?;
        Ok(Workspace(ws))
    }
}
