//! Groups: named sets of organization members with a workspace quota allowance.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::{Error, FieldError, PREBUILDS_SYSTEM_USER_ID, Result, check, validate};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType},
        by_id::rows_by_id,
        is_unique_violation,
    },
    entity::{audit_log::AuditAction, group, group_member, organization_member, user},
};

/// The input of `createGroup`.
#[derive(Debug, Clone)]
pub struct CreateGroup {
    /// The organization the group belongs to.
    pub organization_id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// Absolute http(s) URL or empty.
    pub avatar_url: String,
    /// Workspace cost the group's members may use, at least 0.
    pub quota_allowance: i32,
}

/// The input of `updateGroup`: None leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateGroup {
    /// The group.
    pub id: Uuid,
    /// New name.
    pub name: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New avatar URL (empty clears it).
    pub avatar_url: Option<String>,
    /// New quota allowance.
    pub quota_allowance: Option<i32>,
    /// Users to add: organization members, or the prebuilds system user.
    pub add_users: Vec<Uuid>,
    /// Users to remove.
    pub remove_users: Vec<Uuid>,
}

fn name_conflict(err: sea_orm::DbErr) -> Error {
    if is_unique_violation(&err) {
        Error::Conflict(vec![FieldError::new(
            "name",
            "a group with this name already exists in the organization",
        )])
    } else {
        Error::Db(err)
    }
}

fn check_quota(field: &str, quota: i32, errors: &mut Vec<FieldError>) {
    if quota < 0 {
        errors.push(FieldError::new(field, "must not be negative"));
    }
}

/// Creates a group in an organization.
pub async fn create_group(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    input: CreateGroup,
) -> Result<group::Model> {
    super::get_organization(db, subject, input.organization_id).await?;
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::Group).in_org(input.organization_id),
    )?;
    let mut errors = Vec::new();
    let name = validate::name("name", &input.name, &mut errors);
    let display_name = validate::display_name("displayName", &input.display_name, &mut errors);
    let avatar_url = validate::avatar_url("avatarUrl", &input.avatar_url, &mut errors);
    check_quota("quotaAllowance", input.quota_allowance, &mut errors);
    check(errors)?;
    let txn = db.begin().await?;
    let group = group::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(input.organization_id),
        name: Set(name),
        display_name: Set(display_name),
        avatar_url: Set(avatar_url),
        quota_allowance: Set(input.quota_allowance),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(name_conflict)?;
    let entry = AuditEntry::new(
        AuditAction::Create,
        group_resource(&group),
        Diff::of_rows(None, Some(&group)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok(group)
}

/// A group as the audit log names it.
fn group_resource(group: &group::Model) -> audit::Resource {
    audit::Resource::new(ResourceType::Group, Some(group.id), &group.name)
        .in_org(group.organization_id)
}

/// The ids in `ids` as a JSON array of strings, for a diff of group members.
fn id_list(ids: &[Uuid]) -> serde_json::Value {
    ids.iter().map(|id| id.to_string()).collect()
}

/// One group the subject may read.
pub async fn get_group(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<group::Model> {
    let group = group::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("group"))?;
    if !authz::is_allowed(
        subject,
        Action::Read,
        &Object::new(Resource::Group).in_org(group.organization_id),
    ) {
        return Err(Error::NotFound("group"));
    }
    Ok(group)
}

/// The groups of an organization, by name.
pub async fn list_groups(
    db: &impl ConnectionTrait,
    subject: &Subject,
    organization_id: Uuid,
) -> Result<Vec<group::Model>> {
    super::get_organization(db, subject, organization_id).await?;
    authz::authorize(
        subject,
        Action::Read,
        &Object::new(Resource::Group).in_org(organization_id),
    )?;
    Ok(group::Entity::find()
        .filter(group::Column::OrganizationId.eq(organization_id))
        .order_by_asc(group::Column::Name)
        .all(db)
        .await?)
}

/// The members of a group, system users included (admins give prebuilds a quota this way).
pub async fn group_members(db: &impl ConnectionTrait, group_id: Uuid) -> Result<Vec<user::Model>> {
    let ids: Vec<Uuid> = group_member::Entity::find()
        .filter(group_member::Column::GroupId.eq(group_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let mut found: Vec<user::Model> = rows_by_id::<user::Entity>(db, &ids)
        .await?
        .into_values()
        .filter(|u| !u.deleted)
        .collect();
    found.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(found)
}

/// Changes a group's fields and members in one transaction. Every invalid field and every
/// user that may not be added is reported at once.
pub async fn update_group(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    input: UpdateGroup,
) -> Result<group::Model> {
    let group = get_group(db, subject, input.id).await?;
    authz::authorize(
        subject,
        Action::Update,
        &Object::new(Resource::Group).in_org(group.organization_id),
    )?;

    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| validate::name("name", n, &mut errors));
    let display_name = input
        .display_name
        .as_deref()
        .map(|n| validate::display_name("displayName", n, &mut errors));
    let avatar_url = input
        .avatar_url
        .as_deref()
        .map(|u| validate::avatar_url("avatarUrl", u, &mut errors));
    if let Some(quota) = input.quota_allowance {
        check_quota("quotaAllowance", quota, &mut errors);
    }
    let members: HashSet<Uuid> = organization_member::Entity::find()
        .filter(organization_member::Column::OrganizationId.eq(group.organization_id))
        .filter(organization_member::Column::UserId.is_in(input.add_users.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    for (i, user_id) in input.add_users.iter().enumerate() {
        // Coder PR 18329: the prebuilds user may join any group, so that admins can give
        // prebuilt workspaces a quota of their own.
        if *user_id != PREBUILDS_SYSTEM_USER_ID && !members.contains(user_id) {
            errors.push(FieldError::new(
                format!("addUsers[{i}]"),
                format!("user {user_id} must be a member of the organization"),
            ));
        }
    }
    check(errors)?;

    let txn = db.begin().await?;
    let mut active: group::ActiveModel = group.clone().into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(display_name) = display_name {
        active.display_name = Set(display_name);
    }
    if let Some(avatar_url) = avatar_url {
        active.avatar_url = Set(avatar_url);
    }
    if let Some(quota) = input.quota_allowance {
        active.quota_allowance = Set(quota);
    }
    let updated = active.update(&txn).await.map_err(name_conflict)?;
    if !input.add_users.is_empty() {
        group_member::Entity::insert_many(input.add_users.iter().map(|&user_id| {
            group_member::ActiveModel {
                group_id: Set(updated.id),
                user_id: Set(user_id),
            }
        }))
        .on_conflict_do_nothing_on([group_member::Column::GroupId, group_member::Column::UserId])
        .exec(&txn)
        .await?;
    }
    if !input.remove_users.is_empty() {
        group_member::Entity::delete_many()
            .filter(group_member::Column::GroupId.eq(updated.id))
            .filter(group_member::Column::UserId.is_in(input.remove_users.iter().copied()))
            .exec(&txn)
            .await?;
    }
    // Members are listed as asked for: adding a member twice or removing a non-member
    // changes nothing in the table but is what the caller did.
    let mut diff = Diff::of_rows(Some(&group), Some(&updated));
    for (field, ids) in [
        ("add_users", &input.add_users),
        ("remove_users", &input.remove_users),
    ] {
        if !ids.is_empty() {
            diff = diff.field(field, serde_json::Value::Null, id_list(ids));
        }
    }
    let entry = AuditEntry::new(AuditAction::Write, group_resource(&updated), diff);
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok(updated)
}
