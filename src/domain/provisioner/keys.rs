//! Provisioner keys: organization admins create them (the key is shown once); external
//! provisioners present them to acquire and complete that organization's jobs.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{
        FieldError,
        audit::{self, AuditEntry, Diff, ResourceType},
        license::{FeatureName, service::EntitlementsService},
        secrets::{random_token, sha256_hex},
        unique_or,
    },
    entity::{audit_log::AuditAction, provisioner_key},
};

/// Errors of key management.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The name is invalid.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The caller may not manage provisioners of the organization.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The deployment's license does not include external provisioners.
    #[error(transparent)]
    NotEntitled(#[from] crate::domain::license::service::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Creates a key for an organization's external provisioners (a licensed feature, as in
/// Coder); returns it with its text.
pub async fn create_key(
    db: &DatabaseConnection,
    entitlements: &EntitlementsService,
    subject: &Subject,
    now: DateTime<Utc>,
    organization_id: Uuid,
    name: &str,
) -> Result<(provisioner_key::Model, String), KeyError> {
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::ProvisionerDaemon).in_org(organization_id),
    )?;
    entitlements.require(FeatureName::ExternalProvisionerDaemons)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.contains('\0') {
        return Err(KeyError::Invalid(vec![FieldError::new(
            "name",
            "must be 1-64 characters, without NUL",
        )]));
    }
    let key = random_token(40);
    let txn = db.begin().await?;
    let model = provisioner_key::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        name: Set(name.to_owned()),
        hashed_secret: Set(sha256_hex(key.as_bytes())),
        created_by: Set(subject.user_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Owners may act on any organization id, including one that does not exist.
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
            KeyError::Invalid(vec![FieldError::new(
                "organizationId",
                "no such organization",
            )])
        }
        _ => unique_or(e, || {
            KeyError::Invalid(vec![FieldError::new(
                "name",
                "a key with this name already exists in the organization",
            )])
        }),
    })?;
    let resource = audit::Resource::new(ResourceType::ProvisionerKey, Some(model.id), &model.name)
        .in_org(model.organization_id);
    let entry = AuditEntry::new(
        AuditAction::Create,
        resource,
        Diff::of_rows(None, Some(&model)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok((model, key))
}

/// The key a provisioner presented, if it is one.
pub async fn authenticate_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<provisioner_key::Model>, sea_orm::DbErr> {
    provisioner_key::Entity::find()
        .filter(provisioner_key::Column::HashedSecret.eq(sha256_hex(key.trim().as_bytes())))
        .one(db)
        .await
}
