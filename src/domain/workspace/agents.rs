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
    // An agent of a workspace the caller may not see does not exist for the caller.
    let ws = get_workspace(db, subject, agent.workspace_id)
        .await
        .map_err(|err| match err {
            Error::NotFound(_) => Error::NotFound("agent"),
            other => other,
        })?;
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

#[cfg(test)]
mod tests {
    use sea_orm::Schema;

    use super::*;

    /// The agent's workspace cannot be read while its table is missing: a database failure,
    /// which must stay one (an internal error), not become "no such agent".
    #[tokio::test]
    async fn a_database_failure_is_not_reported_as_not_found() {
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .expect("db");
        let schema = Schema::new(db.get_database_backend());
        db.execute(&schema.create_table_from_entity(workspace_agent::Entity))
            .await
            .expect("agents table");
        let now = chrono::Utc::now();
        let agent = workspace_agent::ActiveModel {
            id: Set(Uuid::new_v4()),
            workspace_id: Set(Uuid::new_v4()),
            build_id: Set(Uuid::new_v4()),
            name: Set("main".into()),
            lifecycle_state: Set("ready".into()),
            token_hash: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&db)
        .await
        .expect("agent");
        let subject = Subject::system("test", Uuid::new_v4());

        let err = create_agent_token(&db, &subject, now, agent.id)
            .await
            .expect_err("the workspace cannot be read");
        assert!(matches!(err, Error::Db(_)), "{err:?}");

        // With the table back but no such workspace, the agent does not exist.
        db.execute(&schema.create_table_from_entity(workspace::Entity))
            .await
            .expect("workspaces table");
        let err = create_agent_token(&db, &subject, now, agent.id)
            .await
            .expect_err("the workspace does not exist");
        assert!(matches!(err, Error::NotFound("agent")), "{err:?}");
    }
}
