//! Users: the first-user setup, creating users, logging in, suspending, listing, and
//! building a user's [`Subject`] from its roles and memberships.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use super::{
    ApiToken, CredentialCache, Error, FieldError, PREBUILDS_SYSTEM_USER_ID, Result, api_keys,
    check, login_throttle::LoginThrottle, password, validate,
};
use crate::{
    authz::{self, Action, Object, OrgRole, ReadScope, RequestOrigin, Resource, SiteRole, Subject},
    db::row_counts,
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType},
        is_unique_violation, text, unique_or,
    },
    entity::{
        audit_log::AuditAction,
        organization, organization_member, site_config,
        user::{self, LoginType, UserStatus},
    },
};

/// The input of `createFirstUser`.
#[derive(Debug, Clone)]
pub struct FirstUser {
    /// Email address, the login name.
    pub email: String,
    /// Unique username.
    pub username: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// Display name.
    pub name: String,
}

/// The input of `createUser`.
#[derive(Debug, Clone)]
pub struct CreateUser {
    /// Email address, the login name.
    pub email: String,
    /// Unique username.
    pub username: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// Display name.
    pub name: String,
    /// Site roles beyond the implied `member`.
    pub site_roles: Vec<SiteRole>,
    /// Organizations to join; empty means the default organization.
    pub organization_ids: Vec<Uuid>,
}

/// The site_configs key whose insertion claims the first-user setup, so that two
/// concurrent `createFirstUser` calls cannot both succeed.
const FIRST_USER_KEY: &str = "first_user_created";

/// Whether a human user exists (the setup has been done).
pub async fn has_first_user(db: &impl ConnectionTrait) -> Result<bool> {
    let found = user::Entity::find()
        .filter(user::Column::IsSystem.eq(false))
        .one(db)
        .await?;
    Ok(found.is_some())
}

fn check_profile(
    email: &str,
    username: &str,
    password: &str,
    name: &str,
) -> Result<(String, String, String)> {
    let mut errors = Vec::new();
    let email = validate::email("email", email, &mut errors);
    let username = validate::name("username", username, &mut errors);
    validate::password("password", password, &mut errors);
    let name = validate::display_name("name", name, &mut errors);
    check(errors)?;
    Ok((email, username, name))
}

fn roles_json<T: ToString>(roles: &[T]) -> serde_json::Value {
    serde_json::Value::Array(
        roles
            .iter()
            .map(|r| serde_json::Value::String(r.to_string()))
            .collect(),
    )
}

/// Maps a unique violation on insert to the field that clashed.
fn user_conflict(err: sea_orm::DbErr) -> Error {
    if !is_unique_violation(&err) {
        return Error::Db(err);
    }
    let text = err.to_string();
    let field = if text.contains("username") {
        "username"
    } else {
        "email"
    };
    Error::Conflict(vec![FieldError::new(
        field,
        "this value is already in use and should be unique",
    )])
}

async fn insert_user(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: String,
    username: String,
    name: String,
    hashed_password: String,
    site_roles: &[SiteRole],
) -> Result<user::Model> {
    user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email),
        username: Set(username),
        name: Set(name),
        avatar_url: Set(String::new()),
        hashed_password: Set(hashed_password),
        status: Set(UserStatus::Active),
        login_type: Set(LoginType::Password),
        rbac_roles: Set(roles_json(site_roles)),
        is_system: Set(false),
        deleted: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        last_seen_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(user_conflict)
}

