//! Organizations and their members.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::{CredentialCache, Error, FieldError, Result, check, users, validate};
use crate::{
    authz::{self, Action, Object, OrgRole, ReadScope, Resource, Subject},
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType},
        by_id::rows_by_id,
        unique_or,
    },
    entity::{audit_log::AuditAction, organization, organization_member, user},
};

/// The input of `createOrganization`.
#[derive(Debug, Clone)]
pub struct CreateOrganization {
    /// Unique name (letters, digits, hyphens).
    pub name: String,
    /// Human-readable name; defaults to `name`.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// Icon URL (absolute http(s)) or empty.
    pub icon: String,
}

/// The input of `addOrganizationMember` and `updateOrganizationMemberRoles`.
#[derive(Debug, Clone)]
pub struct AddMember {
    /// The organization.
    pub organization_id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// Organization roles beyond the implied `organization-member`.
    pub roles: Vec<OrgRole>,
}

/// Creates an organization; its creator becomes an organization admin of it.
pub async fn create_organization(
    db: &DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    input: CreateOrganization,
) -> Result<organization::Model> {
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::Organization),
    )?;
    let mut errors = Vec::new();
    let name = validate::name("name", &input.name, &mut errors);
    let mut display_name = validate::display_name("displayName", &input.display_name, &mut errors);
    let icon = validate::avatar_url("icon", &input.icon, &mut errors);
    let description = validate::description("description", &input.description, &mut errors);
    check(errors)?;
    if display_name.is_empty() {
        display_name = name.clone();
    }
    let txn = db.begin().await?;
    let org = organization::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name),
        display_name: Set(display_name),
        description: Set(description),
        icon: Set(icon),
        is_default: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        unique_or(e, || {
            Error::Conflict(vec![FieldError::new(
                "name",
                "an organization with this name already exists",
            )])
        })
    })?;
    users::insert_membership(
        &txn,
        now,
        org.id,
        subject.user_id,
        &[OrgRole::OrganizationAdmin],
    )
    .await?;
    let resource =
        audit::Resource::new(ResourceType::Organization, Some(org.id), &org.name).in_org(org.id);
    let entry = AuditEntry::new(
        AuditAction::Create,
        resource,
        Diff::of_rows(None, Some(&org)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(org)
}

/// A membership as the audit log names it: the member's id and username, in its
/// organization.
async fn member_resource(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<audit::Resource> {
    let username = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    Ok(
        audit::Resource::new(ResourceType::OrganizationMember, Some(user_id), username)
            .in_org(organization_id),
    )
}

/// The organizations the subject may read, by name.
pub async fn list_organizations(
    db: &impl ConnectionTrait,
    subject: &Subject,
) -> Result<Vec<organization::Model>> {
    let scope = ReadScope::compute(subject, Action::Read, Resource::Organization);
    Ok(organization::Entity::find()
        .filter(scope.condition(
            Some(Expr::col((organization::Entity, organization::Column::Id))),
            None,
        ))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?)
}

/// One organization the subject may read.
pub async fn get_organization(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<organization::Model> {
    if !authz::is_allowed(
        subject,
        Action::Read,
        &Object::new(Resource::Organization).in_org(id),
    ) {
        return Err(Error::NotFound("organization"));
    }
    organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("organization"))
}

/// The memberships of each of `user_ids`, for DataLoaders.
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<organization_member::Model>>> {
    let rows = organization_member::Entity::find()
        .filter(organization_member::Column::UserId.is_in(user_ids.iter().copied()))
        .order_by_asc(organization_member::Column::CreatedAt)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<organization_member::Model>> = HashMap::new();
    for row in rows {
        map.entry(row.user_id).or_default().push(row);
    }
    Ok(map)
}

/// The roles stored on a membership (without the implied `organization-member`).
pub fn member_roles(member: &organization_member::Model) -> Vec<OrgRole> {
    users::parse_roles(&member.roles)
}

fn normalize_roles(mut roles: Vec<OrgRole>) -> Vec<OrgRole> {
    roles.retain(|r| *r != OrgRole::OrganizationMember);
    roles.sort();
    roles.dedup();
    roles
}

/// `roles` plus the implied organization-member role, which joining or leaving changes too.
fn with_member(roles: &[OrgRole]) -> Vec<OrgRole> {
    std::iter::once(OrgRole::OrganizationMember)
        .chain(roles.iter().copied())
        .collect()
}

/// Adds a user to an organization with roles.
pub async fn add_member(
    db: &DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    input: AddMember,
) -> Result<organization_member::Model> {
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::OrganizationMember).in_org(input.organization_id),
    )?;
    get_organization(db, subject, input.organization_id).await?;
    let user = user::Entity::find_by_id(input.user_id)
        .filter(user::Column::Deleted.eq(false))
        .filter(user::Column::IsSystem.eq(false))
        .one(db)
        .await?;
    let Some(user) = user else {
        return Err(Error::Invalid(vec![FieldError::new(
            "userId",
            "no such user",
        )]));
    };
    let roles = normalize_roles(input.roles);
    authz::check_org_roles(subject, input.organization_id, &[], &with_member(&roles))?;
    let txn = db.begin().await?;
    let member = users::insert_membership(&txn, now, input.organization_id, input.user_id, &roles)
        .await
        .map_err(|e| {
            unique_or(e, || {
                Error::Conflict(vec![FieldError::new(
                    "userId",
                    "the user is already a member of the organization",
                )])
            })
        })?;
    let resource = audit::Resource::new(
        ResourceType::OrganizationMember,
        Some(user.id),
        &user.username,
    )
    .in_org(input.organization_id);
    let entry = AuditEntry::new(
        AuditAction::Create,
        resource,
        Diff::of_rows(None, Some(&member)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(member)
}

async fn find_member(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<organization_member::Model> {
    organization_member::Entity::find_by_id((organization_id, user_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("organization member"))
}

/// Replaces a member's organization roles.
pub async fn update_member_roles(
    db: &DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    input: AddMember,
) -> Result<organization_member::Model> {
    let object = Object::new(Resource::OrganizationMember)
        .in_org(input.organization_id)
        .owned_by(input.user_id);
    authz::authorize(subject, Action::Update, &object)?;
    if input.user_id == subject.user_id {
        return Err(Error::OwnRoles);
    }
    let member = find_member(db, input.organization_id, input.user_id).await?;
    let wanted = normalize_roles(input.roles);
    authz::check_org_roles(
        subject,
        input.organization_id,
        &member_roles(&member),
        &wanted,
    )?;
    let mut active: organization_member::ActiveModel = member.clone().into();
    active.roles = Set(serde_json::Value::Array(
        wanted
            .into_iter()
            .map(|r| serde_json::Value::String(r.as_str().to_owned()))
            .collect(),
    ));
    active.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = active.update(&txn).await?;
    let resource = member_resource(&txn, input.organization_id, input.user_id).await?;
    let entry = AuditEntry::new(
        AuditAction::Write,
        resource,
        Diff::of_rows(Some(&member), Some(&updated)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(updated)
}

/// Removes a user from an organization.
pub async fn remove_member(
    db: &DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<()> {
    let object = Object::new(Resource::OrganizationMember)
        .in_org(organization_id)
        .owned_by(user_id);
    authz::authorize(subject, Action::Delete, &object)?;
    let member = find_member(db, organization_id, user_id).await?;
    // Removing a member takes its roles away: only someone who could have granted them may.
    authz::check_org_roles(
        subject,
        organization_id,
        &with_member(&member_roles(&member)),
        &[],
    )?;
    let txn = db.begin().await?;
    organization_member::Entity::delete_by_id((organization_id, user_id))
        .exec(&txn)
        .await?;
    let resource = member_resource(&txn, organization_id, user_id).await?;
    let entry = AuditEntry::new(
        AuditAction::Delete,
        resource,
        Diff::of_rows(Some(&member), None),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(())
}

/// The human members of an organization with their users, oldest membership first.
pub async fn list_members(
    db: &impl ConnectionTrait,
    subject: &Subject,
    organization_id: Uuid,
) -> Result<Vec<(organization_member::Model, user::Model)>> {
    authz::authorize(
        subject,
        Action::Read,
        &Object::new(Resource::OrganizationMember).in_org(organization_id),
    )?;
    let rows = organization_member::Entity::find()
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .order_by_asc(organization_member::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.user_id).collect();
    let users = rows_by_id::<user::Entity>(db, &ids).await?;
    let mut members: Vec<_> = rows
        .into_iter()
        .filter_map(|m| {
            let user = users.get(&m.user_id)?.clone();
            (!user.is_system && !user.deleted).then_some((m, user))
        })
        .collect();
    members.sort_by(|(a, ua), (b, ub)| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| ua.username.cmp(&ub.username))
    });
    Ok(members)
}
