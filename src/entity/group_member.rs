//! `group_members`: which users are in which group.

use sea_orm::entity::prelude::*;

/// A group membership row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_members")]
pub struct Model {
    /// The group (`groups.id`; deleting it deletes the membership).
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: Uuid,
    /// The member (`users.id`): an organization member, or the prebuilds system user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
