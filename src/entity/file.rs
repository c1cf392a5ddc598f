//! `files`: template sources (tar archives), stored once per organization by SHA-256.

use sea_orm::entity::prelude::*;

/// A file row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    /// Unique id; template versions point at it (`template_versions.file_id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning organization (`organizations.id`); `(organization_id, hash)` is unique.
    pub organization_id: Uuid,
    /// Hex SHA-256 of `data`.
    pub hash: String,
    /// Media type of `data`; always `application/x-tar` today.
    pub mimetype: String,
    /// The archive's bytes, at most 10 MiB.
    pub data: Vec<u8>,
    /// The user who first stored this content (`users.id`, no foreign key).
    pub created_by: Uuid,
    /// When this content was first stored.
    pub created_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