pub(super) async fn insert_membership(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: Uuid,
    user_id: Uuid,
    roles: &[OrgRole],
) -> Result<organization_member::Model, sea_orm::DbErr> {
    organization_member::ActiveModel {
        organization_id: Set(organization_id),
        user_id: Set(user_id),
        roles: Set(roles_json(roles)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// Creates the first user as site owner, with the default organization, and logs it in.
/// Refused once any human user exists.
pub async fn create_first_user(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    input: FirstUser,
    origin: RequestOrigin,
    session_lifetime: std::time::Duration,
) -> Result<(user::Model, ApiToken)> {
    let (email, username, name) =
        check_profile(&input.email, &input.username, &input.password, &input.name)?;
    if has_first_user(db).await? {
        return Err(Error::FirstUserExists);
    }
    let hashed = password::hash(input.password).await?;
    let txn = db.begin().await?;
    site_config::ActiveModel {
        key: Set(FIRST_USER_KEY.to_owned()),
        value: Set(serde_json::Value::Bool(true)),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_or(e, || Error::FirstUserExists))?;
    let user = insert_user(&txn, now, email, username, name, hashed, &[SiteRole::Owner]).await?;
    let org = organization::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set("default".to_owned()),
        display_name: Set("Default".to_owned()),
        description: Set("The default organization, created with the first user.".to_owned()),
        icon: Set(String::new()),
        is_default: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_membership(&txn, now, org.id, user.id, &[]).await?;
    // As Coder's migration does: prebuilds live in the default organization.
    insert_membership(&txn, now, org.id, PREBUILDS_SYSTEM_USER_ID, &[]).await?;
    let token = api_keys::create_session(&txn, now, user.id, session_lifetime).await?;
    audit::record_anonymous(
        &txn,
        Some(user.id),
        &origin,
        now,
        AuditEntry::new(
            AuditAction::Register,
            user_resource(&user),
            Diff::of_rows(None, Some(&user)),
        ),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user.id = %user.id, "first user created");
    Ok((user, token))
}

/// Creates a user with site roles and organization memberships.
pub async fn create_user(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    input: CreateUser,
) -> Result<user::Model> {
    authz::authorize(subject, Action::Create, &Object::new(Resource::User))?;
    let mut site_roles = input.site_roles.clone();
    site_roles.retain(|r| *r != SiteRole::Member);
    site_roles.sort();
    site_roles.dedup();
    authz::check_site_roles(subject, &[], &site_roles)?;
    let (email, username, name) =
        check_profile(&input.email, &input.username, &input.password, &input.name)?;
    let organization_ids = if input.organization_ids.is_empty() {
        let default = organization::Entity::find()
            .filter(organization::Column::IsDefault.eq(true))
            .one(db)
            .await?
            .ok_or(Error::NotFound("default organization"))?;
        vec![default.id]
    } else {
        input.organization_ids.clone()
    };
    for &org_id in &organization_ids {
        authz::authorize(
            subject,
            Action::Create,
            &Object::new(Resource::OrganizationMember).in_org(org_id),
        )?;
        authz::check_org_roles(subject, org_id, &[], &[OrgRole::OrganizationMember])?;
    }
    let hashed = password::hash(input.password).await?;
    let txn = db.begin().await?;
    let user = insert_user(&txn, now, email, username, name, hashed, &site_roles).await?;
    for (i, &org_id) in organization_ids.iter().enumerate() {
        insert_membership(&txn, now, org_id, user.id, &[])
            .await
            .map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                    Error::Invalid(vec![FieldError::new(
                        format!("organizationIds[{i}]"),
                        "no such organization",
                    )])
                }
                _ => Error::Db(e),
            })?;
    }
    let entry = AuditEntry::new(
        AuditAction::Create,
        user_resource(&user),
        Diff::of_rows(None, Some(&user)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok(user)
}

/// A user as the audit log names it.
fn user_resource(user: &user::Model) -> audit::Resource {
    audit::Resource::new(ResourceType::User, Some(user.id), &user.username)
}

/// Who is logging in, and from where (for the failed-login limits).
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The email as typed.
    pub email: String,
    /// The password as typed.
    pub password: String,
    /// Where the attempt came from: its address counts towards the failed-login limits,
    /// and all of it goes into the audit log.
    pub origin: RequestOrigin,
}

/// Checks an email and password, and creates a session token. Failed attempts are limited
/// per account and per client by `throttle`.
pub async fn login(
    db: &DatabaseConnection,
    throttle: &LoginThrottle,
    now: DateTime<Utc>,
    attempt: LoginAttempt,
    session_lifetime: std::time::Duration,
) -> Result<(user::Model, ApiToken)> {
    let LoginAttempt {
        email,
        password,
        origin,
    } = attempt;
    let client = origin.ip;
    let outcome = match throttle.attempt(now, &email, client) {
        Err(throttled) => Err(Error::Throttled {
            retry_after_seconds: std::cmp::max(throttled.retry_after.num_seconds(), 1),
        }),
        Ok(()) => check_credentials(db, now, &email, password, &origin, session_lifetime).await,
    };
    match outcome {
        Ok((user, token)) => {
            throttle.succeeded(&email, client);
            Ok((user, token))
        }
        Err(err) => {
            let status = match &err {
                Error::InvalidCredentials => audit::record::STATUS_UNAUTHORIZED,
                Error::Suspended => audit::record::STATUS_FORBIDDEN,
                Error::Throttled { .. } => audit::record::STATUS_TOO_MANY_REQUESTS,
                _ => return Err(err),
            };
            record_failed_login(db, now, &email, &origin, status).await?;
            Err(err)
        }
    }
}

/// Writes the audit row of a refused login: the account it names when one exists (the
/// typed email otherwise), the status, and never the password.
async fn record_failed_login(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    email: &str,
    origin: &RequestOrigin,
    status: i32,
) -> Result<()> {
    let account = user_by_email(db, email).await?;
    let (user_id, target) = match &account {
        Some(user) => (Some(user.id), user.username.clone()),
        // The email as typed is the caller's text: it is stored no longer than an email
        // can be.
        None => (
            None,
            text::clean_reported(&email.trim().to_lowercase(), text::EMAIL),
        ),
    };
    let resource = audit::Resource::new(ResourceType::ApiKey, None, target);
    let entry = AuditEntry::new(AuditAction::Login, resource, Diff::new()).with_status(status);
    audit::record_anonymous(db, user_id, origin, now, entry).await?;
    Ok(())
}

/// The live, non-system user with `email` (compared case-insensitively).
async fn user_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(email.trim().to_lowercase()),
        )
        .filter(user::Column::Deleted.eq(false))
        .filter(user::Column::IsSystem.eq(false))
        .one(db)
        .await?)
}

