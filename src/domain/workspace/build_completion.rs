//! What a successful workspace build does to the world: a start first commits its cost to
//! the owner's quota (and fails with "insufficient quota" when it does not fit, as Coder's
//! provisioner does), then agents appear (with the autostop deadline computed at completion
//! time, as Coder's `CompleteJob` does); agents go away for a stop or delete; a delete marks
//! the workspace deleted; an update's stop build creates its start build in the same
//! transaction, so no other build can slip between.
//!
//! A start's agents are created `created`, as in Coder, and report their own lifecycle from
//! then on ([`report_agent_lifecycle`](super::report_agent_lifecycle)). The built-in
//! provisioner runs no agent, so it may stand in for one and bring them up `ready` at once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{BuildRequest, NoUsageCheck, build_job, quota};
use crate::{
    authz::Subject,
    domain::{
        provisioner::{self, Effects, Error, JobEffects},
        secrets::{random_token, sha256_hex},
    },
    entity::{
        provisioner_job, template, template_version, workspace as ws_entity,
        workspace_agent::{self, LifecycleState},
        workspace_build::{self, BuildReason, Transition},
    },
};

/// The effects of workspace-build jobs, for the provisioner queue to apply when one
/// succeeds; jobs of other kinds have none.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuildCompletion {
    /// Whether a start's agents come up `ready` at once, for provisioners that run no real
    /// agent (the built-in one, `--provisioner-simulate-agents`); otherwise they are
    /// `created` and wait for their agent to report.
    pub simulate_agents: bool,
}

impl BuildCompletion {
    /// The effects for a provisioner whose builds run real agents: agents start `created`.
    pub const REAL_AGENTS: Self = Self {
        simulate_agents: false,
    };
    /// The effects for a provisioner that runs no agent: agents come up `ready`.
    pub const SIMULATED_AGENTS: Self = Self {
        simulate_agents: true,
    };
}

#[async_trait::async_trait]
impl JobEffects for BuildCompletion {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        job: &provisioner_job::Model,
    ) -> Result<Effects, Error> {
        if job.kind != build_job::BUILD_JOB_KIND {
            return Ok(Effects::Applied);
        }
        apply(txn, now, job, self.simulate_agents).await
    }
}

/// Completes a provisioner job (see [`provisioner::complete`]) for a provisioner that runs
/// real agents and, when it succeeded, applies its build's effects in the same transaction
/// (a start over its owner's quota ends failed instead).
pub async fn complete_build_job(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    job_id: Uuid,
    worker: Option<&str>,
    outcome: Result<(), String>,
) -> Result<provisioner_job::Model, Error> {
    provisioner::complete(
        db,
        now,
        job_id,
        worker,
        outcome,
        &BuildCompletion::REAL_AGENTS,
    )
    .await
}

async fn remove_agents(db: &DatabaseTransaction, workspace_id: Uuid) -> Result<(), Error> {
    workspace_agent::Entity::delete_many()
        .filter(workspace_agent::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A start's effects once its quota is committed: the version's agents, the deadlines, and
/// the cost recorded on the build.
async fn start(
    db: &DatabaseTransaction,
    now: DateTime<Utc>,
    ws: &ws_entity::Model,
    build: &workspace_build::Model,
    version: &template_version::Model,
    simulate_agents: bool,
) -> Result<(), Error> {
    let agents: Vec<String> = serde_json::from_value(version.agents.clone())
        .map_err(|e| Error::Corrupt(format!("agents: {e}")))?;
    for name in agents {
        workspace_agent::ActiveModel {
            id: Set(Uuid::new_v4()),
            workspace_id: Set(ws.id),
            build_id: Set(build.id),
            name: Set(name),
            lifecycle_state: Set(if simulate_agents {
                LifecycleState::Ready
            } else {
                LifecycleState::Created
            }),
            token_hash: Set(agent_token_hash()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    let tmpl = template::Entity::find_by_id(ws.template_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("workspace {} has no template", ws.id)))?;
    let deadlines = super::deadlines_for(ws, &tmpl, now)
        .map_err(|e| Error::Corrupt(format!("autostop calculation: {e}")))?;
    let mut active: workspace_build::ActiveModel = build.clone().into();
    active.deadline = Set(deadlines.deadline);
    active.max_deadline = Set(deadlines.max_deadline);
    active.daily_cost = Set(version.daily_cost);
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(())
}

fn agent_token_hash() -> String {
    // No provisioner is handed the token (agents get theirs from
    // `createWorkspaceAgentToken`); only the hash is ever stored.
    sha256_hex(random_token(32).as_bytes())
}

async fn apply(
    db: &DatabaseTransaction,
    now: DateTime<Utc>,
    job: &provisioner_job::Model,
    simulate_agents: bool,
) -> Result<Effects, Error> {
    let (input, build, ws) = build_job::load_build(db, job).await?;
    match build.transition {
        Transition::Start => {
            let version = template_version::Entity::find_by_id(build.template_version_id)
                .one(db)
                .await?
                .ok_or_else(|| Error::Corrupt(format!("build {} has no version", build.id)))?;
            // The cost is committed before any other effect, or the build fails.
            if !quota::commit(db, &ws, &build, version.daily_cost).await? {
                return Ok(Effects::Failed(quota::INSUFFICIENT_QUOTA.to_owned()));
            }
            remove_agents(db, ws.id).await?;
            start(db, now, &ws, &build, &version, simulate_agents).await?;
        }
        // Stops and deletes cost nothing: their builds keep a daily cost of 0.
        Transition::Stop => remove_agents(db, ws.id).await?,
        Transition::Delete => {
            remove_agents(db, ws.id).await?;
            let mut active: ws_entity::ActiveModel = ws.clone().into();
            active.deleted = Set(true);
            active.updated_at = Set(now);
            active.update(db).await?;
        }
    }

    if let Some(follow_up) = input.then_start {
        let subject = Subject::system("workspace-update", follow_up.initiator_id);
        let request = BuildRequest {
            transition: Transition::Start,
            reason: BuildReason::Initiator,
            template_version_id: Some(follow_up.template_version_id),
            preset_id: None,
            parameters: follow_up.parameters,
            audited: true,
        };
        // The request was validated when the update was asked for; a refusal now (the
        // template or the owner changed meanwhile) leaves the workspace stopped, which the
        // log explains. Its quota is committed when the start itself completes.
        if let Err(err) = super::build(db, &subject, &NoUsageCheck, now, &ws, request).await {
            tracing::warn!(workspace.id = %ws.id, error = %err, "update: the start after the stop was refused");
        }
    }
    Ok(Effects::Applied)
}
