//! `api_keys`: session and API tokens. Only a hash of the secret is stored.

use sea_orm::entity::prelude::*;

/// An API key row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// The public part of the token, before the dash.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Hex SHA-256 of the secret part.
    pub hashed_secret: String,
    /// The user the key authenticates as (`users.id`; deleting the user deletes its keys).
    pub user_id: Uuid,
    /// The name given to an API token; None for session tokens.
    pub token_name: Option<String>,
    /// `password` for a login session, `token` for a named API token.
    pub login_type: ApiKeyLoginType,
    /// Lifetime asked for at creation, in seconds; `expires_at` is `created_at` plus it.
    pub lifetime_seconds: i64,
    /// When the key stops working: requests at or after it are refused.
    pub expires_at: DateTimeUtc,
    /// When the key was created.
    pub created_at: DateTimeUtc,
    /// Last request made with the key, refreshed at most once a minute; starts at creation.
    pub last_used_at: DateTimeUtc,
}

/// How the key was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ApiKeyLoginType {
    /// A session from logging in with a password.
    #[sea_orm(string_value = "password")]
    Password,
    /// A named, long-lived API token.
    #[sea_orm(string_value = "token")]
    Token,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
