//! `groups`: named sets of users in an organization, with a workspace quota allowance.

use sea_orm::entity::prelude::*;

/// A group row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    /// Unique id of the group.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organization (`organizations.id`; deleting it deletes the group).
    pub organization_id: Uuid,
    /// Name, unique in the organization (1-32 letters, digits and single hyphens).
    pub name: String,
    /// Human-readable name (at most 128 characters); empty: none given.
    pub display_name: String,
    /// Absolute http(s) URL of the group's avatar; empty: none.
    pub avatar_url: String,
    /// Workspace cost this group adds to each member's quota (summed); CHECK >= 0.
    pub quota_allowance: i32,
    /// When the group was created.
    pub created_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
