//! `users`: people (and the prebuilds system user) who act on the deployment.

use sea_orm::entity::prelude::*;

/// A user row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub username: String,
    pub name: String,
    pub avatar_url: String,
    pub hashed_password: String,
    pub status: UserStatus,
    pub login_type: LoginType,
    /// Site roles as a JSON array of role names; `member` is implied.
    pub rbac_roles: Json,
    pub is_system: bool,
    pub deleted: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_seen_at: Option<DateTimeUtc>,
}

/// Whether a user may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum UserStatus {
    /// May log in and act.
    #[sea_orm(string_value = "active")]
    Active,
    /// Refused by every authentication.
    #[sea_orm(string_value = "suspended")]
    Suspended,
    /// Inactive for a long time; logging in makes the user active again.
    #[sea_orm(string_value = "dormant")]
    Dormant,
}

/// How a user logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LoginType {
    /// Email and password.
    #[sea_orm(string_value = "password")]
    Password,
    /// Cannot log in (system users).
    #[sea_orm(string_value = "none")]
    None,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
