//! Tokens: `<id>-<secret>`, where only a SHA-256 of the secret is stored. Session tokens
//! come from logging in; API tokens are named and long-lived.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, JoinType, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, SelectModel, Selector, TransactionTrait,
};
use subtle::ConstantTimeEq;

use super::{
    Error, Result, check,
    credential_cache::{CachedCredential, CredentialCache},
    users, validate,
};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        FieldError,
        audit::{self, AuditEntry, Diff, ResourceType},
        secrets::{random_token, sha256_hex},
        unique_or,
    },
    entity::{
        api_key::{self, ApiKeyLoginType},
        audit_log::AuditAction,
        organization_member,
        user::{self, UserStatus},
    },
};

const ID_LEN: usize = 10;
const SECRET_LEN: usize = 22;
/// How stale `last_used_at` may get before a request refreshes it; avoids a write per request.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// A newly created key with its token; the token is shown once and never stored.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// The stored key.
    pub key: api_key::Model,
    /// `<id>-<secret>`, for the `Authorization: Bearer` header.
    pub token: String,
}

fn hash_secret(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

async fn insert_key(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: uuid::Uuid,
    login_type: ApiKeyLoginType,
    token_name: Option<String>,
    lifetime: Duration,
) -> Result<ApiToken> {
    let id = random_token(ID_LEN);
    let secret = random_token(SECRET_LEN);
    let key = api_key::ActiveModel {
        id: Set(id.clone()),
        hashed_secret: Set(hash_secret(&secret)),
        user_id: Set(user_id),
        token_name: Set(token_name),
        login_type: Set(login_type),
        lifetime_seconds: Set(lifetime.num_seconds()),
        expires_at: Set(now + lifetime),
        created_at: Set(now),
        last_used_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        unique_or(e, || {
            Error::Conflict(vec![FieldError::new(
                "name",
                "a token with this name already exists",
            )])
        })
    })?;
    Ok(ApiToken {
        key,
        token: format!("{id}-{secret}"),
    })
}

/// Creates a session token for `user_id`, as logging in does.
pub async fn create_session(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: uuid::Uuid,
    lifetime: std::time::Duration,
) -> Result<ApiToken> {
    let lifetime = Duration::from_std(lifetime).unwrap_or(Duration::days(1));
    insert_key(db, now, user_id, ApiKeyLoginType::Password, None, lifetime).await
}

/// Creates a named API token for the subject itself.
pub async fn create_api_token(
    db: &sea_orm::DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    name: &str,
    lifetime_seconds: i64,
    max_lifetime: std::time::Duration,
) -> Result<ApiToken> {
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::ApiKey).owned_by(subject.user_id),
    )?;
    let mut errors = Vec::new();
    let name = validate::name("name", name, &mut errors);
    let max_seconds = i64::try_from(max_lifetime.as_secs()).unwrap_or(i64::MAX);
    if lifetime_seconds <= 0 {
        errors.push(FieldError::new("lifetimeSeconds", "must be positive"));
    } else if lifetime_seconds > max_seconds {
        errors.push(FieldError::new(
            "lifetimeSeconds",
            format!("must be at most {max_seconds} (the deployment's maximum token lifetime)"),
        ));
    }
    check(errors)?;
    let txn = db.begin().await?;
    let token = insert_key(
        &txn,
        now,
        subject.user_id,
        ApiKeyLoginType::Token,
        Some(name),
        Duration::seconds(lifetime_seconds),
    )
    .await?;
    let entry = AuditEntry::new(
        AuditAction::Create,
        key_resource(&token.key),
        Diff::of_rows(None, Some(&token.key)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok(token)
}

/// A token as the audit log names it: by its name, or its public id for a session.
fn key_resource(key: &api_key::Model) -> audit::Resource {
    let target = key.token_name.clone().unwrap_or_else(|| key.id.clone());
    audit::Resource::new(ResourceType::ApiKey, None, target)
}

/// Who a presented token belongs to.
#[derive(Debug, Clone)]
pub struct Authentication {
    /// The id of the token used (its public part), so `logout` can delete it.
    pub key_id: String,
    /// The user.
    pub user: user::Model,
    /// The user's roles.
    pub subject: Subject,
}

/// The prefix of the user's columns in [`key_rows`], which selects them next to the key's.
const USER_PREFIX: &str = "user_";
/// The alias of a membership's organization id in [`key_rows`].
const MEMBER_ORGANIZATION: &str = "member_organization_id";
/// The alias of a membership's roles in [`key_rows`].
const MEMBER_ROLES: &str = "member_roles";

/// One row of [`key_rows`]: the key, its user (absent when the row is gone) and one of the
/// user's memberships (absent when it has none).
struct KeyRow {
    key: api_key::Model,
    user: Option<user::Model>,
    membership: Option<(uuid::Uuid, serde_json::Value)>,
}

impl FromQueryResult for KeyRow {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let key = api_key::Model::from_query_result(row, pre)?;
        // The outer joins found nothing exactly when the joined id is NULL. Deciding on the id
        // alone, rather than on whether the whole model decodes, keeps a decoding error an
        // error instead of passing it off as a missing user.
        let user = match row.try_get::<Option<uuid::Uuid>>(pre, &format!("{USER_PREFIX}id"))? {
            Some(_) => Some(user::Model::from_query_result(
                row,
                &format!("{pre}{USER_PREFIX}"),
            )?),
            None => None,
        };
        let membership = match row.try_get::<Option<uuid::Uuid>>(pre, MEMBER_ORGANIZATION)? {
            Some(organization_id) => Some((organization_id, row.try_get(pre, MEMBER_ROLES)?)),
            None => None,
        };
        Ok(KeyRow {
            key,
            user,
            membership,
        })
    }
}

