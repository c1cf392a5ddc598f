//! `organization_members`: who belongs to which organization, with organization roles.

use sea_orm::entity::prelude::*;

/// A membership row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_members")]
pub struct Model {
    /// The organization (`organizations.id`; deleting it deletes the membership).
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// The member (`users.id`; deleting the user deletes the membership).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Organization roles as a JSON array of names; `organization-member` is implied.
    pub roles: Json,
    /// When the user joined the organization.
    pub created_at: DateTimeUtc,
    /// When the membership (its roles) last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
