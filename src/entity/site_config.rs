//! `site_configs`: deployment-wide settings as key/JSON-value pairs.

use sea_orm::entity::prelude::*;

/// A setting row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "site_configs")]
pub struct Model {
    /// Setting name, e.g. `deployment_id` or `first_user_created`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The value as JSON: a string for `deployment_id`, `true` for `first_user_created`.
    pub value: Json,
    /// When the value was last written.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
