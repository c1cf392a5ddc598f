//! The deployment-wide prebuild settings (whether reconciliation is paused).
//!
//! Stored as Coder stores them: one `site_configs` row, key `prebuilds_settings`, value
//! `{"reconciliation_paused": bool}`. A missing row (or a value without the field) means
//! not paused, so a fresh deployment reconciles. Reading them for the reconciler needs no
//! subject; reading them for a person needs deployment-config read, changing them
//! deployment-config update (Coder's `GET`/`PUT /api/v2/prebuilds/settings`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
    sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::audit::{self, AuditEntry, Diff, ResourceType},
    entity::{audit_log::AuditAction, site_config},
};

/// The `site_configs` key the settings live under (Coder's).
const SETTINGS_KEY: &str = "prebuilds_settings";

/// The prebuild settings of the deployment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrebuildsSettings {
    /// Whether the reconciler is paused: it creates and deletes no prebuilt workspaces.
    #[serde(default)]
    pub reconciliation_paused: bool,
}

/// What can go wrong reading or changing the settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller may not read or change deployment settings.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The current settings, for the reconciler (no authorization): not paused when nothing is
/// stored. A stored value that does not parse is an error rather than "not paused", so that
/// a damaged row never silently resumes a paused deployment.
pub async fn load(db: &impl ConnectionTrait) -> Result<PrebuildsSettings, DbErr> {
    let Some(row) = site_config::Entity::find_by_id(SETTINGS_KEY.to_owned())
        .one(db)
        .await?
    else {
        return Ok(PrebuildsSettings::default());
    };
    serde_json::from_value(row.value)
        .map_err(|e| DbErr::Json(format!("site_configs.{SETTINGS_KEY}: {e}")))
}

/// The current settings, for a caller who may read deployment settings.
pub async fn get(db: &impl ConnectionTrait, subject: &Subject) -> Result<PrebuildsSettings, Error> {
    authz::authorize(
        subject,
        Action::Read,
        &Object::new(Resource::DeploymentConfig),
    )?;
    Ok(load(db).await?)
}

/// Pauses (`paused = true`) or resumes reconciliation and returns the settings now stored;
/// needs deployment-config update. Setting the value it already has changes nothing but
/// the row's `updated_at`. One upsert (`INSERT … ON CONFLICT (key) DO UPDATE`), atomic on
/// both engines, so concurrent calls never fail on the key and the last one wins.
pub async fn set_paused(
    db: &DatabaseConnection,
    subject: &Subject,
    now: DateTime<Utc>,
    paused: bool,
) -> Result<PrebuildsSettings, Error> {
    authz::authorize(
        subject,
        Action::Update,
        &Object::new(Resource::DeploymentConfig),
    )?;
    let settings = PrebuildsSettings {
        reconciliation_paused: paused,
    };
    let value = serde_json::to_value(settings)
        .map_err(|e| DbErr::Json(format!("encoding {SETTINGS_KEY}: {e}")))?;
    let txn = db.begin().await?;
    let before = load(&txn).await?;
    site_config::Entity::insert(site_config::ActiveModel {
        key: Set(SETTINGS_KEY.to_owned()),
        value: Set(value),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(site_config::Column::Key)
            .update_columns([site_config::Column::Value, site_config::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    let stored = load(&txn).await?;
    // As Coder: setting the value already stored is not a change, and is not audited.
    if before != stored {
        let diff = Diff::new().field(
            "reconciliation_paused",
            before.reconciliation_paused,
            stored.reconciliation_paused,
        );
        let resource = audit::Resource::new(ResourceType::PrebuildsSettings, None, SETTINGS_KEY);
        audit::record(
            &txn,
            subject,
            now,
            AuditEntry::new(AuditAction::Write, resource, diff),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_is_coders() {
        let paused = PrebuildsSettings {
            reconciliation_paused: true,
        };
        assert_eq!(
            serde_json::to_value(paused).expect("encodes"),
            serde_json::json!({ "reconciliation_paused": true })
        );
        // Coder's query answers `{}` when nothing is stored: not paused.
        let empty: PrebuildsSettings =
            serde_json::from_value(serde_json::json!({})).expect("decodes");
        assert!(!empty.reconciliation_paused);
    }

    #[tokio::test]
    async fn load_set_and_refuse_on_a_real_database() {
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .expect("db");
        crate::db::migrate(&db).await.expect("migrate");
        assert_eq!(load(&db).await.expect("load"), PrebuildsSettings::default());

        let owner = Subject::system("test", uuid::Uuid::new_v4());
        let now = Utc::now();
        for paused in [true, true, false, true] {
            let stored = set_paused(&db, &owner, now, paused).await.expect("set");
            assert_eq!(stored.reconciliation_paused, paused);
            assert_eq!(load(&db).await.expect("load"), stored);
        }

        let member = Subject {
            user_id: uuid::Uuid::new_v4(),
            site_roles: vec![],
            org_roles: Default::default(),
            name: "member".into(),
            internal: false,
            origin: Default::default(),
        };
        assert!(matches!(
            set_paused(&db, &member, now, false).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(get(&db, &member).await, Err(Error::Forbidden(_))));
        assert!(load(&db).await.expect("load").reconciliation_paused);
    }
}