/// The key `id` with its user and the user's memberships, one row per membership (one row
/// with no membership when it has none, none when the key is unknown): authentication's one
/// statement.
fn key_rows(id: &str) -> Selector<SelectModel<KeyRow>> {
    let mut select = api_key::Entity::find_by_id(id.to_owned())
        .join(
            JoinType::LeftJoin,
            api_key::Entity::belongs_to(user::Entity)
                .from(api_key::Column::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .join_rev(
            JoinType::LeftJoin,
            organization_member::Entity::belongs_to(user::Entity)
                .from(organization_member::Column::UserId)
                .to(user::Column::Id)
                .into(),
        );
    for column in user::Column::iter() {
        select = select.column_as(column, format!("{USER_PREFIX}{}", column.as_str()));
    }
    select
        .column_as(
            organization_member::Column::OrganizationId,
            MEMBER_ORGANIZATION,
        )
        .column_as(organization_member::Column::Roles, MEMBER_ROLES)
        .into_model::<KeyRow>()
}

/// Turns a presented token into its user and [`Subject`], refusing malformed, unknown and
/// expired tokens and suspended or deleted users. One statement reads the key, the user and
/// its memberships; a token accepted in the last few seconds is taken from `credentials`
/// without one (see [`CredentialCache`] for how stale that can be: not at all for changes
/// made through this process).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    credentials: &CredentialCache,
    now: DateTime<Utc>,
    token: &str,
) -> Result<Authentication> {
    let (id, secret) = token
        .split_once('-')
        .filter(|(id, secret)| id.len() == ID_LEN && secret.len() == SECRET_LEN)
        .ok_or(Error::Unauthenticated("Invalid API key format."))?;
    let presented = hash_secret(secret);
    if let Some(cached) = credentials.get(id, now) {
        return accept_cached(db, credentials, now, id, &presented, &cached).await;
    }
    // Taken before the read: a change announced while it runs makes what it read unusable.
    let generation = credentials.generation();
    let mut rows = key_rows(id).all(db).await?.into_iter();
    let KeyRow {
        key,
        user,
        membership,
    } = rows
        .next()
        .ok_or(Error::Unauthenticated("API key is invalid."))?;
    check_key(&presented, &key.hashed_secret, key.expires_at, now)?;
    let mut user = user
        .filter(|user| !user.deleted)
        .ok_or(Error::Unauthenticated("API key is invalid."))?;
    if user.status == UserStatus::Suspended {
        return Err(Error::Suspended);
    }
    let refreshed = refresh_last_used(db, &key.id, &mut user, key.last_used_at, now).await?;
    let memberships = membership
        .into_iter()
        .chain(rows.filter_map(|row| row.membership));
    let subject = users::subject_from(&user, memberships);
    credentials.put(
        id,
        CachedCredential {
            generation,
            read_at: now,
            hashed_secret: key.hashed_secret,
            expires_at: key.expires_at,
            last_used_at: if refreshed { now } else { key.last_used_at },
            user: user.clone(),
            subject: subject.clone(),
        },
    );
    Ok(Authentication {
        key_id: key.id,
        user,
        subject,
    })
}

/// Accepts a token from a remembered entry: the secret and the expiry are checked as on a
/// read, and `last_used_at` is refreshed as often.
async fn accept_cached(
    db: &impl ConnectionTrait,
    credentials: &CredentialCache,
    now: DateTime<Utc>,
    id: &str,
    presented: &str,
    cached: &CachedCredential,
) -> Result<Authentication> {
    check_key(presented, &cached.hashed_secret, cached.expires_at, now)?;
    let mut user = cached.user.clone();
    if refresh_last_used(db, id, &mut user, cached.last_used_at, now).await? {
        credentials.put(
            id,
            CachedCredential {
                last_used_at: now,
                user: user.clone(),
                ..cached.clone()
            },
        );
    }
    Ok(Authentication {
        key_id: id.to_owned(),
        user,
        subject: cached.subject.clone(),
    })
}

/// Refuses a presented secret that does not match the stored hash, or an expired key.
fn check_key(
    presented: &str,
    hashed_secret: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    if !bool::from(presented.as_bytes().ct_eq(hashed_secret.as_bytes())) {
        return Err(Error::Unauthenticated("API key secret is invalid."));
    }
    if now >= expires_at {
        return Err(Error::Unauthenticated("API key expired."));
    }
    Ok(())
}

/// Writes `last_used_at` of key `id` and `last_seen_at` of its user, both `now`, when
/// `last_used_at` is stale, and sets `user.last_seen_at` to match; says whether it did.
///
/// Written in the request, and only when stale: that is at most once a minute per key, so
/// nearly every request runs no write. A spawned task would not make those rare requests
/// noticeably faster, and it would contend for SQLite's single connection unseen, be cut off
/// at shutdown, and leave a client that reads its token right after a request racing the
/// write.
async fn refresh_last_used(
    db: &impl ConnectionTrait,
    id: &str,
    user: &mut user::Model,
    last_used_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    if now - last_used_at < LAST_USED_GRANULARITY {
        return Ok(false);
    }
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, now.into())
        .filter(api_key::Column::Id.eq(id.to_owned()))
        .exec(db)
        .await?;
    users::touch_last_seen(db, user.id, now).await?;
    user.last_seen_at = Some(now);
    Ok(true)
}

