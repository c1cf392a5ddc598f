//! Agent tokens: how a workspace agent authenticates (to report connections). Only a hash
//! is stored; a token is shown once when it is (re)created.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{Error, Result, queries::get_workspace};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::secrets::{random_token, sha256_hex},
    entity::{workspace, workspace_agent},
};

/// Issues a new token for an agent, replacing the old one; for the workspace's owner and
/// admins who may update it (to configure an agent by hand, or in tests).
pub async fn create_agent_token(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: chrono::DateTime<chrono::Utc>,
    agent_id: Uuid,
) -> Result<(workspace_agent::Model, String)> {
    let agent = workspace_agent::Entity::find_by_id(agent_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("agent"))?;
    let ws = get_workspace(db, subject, agent.workspace_id)
        .await
        .map_err(|_| Error::NotFound("agent"))?;
    authz::authorize(
        subject,
        Action::Update,
        &Object::new(Resource::Workspace)
            .in_org(ws.organization_id)
            .owned_by(ws.owner_id),
    )?;
    let token = random_token(40);
    let mut active: workspace_agent::ActiveModel = agent.into();
    active.token_hash = Set(sha256_hex(token.as_bytes()));
    active.updated_at = Set(now);
    Ok((active.update(db).await?, token))
}

/// The agent (and its live workspace) a token belongs to.
pub async fn authenticate_agent(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(workspace_agent::Model, workspace::Model)>> {
    let Some(agent) = workspace_agent::Entity::find()
        .filter(workspace_agent::Column::TokenHash.eq(sha256_hex(token.trim().as_bytes())))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let ws = workspace::Entity::find_by_id(agent.workspace_id)
        .filter(workspace::Column::Deleted.eq(false))
        .one(db)
        .await?;
    Ok(ws.map(|ws| (agent, ws)))
}
