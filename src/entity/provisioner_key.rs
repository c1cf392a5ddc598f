//! `provisioner_keys`: credentials of external provisioners, per organization.

use sea_orm::entity::prelude::*;

/// A provisioner key row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provisioner_keys")]
pub struct Model {
    /// Unique id; also the `worker_id` of the jobs taken with this key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organization whose jobs the key may take (`organizations.id`).
    pub organization_id: Uuid,
    /// Name, unique in the organization (1-64 characters).
    pub name: String,
    /// Hex SHA-256 of the key.
    pub hashed_secret: String,
    /// The user who created it (`users.id`, no foreign key).
    pub created_by: Uuid,
    /// When the key was created.
    pub created_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