/// The named API tokens of `user_id`, newest first (sessions are not listed). Users read
/// their own; reading another user's needs the right to read its keys (owners).
pub async fn list_api_tokens(
    db: &impl ConnectionTrait,
    subject: &Subject,
    user_id: uuid::Uuid,
) -> Result<Vec<api_key::Model>> {
    authz::authorize(
        subject,
        Action::Read,
        &Object::new(Resource::ApiKey).owned_by(user_id),
    )?;
    Ok(api_key::Entity::find()
        .filter(api_key::Column::UserId.eq(user_id))
        .filter(api_key::Column::LoginType.eq(ApiKeyLoginType::Token))
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// Deletes a token (API token or session) by its id; it is refused from the next request
/// on. A token the subject may not delete is reported as not found, so ids cannot be probed.
pub async fn delete_api_token(
    db: &sea_orm::DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    key_id: &str,
) -> Result<api_key::Model> {
    delete_key(db, credentials, subject, now, key_id, AuditAction::Delete).await
}

/// Deletes a token, recording `action` (a deletion, or a logout).
async fn delete_key(
    db: &sea_orm::DatabaseConnection,
    credentials: &CredentialCache,
    subject: &Subject,
    now: DateTime<Utc>,
    key_id: &str,
    action: AuditAction,
) -> Result<api_key::Model> {
    if key_id.len() != ID_LEN || !key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::NotFound("API token"));
    }
    let key = api_key::Entity::find_by_id(key_id.to_owned())
        .one(db)
        .await?
        .ok_or(Error::NotFound("API token"))?;
    let object = Object::new(Resource::ApiKey).owned_by(key.user_id);
    if !authz::is_allowed(subject, Action::Delete, &object) {
        return Err(Error::NotFound("API token"));
    }
    let txn = db.begin().await?;
    api_key::Entity::delete_by_id(key.id.clone())
        .exec(&txn)
        .await?;
    let diff = match action {
        AuditAction::Delete => Diff::of_rows(Some(&key), None),
        _ => Diff::new(),
    };
    let entry = AuditEntry::new(action, key_resource(&key), diff);
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    credentials.invalidate();
    Ok(key)
}

/// Ends the session of the token a request was made with, by deleting that token.
pub async fn logout(
    db: &sea_orm::DatabaseConnection,
    credentials: &CredentialCache,
    now: DateTime<Utc>,
    authentication: &Authentication,
) -> Result<api_key::Model> {
    delete_key(
        db,
        credentials,
        &authentication.subject,
        now,
        &authentication.key_id,
        AuditAction::Logout,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hashed_hex() {
        let hashed = hash_secret("abc");
        assert_eq!(
            hashed,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(random_token(ID_LEN).len(), ID_LEN);
        assert_ne!(random_token(SECRET_LEN), random_token(SECRET_LEN));
    }
}
