//! `users`: people (and the prebuilds system user) who act on the deployment.

use sea_orm::entity::prelude::*;

/// A user row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Unique id; the prebuilds system user's is fixed (`PREBUILDS_SYSTEM_USER_ID`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Login email as given; unique among live users ignoring case.
    pub email: String,
    /// 1-32 letters, digits and single hyphens; unique among live users ignoring case.
    pub username: String,
    /// Display name (at most 128 characters); empty: none given.
    pub name: String,
    /// Avatar URL; always empty today (nothing sets it).
    pub avatar_url: String,
    /// argon2id hash in PHC format (`$argon2id$…`); `none` for system users.
    pub hashed_password: String,
    /// Whether the user may act; see [`UserStatus`].
    pub status: UserStatus,
    /// How the user logs in; see [`LoginType`].
    pub login_type: LoginType,
    /// Site roles as a JSON array of role names; `member` is implied.
    pub rbac_roles: Json,
    /// True for system users (the prebuilds user); triggers refuse to change or delete them.
    pub is_system: bool,
    /// Soft delete: a deleted user is hidden and refused. Nothing sets it yet.
    pub deleted: bool,
    /// When the user was created.
    pub created_at: DateTimeUtc,
    /// When the user's status or roles last changed.
    pub updated_at: DateTimeUtc,
    /// Last login or authenticated request (refreshed at most once a minute); None: never.
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

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl super::cells::FromCells for Model {
    const WIDTH: usize = 14;
    fn from_cells(cells: &mut super::cells::Cells<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: cells.value()?,
            email: cells.value()?,
            username: cells.value()?,
            name: cells.value()?,
            avatar_url: cells.value()?,
            hashed_password: cells.value()?,
            status: cells.value()?,
            login_type: cells.value()?,
            rbac_roles: cells.value()?,
            is_system: cells.value()?,
            deleted: cells.value()?,
            created_at: cells.value()?,
            updated_at: cells.value()?,
            last_seen_at: cells.optional()?,
        })
    }
}