async fn check_credentials(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    email: &str,
    password_attempt: String,
    origin: &RequestOrigin,
    session_lifetime: std::time::Duration,
) -> Result<(user::Model, ApiToken)> {
    let Some(user) = user_by_email(db, email).await? else {
        // Spend the same time as a real check.
        password::verify(password_attempt, password::dummy_hash().await?).await?;
        return Err(Error::InvalidCredentials);
    };
    if !password::verify(password_attempt, user.hashed_password.clone()).await? {
        return Err(Error::InvalidCredentials);
    }
    if user.status == UserStatus::Suspended {
        return Err(Error::Suspended);
    }
    let txn = db.begin().await?;
    if user.status == UserStatus::Dormant {
        user::Entity::update_many()
            .col_expr(user::Column::Status, Expr::value(UserStatus::Active))
            .filter(user::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
    }
    touch_last_seen(&txn, user.id, now).await?;
    let token = api_keys::create_session(&txn, now, user.id, session_lifetime).await?;
    let resource = audit::Resource::new(ResourceType::ApiKey, None, &user.username);
    let entry = AuditEntry::new(AuditAction::Login, resource, Diff::new());
    audit::record_anonymous(&txn, Some(user.id), origin, now, entry).await?;
    txn.commit().await?;
    let user = user::Entity::find_by_id(user.id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    Ok((user, token))
}

/// Records that a user was seen now.
pub(super) async fn touch_last_seen(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastSeenAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::IsSystem.eq(false))
        .exec(db)
        .await?;
    Ok(())
}

/// Suspends or reactivates a user. Admins only; nobody can suspend themselves.
pub async fn set_user_status(
    db: &DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    user_id: Uuid,
    status: UserStatus,
) -> Result<user::Model> {
    // A site-wide object: the owner grant that lets users edit their profile does not apply.
    authz::authorize(subject, Action::Update, &Object::new(Resource::User))?;
    if user_id == subject.user_id && status != UserStatus::Active {
        return Err(Error::Invalid(vec![FieldError::new(
            "id",
            "you cannot suspend yourself",
        )]));
    }
    let user = visible_user(db, user_id).await?;
    // As Coder: an owner must lose the role before being suspended, so the last active
    // owner can never be locked out.
    if status != UserStatus::Active && site_roles_of(&user).contains(&SiteRole::Owner) {
        return Err(Error::SuspendOwner);
    }
    let mut active: user::ActiveModel = user.clone().into();
    active.status = Set(status);
    active.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = update_audited(&txn, subject, now, &user, active).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(updated)
}

/// Writes `change` to `user` and its audit row, in `txn`.
async fn update_audited(
    txn: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    user: &user::Model,
    change: user::ActiveModel,
) -> Result<user::Model> {
    let updated = change.update(txn).await?;
    let entry = AuditEntry::new(
        AuditAction::Write,
        user_resource(&updated),
        Diff::of_rows(Some(user), Some(&updated)),
    );
    audit::record(txn, subject, now, entry).await?;
    Ok(updated)
}

/// Replaces a user's site roles. Nobody changes their own; every role added or removed must
/// be one the caller may assign; the last active owner keeps the owner role.
pub async fn update_user_roles(
    db: &DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    user_id: Uuid,
    roles: Vec<SiteRole>,
) -> Result<user::Model> {
    authz::authorize(subject, Action::Update, &Object::new(Resource::User))?;
    if user_id == subject.user_id {
        return Err(Error::OwnRoles);
    }
    let mut wanted = roles;
    wanted.retain(|r| *r != SiteRole::Member);
    wanted.sort();
    wanted.dedup();
    let txn = db.begin().await?;
    // Locks the owners' rows (PostgreSQL) so that two owners demoting each other at once
    // cannot both succeed; SQLite runs one write transaction at a time anyway.
    let owners: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::Deleted.eq(false))
        .filter(user::Column::IsSystem.eq(false))
        .filter(
            Expr::col(user::Column::RbacRoles)
                .cast_as("TEXT")
                .like("%\"owner\"%"),
        )
        .lock_exclusive()
        .all(&txn)
        .await?;
    let user = visible_user(&txn, user_id).await?;
    let current = site_roles_of(&user);
    authz::check_site_roles(subject, &current, &wanted)?;
    if current.contains(&SiteRole::Owner) && !wanted.contains(&SiteRole::Owner) {
        let others_active = owners.iter().any(|u| {
            u.id != user_id
                && u.status != UserStatus::Suspended
                && site_roles_of(u).contains(&SiteRole::Owner)
        });
        if !others_active {
            return Err(Error::LastOwner);
        }
    }
    let mut active: user::ActiveModel = user.clone().into();
    active.rbac_roles = Set(roles_json(&wanted));
    active.updated_at = Set(now);
    let updated = update_audited(&txn, subject, now, &user, active).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(updated)
}

