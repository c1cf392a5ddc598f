//! What a successful workspace build does to the world: agents appear for a start (with
//! the autostop deadline computed at completion time, as Coder's `CompleteJob` does) and go
//! away for a stop or delete; a delete marks the workspace deleted; an update's stop build
//! creates its start build in the same transaction, so no other build can slip between.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Error;
use crate::{
    authz::Subject,
    domain::{
        parameters::BuildParameter,
        secrets::{random_token, sha256_hex},
        workspace::{self, BuildRequest, NoUsageCheck},
    },
    entity::{
        provisioner_job, template, template_version, workspace as ws_entity, workspace_agent,
        workspace_build::{self, BuildReason, Transition},
    },
};

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

fn agent_token_hash() -> String {
    // The built-in provisioner has no agent to hand the token to; a real provisioner
    // would. Only the hash is ever stored.
    sha256_hex(random_token(32).as_bytes())
}

pub(super) async fn apply(
    db: &DatabaseTransaction,
    now: DateTime<Utc>,
    job: &provisioner_job::Model,
) -> Result<(), Error> {
    let (input, build, ws) = super::load_build(db, job).await?;

    workspace_agent::Entity::delete_many()
        .filter(workspace_agent::Column::WorkspaceId.eq(ws.id))
        .exec(db)
        .await?;
    match build.transition {
        Transition::Start => {
            let version = template_version::Entity::find_by_id(build.template_version_id)
                .one(db)
                .await?
                .ok_or_else(|| Error::Corrupt(format!("build {} has no version", build.id)))?;
            let agents: Vec<String> = serde_json::from_value(version.agents.clone())
                .map_err(|e| Error::Corrupt(format!("agents: {e}")))?;
            for name in agents {
                workspace_agent::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    workspace_id: Set(ws.id),
                    build_id: Set(build.id),
                    name: Set(name),
                    // The built-in provisioner has no real agent to wait for: it comes up ready.
                    lifecycle_state: Set("ready".to_owned()),
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
            let deadlines = workspace::deadlines_for(&ws, &tmpl, now)
                .map_err(|e| Error::Corrupt(format!("autostop calculation: {e}")))?;
            let mut active: workspace_build::ActiveModel = build.clone().into();
            active.deadline = Set(deadlines.deadline);
            active.max_deadline = Set(deadlines.max_deadline);
            active.updated_at = Set(now);
            active.update(db).await?;
        }
        Transition::Stop => {}
        Transition::Delete => {
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
        };
        // The request was validated when the update was asked for; a failure now (quota
        // changed meanwhile) leaves the workspace stopped, which the log explains.
        if let Err(err) = workspace::build(db, &subject, &NoUsageCheck, now, &ws, request).await {
            tracing::warn!(workspace.id = %ws.id, error = %err, "update: the start after the stop was refused");
        }
    }
    Ok(())
}
