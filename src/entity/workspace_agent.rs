//! `workspace_agents`: the agents a started build brought up, with their tokens (hashed).

use sea_orm::entity::prelude::*;

/// An agent row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_agents")]
pub struct Model {
    /// Unique id of the agent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The workspace (`workspaces.id`; deleting it deletes the agent).
    pub workspace_id: Uuid,
    /// The start build that created it (`workspace_builds.id`; deleting it deletes the agent).
    pub build_id: Uuid,
    /// The `coder_agent` label; unique in the workspace.
    pub name: String,
    /// One of Coder's agent states, `created` … `off` (CHECK); always `ready` today.
    pub lifecycle_state: String,
    /// Hex SHA-256 of the agent token.
    pub token_hash: String,
    /// When the agent was created (its start build succeeded).
    pub created_at: DateTimeUtc,
    /// When the agent (or its token) last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