/// A live, non-system user by id.
async fn visible_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<user::Model> {
    user::Entity::find_by_id(user_id)
        .filter(user::Column::Deleted.eq(false))
        .filter(user::Column::IsSystem.eq(false))
        .one(db)
        .await?
        .ok_or(Error::NotFound("user"))
}

/// One user the subject may read.
pub async fn get_user(
    db: &impl ConnectionTrait,
    subject: &Subject,
    user_id: Uuid,
) -> Result<user::Model> {
    if !authz::is_allowed(
        subject,
        Action::Read,
        &Object::new(Resource::User).owned_by(user_id),
    ) {
        return Err(Error::NotFound("user"));
    }
    visible_user(db, user_id).await
}

/// The users the subject may read, oldest first; system users are never listed.
pub async fn list_users(
    db: &impl ConnectionTrait,
    subject: &Subject,
    offset: u64,
    limit: u64,
) -> Result<Vec<user::Model>> {
    let scope = ReadScope::compute(subject, Action::Read, Resource::User);
    let select = user::Entity::find()
        .filter(scope.condition(None, Some(Expr::col((user::Entity, user::Column::Id)))))
        .filter(user::Column::IsSystem.eq(false))
        .filter(user::Column::Deleted.eq(false))
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Username)
        .offset(offset)
        .limit(limit);
    Ok(row_counts::all(db, select).await?)
}

/// Parses stored role names, skipping unknown ones (a role removed in a later version).
pub(super) fn parse_roles<T: std::str::FromStr>(json: &serde_json::Value) -> Vec<T> {
    json.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The site roles stored on a user (without the implied `member`).
pub fn site_roles_of(user: &user::Model) -> Vec<SiteRole> {
    parse_roles(&user.rbac_roles)
}

/// Builds the [`Subject`] for a user from its site roles and memberships.
pub async fn subject_for(db: &impl ConnectionTrait, user: &user::Model) -> Result<Subject> {
    let memberships = organization_member::Entity::find()
        .filter(organization_member::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    Ok(subject_from(
        user,
        memberships
            .into_iter()
            .map(|m| (m.organization_id, m.roles)),
    ))
}

/// Builds a user's [`Subject`] from memberships already loaded, as (organization id, stored
/// roles) pairs.
pub(super) fn subject_from(
    user: &user::Model,
    memberships: impl IntoIterator<Item = (Uuid, serde_json::Value)>,
) -> Subject {
    let org_roles: BTreeMap<Uuid, Vec<OrgRole>> = memberships
        .into_iter()
        .map(|(organization_id, roles)| (organization_id, parse_roles(&roles)))
        .collect();
    Subject {
        user_id: user.id,
        site_roles: site_roles_of(user),
        org_roles,
        name: user.username.clone(),
        internal: false,
        origin: Default::default(),
    }
}
