//! The prebuilds user's place in each organization that has prebuilds: a member (with no
//! roles), and in the `coderprebuiltworkspaces` group (allowance 0), so that an admin can
//! give prebuilds a quota by raising that group's allowance. Run at the start of each
//! reconciliation cycle; concurrent runs are harmless (conflicting inserts do nothing) and a
//! partial failure is retried on the next cycle.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    domain::identity::PREBUILDS_SYSTEM_USER_ID,
    entity::{group, group_member, organization_member},
};

/// The name of the group every organization's prebuilds user is put in.
pub const PREBUILDS_GROUP_NAME: &str = "coderprebuiltworkspaces";

/// That group's display name.
pub const PREBUILDS_GROUP_DISPLAY_NAME: &str = "Prebuilt Workspaces";

/// Makes sure the prebuilds user is a member of each organization in `organizations` and of
/// its prebuilds group, creating the group when missing.
pub async fn ensure_memberships(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organizations: &BTreeSet<Uuid>,
) -> Result<(), DbErr> {
    for &org in organizations {
        organization_member::Entity::insert(organization_member::ActiveModel {
            organization_id: Set(org),
            user_id: Set(PREBUILDS_SYSTEM_USER_ID),
            roles: Set(serde_json::json!([])),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                organization_member::Column::OrganizationId,
                organization_member::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        group::Entity::insert(group::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(org),
            name: Set(PREBUILDS_GROUP_NAME.to_owned()),
            display_name: Set(PREBUILDS_GROUP_DISPLAY_NAME.to_owned()),
            avatar_url: Set(String::new()),
            quota_allowance: Set(0),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([group::Column::OrganizationId, group::Column::Name])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let Some(group) = group::Entity::find()
            .filter(group::Column::OrganizationId.eq(org))
            .filter(group::Column::Name.eq(PREBUILDS_GROUP_NAME))
            .one(db)
            .await?
        else {
            continue;
        };
        group_member::Entity::insert(group_member::ActiveModel {
            group_id: Set(group.id),
            user_id: Set(PREBUILDS_SYSTEM_USER_ID),
        })
        .on_conflict(
            OnConflict::columns([group_member::Column::GroupId, group_member::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
