//! Workspace agents: their tokens (how an agent authenticates, to report connections and
//! its lifecycle; only a hash is stored, and a token is shown once when it is (re)created)
//! and the lifecycle states they report.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, JoinType, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{Error, Result, builder::latest_build, queries::get_workspace};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType},
        secrets::{random_token, sha256_hex},
    },
    entity::{
        audit_log::AuditAction,
        workspace,
        workspace_agent::{self, LifecycleState},
    },
};

/// The refusal of a lifecycle report from an agent of a workspace that was deleted.
const AGENT_WORKSPACE_DELETED: &str = "The agent's workspace has been deleted.";

/// The refusal of a lifecycle report from an agent whose build is no longer the latest.
const AGENT_BUILD_OUTDATED: &str = "The agent belongs to an outdated build of its workspace: only agents of the latest build may report.";

/// Issues a new token for an agent, replacing the old one; for the workspace's owner and
/// admins who may update it (to configure an agent by hand, or in tests).
pub async fn create_agent_token(
    db: &DatabaseConnection,
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
    let name = agent.name.clone();
    let mut active: workspace_agent::ActiveModel = agent.into();
    active.token_hash = Set(sha256_hex(token.as_bytes()));
    active.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = active.update(&txn).await?;
    // The token is the change, and it is a secret: the row says a new one was issued.
    let diff = Diff::new().field("token_rotated", false, true);
    let resource = audit::Resource::new(ResourceType::WorkspaceAgent, Some(updated.id), name)
        .in_org(ws.organization_id);
    audit::record(
        &txn,
        subject,
        now,
        AuditEntry::new(AuditAction::Write, resource, diff),
    )
    .await?;
    txn.commit().await?;
    Ok((updated, token))
}

/// The agent (and its live workspace) a token belongs to, read in one statement since every
/// agent request pays for it.
pub async fn authenticate_agent(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(workspace_agent::Model, workspace::Model)>> {
    Ok(workspace_agent::Entity::find()
        .filter(workspace_agent::Column::TokenHash.eq(sha256_hex(token.trim().as_bytes())))
        .join(
            JoinType::InnerJoin,
            workspace_agent::Entity::belongs_to(workspace::Entity)
                .from(workspace_agent::Column::WorkspaceId)
                .to(workspace::Column::Id)
                .into(),
        )
        .filter(workspace::Column::Deleted.eq(false))
        .select_two_required(workspace::Entity)
        .one(db)
        .await?)
}

/// Records the lifecycle state agent `agent_id` reports and returns the agent. Refused
/// (`Conflict`) when the agent's workspace was deleted or a newer build of it exists: the
/// report then describes something that no longer counts, and a stale "ready" could make a
/// workspace look usable while another build is under way.
pub async fn report_agent_lifecycle(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    agent_id: Uuid,
    state: LifecycleState,
) -> Result<workspace_agent::Model> {
    let txn = db.begin().await?;
    // Locks the agent (PostgreSQL) so that a build completing meanwhile, which replaces the
    // agents, either waits for this report or makes it find no agent; SQLite runs one write
    // transaction at a time anyway.
    let agent = workspace_agent::Entity::find_by_id(agent_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::Conflict(AGENT_BUILD_OUTDATED.to_owned()))?;
    let ws = workspace::Entity::find_by_id(agent.workspace_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("agent {} has no workspace", agent.id)))?;
    if ws.deleted {
        return Err(Error::Conflict(AGENT_WORKSPACE_DELETED.to_owned()));
    }
    let latest = latest_build(&txn, ws.id).await?;
    if latest.is_none_or(|(build, _)| build.id != agent.build_id) {
        return Err(Error::Conflict(AGENT_BUILD_OUTDATED.to_owned()));
    }
    let agent = if agent.lifecycle_state == state {
        agent
    } else {
        let mut active: workspace_agent::ActiveModel = agent.into();
        active.lifecycle_state = Set(state);
        active.updated_at = Set(now);
        active.update(&txn).await?
    };
    txn.commit().await?;
    Ok(agent)
}

#[cfg(test)]
mod tests {
    use sea_orm::Schema;

    use super::*;

    /// The agent's workspace cannot be read while its table is missing: a database failure,
    /// which must stay one (an internal error), not become "no such agent".
    #[tokio::test]
    async fn a_database_failure_is_not_reported_as_not_found() {
        let db = crate::db::in_memory_with(|schema| {
            vec![schema.create_table_from_entity(workspace_agent::Entity)]
        })
        .await;
        let now = chrono::Utc::now();
        let agent = workspace_agent::ActiveModel {
            id: Set(Uuid::new_v4()),
            workspace_id: Set(Uuid::new_v4()),
            build_id: Set(Uuid::new_v4()),
            name: Set("main".into()),
            lifecycle_state: Set(LifecycleState::Ready),
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
        let schema = Schema::new(db.get_database_backend());
        db.execute(&schema.create_table_from_entity(workspace::Entity))
            .await
            .expect("workspaces table");
        let err = create_agent_token(&db, &subject, now, agent.id)
            .await
            .expect_err("the workspace does not exist");
        assert!(matches!(err, Error::NotFound("agent")), "{err:?}");
    }
}
