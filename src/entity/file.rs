//! `files`: template sources (tar archives), stored once per organization by SHA-256.

use sea_orm::entity::prelude::*;

/// A file row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Hex SHA-256 of `data`.
    pub hash: String,
    pub mimetype: String,
    pub data: Vec<u8>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
