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
    /// Where the agent is in its lifecycle, as it last reported (CHECK: one of the values
    /// of [`LifecycleState`]).
    pub lifecycle_state: LifecycleState,
    /// Hex SHA-256 of the agent token.
    pub token_hash: String,
    /// When the agent was created (its start build succeeded).
    pub created_at: DateTimeUtc,
    /// When the agent (or its token) last changed.
    pub updated_at: DateTimeUtc,
}

/// Coder's agent lifecycle states, stored as Coder spells them. An agent starts `created`
/// and reports the rest itself; a workspace is ready for use when its agents are `ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LifecycleState {
    /// The provisioner created it; the agent has not reported yet.
    #[sea_orm(string_value = "created")]
    Created,
    /// Running its startup scripts.
    #[sea_orm(string_value = "starting")]
    Starting,
    /// Its startup scripts took longer than allowed.
    #[sea_orm(string_value = "start_timeout")]
    StartTimeout,
    /// A startup script failed.
    #[sea_orm(string_value = "start_error")]
    StartError,
    /// Started and usable.
    #[sea_orm(string_value = "ready")]
    Ready,
    /// Running its shutdown scripts.
    #[sea_orm(string_value = "shutting_down")]
    ShuttingDown,
    /// Its shutdown scripts took longer than allowed.
    #[sea_orm(string_value = "shutdown_timeout")]
    ShutdownTimeout,
    /// A shutdown script failed.
    #[sea_orm(string_value = "shutdown_error")]
    ShutdownError,
    /// Shut down.
    #[sea_orm(string_value = "off")]
    Off,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
