//! `licenses`: uploaded license JWTs.

use sea_orm::entity::prelude::*;

/// A license row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licenses")]
pub struct Model {
    /// Auto-incremented id, as the API shows it.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the license was uploaded.
    pub uploaded_at: DateTimeUtc,
    /// The token as uploaded; never returned by the API.
    pub jwt: String,
    /// The `exp` claim: the license is ignored after it.
    pub exp: DateTimeUtc,
    /// The `jti` claim, or a random id.
    pub uuid: Uuid,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
