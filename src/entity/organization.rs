//! `organizations`: tenants that own templates, workspaces and groups.

use sea_orm::entity::prelude::*;

/// An organization row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    /// Unique id of the organization.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique name (1-32 letters, digits and single hyphens), e.g. `default`.
    pub name: String,
    /// Human-readable name; `name` when none was given.
    pub display_name: String,
    /// Free text (at most 1024 characters); empty: none.
    pub description: String,
    /// Absolute http(s) URL of the icon; empty: none.
    pub icon: String,
    /// True only for the default organization (made with the first user); new users join it.
    pub is_default: bool,
    /// When the organization was created.
    pub created_at: DateTimeUtc,
    /// When the organization last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
