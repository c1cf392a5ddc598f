//! The entitlements service: the cached [`Entitlements`] every capability asks, recomputed
//! on start, on every license change and periodically (the scheduler's
//! `entitlements-refresh` job calls [`EntitlementsService::refresh_in`]); the license
//! operations of the API; and the managed-agent usage check the workspace builder runs.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex, RwLock},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, TransactionTrait,
};
use uuid::Uuid;

use super::{
    entitlements::{
        self, Entitlements, EntitlementsArgs, FeatureName, LicenseInput, LicenseValidity,
        managed_agent_build_check,
    },
    store,
    verify::{self, LicenseError, LicenseKeys},
};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    clock::Clock,
    domain::{
        audit::{self, AuditEntry, Diff, ResourceType},
        workspace::{UsageCheck, UsageError},
    },
    entity::{audit_log::AuditAction, license, template_version},
};

/// Features switched on by this deployment's configuration (Coder's enablements): what
/// devplane always runs. Browser-only, SCIM, external token encryption and multiple external
/// auth providers are not configured here; high availability is judged by replica count.
const ENABLEMENTS: [FeatureName; 12] = [
    FeatureName::AuditLog,
    FeatureName::ConnectionLog,
    FeatureName::TemplateRbac,
    FeatureName::ExternalProvisionerDaemons,
    FeatureName::Appearance,
    FeatureName::AdvancedTemplateScheduling,
    FeatureName::WorkspaceProxy,
    FeatureName::UserRoleManagement,
    FeatureName::WorkspaceBatchActions,
    FeatureName::AccessControl,
    FeatureName::ControlSharedPorts,
    FeatureName::WorkspacePrebuilds,
];

/// How often `refreshEntitlements` may be asked for.
const MANUAL_REFRESH_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

/// What can go wrong with licenses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token does not verify; the text is the verifier's.
    #[error("Invalid license")]
    InvalidLicense(String),
    /// The license is locked to other deployments.
    #[error("License cannot be used on this deployment!")]
    WrongDeployment(String),
    /// No license with that id.
    #[error("Unknown license ID")]
    NotFound,
    /// `refreshEntitlements` was called too soon.
    #[error(
        "Entitlements already recently refreshed, please wait {0} seconds to force a new refresh"
    )]
    RefreshedRecently(i64),
    /// A feature the deployment's license does not grant.
    #[error("{} is a licensed feature: your deployment is not entitled to it.", .0.humanize())]
    NotEntitled(FeatureName),
    /// The caller may not do this.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The cached entitlements and the license operations.
pub struct EntitlementsService {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    keys: Arc<LicenseKeys>,
    current: RwLock<Arc<Entitlements>>,
    last_manual_refresh: Mutex<Option<DateTime<Utc>>>,
    // Serializes recomputations so a slow one never overwrites a newer one.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for EntitlementsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntitlementsService")
            .finish_non_exhaustive()
    }
}

fn verify_stored(row: &license::Model, keys: &LicenseKeys, now: DateTime<Utc>) -> LicenseInput {
    let validity = match verify::verify(&row.jwt, keys, now) {
        Ok(claims) => LicenseValidity::Valid(claims),
        Err(LicenseError::NotYetValid) => LicenseValidity::NotYetValid,
        Err(err) => LicenseValidity::Invalid(err.to_string()),
    };
    LicenseInput {
        id: row.id,
        uuid: row.uuid,
        validity,
    }
}

impl EntitlementsService {
    /// Builds the service and computes the entitlements once.
    pub async fn start(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        keys: LicenseKeys,
    ) -> Result<Arc<Self>, DbErr> {
        let service = Self::new(db, clock, keys);
        service.refresh().await?;
        Ok(service)
    }

    /// The service before its first refresh: unlicensed until [`Self::refresh`] reads the
    /// stored licenses.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, keys: LicenseKeys) -> Arc<Self> {
        let empty = entitlements::compute(
            &[],
            &EntitlementsArgs {
                now: clock.now(),
                enablements: BTreeSet::new(),
                active_user_count: 0,
                replica_count: 1,
                external_auth_count: 0,
            },
        )
        .finish(None);
        Arc::new(Self {
            db,
            clock,
            keys: Arc::new(keys),
            current: RwLock::new(Arc::new(empty)),
            last_manual_refresh: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// The cached entitlements.
    pub fn current(&self) -> Arc<Entitlements> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Recomputes the entitlements from the stored licenses and the database's counts.
    pub async fn refresh(&self) -> Result<Arc<Entitlements>, DbErr> {
        let _serial = self.refreshing.lock().await;
        self.recompute(&self.db, self.clock.now()).await
    }

    /// The periodic refresh: recomputes at `now` from what `db` sees (the scheduler's
    /// transaction), unless a recomputation is already under way, which makes this one
    /// redundant. Returns whether it recomputed. Waiting instead could deadlock on SQLite:
    /// the waiting job would hold the only connection the other recomputation needs.
    pub async fn refresh_in(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let Ok(_serial) = self.refreshing.try_lock() else {
            return Ok(false);
        };
        self.recompute(db, now).await?;
        Ok(true)
    }

    /// Computes and caches the entitlements; the caller holds `refreshing`.
    async fn recompute(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
    ) -> Result<Arc<Entitlements>, DbErr> {
        let rows = store::unexpired_licenses(db, now).await?;
        let inputs: Vec<LicenseInput> = rows
            .iter()
            .map(|row| verify_stored(row, &self.keys, now))
            .collect();
        let args = EntitlementsArgs {
            now,
            enablements: ENABLEMENTS.into_iter().collect(),
            active_user_count: store::active_user_count(db).await?,
            replica_count: 1,
            external_auth_count: 0,
        };
        let draft = entitlements::compute(&inputs, &args);
        let count = match draft.managed_agent_usage_period() {
            Some(period) => Some(
                store::managed_agent_count(db, period.start, period.end)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            None => None,
        };
        let computed = Arc::new(draft.finish(count));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = computed.clone();
        Ok(computed)
    }

    /// Whether `feature` is usable: entitled (or in its grace period) and enabled.
    pub fn is_entitled(&self, feature: FeatureName) -> bool {
        let current = self.current();
        let f = current.feature(feature);
        f.entitlement.is_entitled() && f.enabled
    }

    /// FORBIDDEN naming `feature` unless the deployment is entitled to it.
    pub fn require(&self, feature: FeatureName) -> Result<(), Error> {
        if self.is_entitled(feature) {
            Ok(())
        } else {
            Err(Error::NotEntitled(feature))
        }
    }

    /// Verifies (ignoring a future `nbf`) and stores a license, then recomputes.
    pub async fn add_license(&self, subject: &Subject, jwt: &str) -> Result<license::Model, Error> {
        authz::authorize(subject, Action::Create, &Object::new(Resource::License))?;
        let now = self.clock.now();
        let jwt = jwt.trim();
        if jwt.len() > crate::domain::text::LICENSE {
            return Err(Error::InvalidLicense(format!(
                "a license is at most {} characters",
                crate::domain::text::LICENSE
            )));
        }
        let claims = verify::verify_ignoring_nbf(jwt, &self.keys, now)
            .map_err(|e| Error::InvalidLicense(e.to_string()))?;
        if !claims.deployment_ids.is_empty() {
            let deployment = store::deployment_id(&self.db, now).await?;
            if !claims.deployment_ids.contains(&deployment) {
                return Err(Error::WrongDeployment(format!(
                    "The license is for deployments {}; this deployment is {deployment}.",
                    claims.deployment_ids.join(", ")
                )));
            }
        }
        let exp = claims
            .exp
            .ok_or_else(|| Error::InvalidLicense(LicenseError::MissingExpiresAt.to_string()))?;
        let uuid = claims
            .jti
            .as_deref()
            .and_then(|j| Uuid::parse_str(j).ok())
            .unwrap_or_else(Uuid::new_v4);
        let txn = self.db.begin().await?;
        let row = store::insert_license(&txn, now, jwt, exp, uuid).await?;
        let entry = AuditEntry::new(
            AuditAction::Create,
            license_resource(&row),
            Diff::of_rows(None, Some(&row)),
        );
        audit::record(&txn, subject, now, entry).await?;
        txn.commit().await?;
        self.refresh().await?;
        Ok(row)
    }

    /// Every uploaded license (the JWT itself is never returned by the API).
    pub async fn list_licenses(&self, subject: &Subject) -> Result<Vec<license::Model>, Error> {
        authz::authorize(subject, Action::Read, &Object::new(Resource::License))?;
        Ok(store::all_licenses(&self.db).await?)
    }

    /// Deletes a license and recomputes.
    pub async fn delete_license(&self, subject: &Subject, id: i64) -> Result<(), Error> {
        authz::authorize(subject, Action::Delete, &Object::new(Resource::License))?;
        let txn = self.db.begin().await?;
        let Some(row) = license::Entity::find_by_id(id).one(&txn).await? else {
            return Err(Error::NotFound);
        };
        if !store::delete_license(&txn, id).await? {
            return Err(Error::NotFound);
        }
        let entry = AuditEntry::new(
            AuditAction::Delete,
            license_resource(&row),
            Diff::of_rows(Some(&row), None),
        );
        audit::record(&txn, subject, self.clock.now(), entry).await?;
        txn.commit().await?;
        self.refresh().await?;
        Ok(())
    }

    /// `refreshEntitlements`: at most once a minute.
    pub async fn refresh_now(&self, subject: &Subject) -> Result<Arc<Entitlements>, Error> {
        authz::authorize(subject, Action::Update, &Object::new(Resource::License))?;
        let now = self.clock.now();
        {
            let mut last = self
                .last_manual_refresh
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(previous) = *last
                && now - previous < MANUAL_REFRESH_INTERVAL
            {
                let wait = (MANUAL_REFRESH_INTERVAL - (now - previous))
                    .num_seconds()
                    .max(1);
                return Err(Error::RefreshedRecently(wait));
            }
            *last = Some(now);
        }
        Ok(self.refresh().await?)
    }
}

/// A license as the audit log names it: its UUID, and its number as the target.
fn license_resource(row: &license::Model) -> audit::Resource {
    audit::Resource::new(ResourceType::License, Some(row.uuid), row.id.to_string())
}

/// The workspace builder's usage check: with a license installed, a build of a version with
/// an AI task needs the managed-agent feature and a count below the hard limit.
pub struct LicenseUsageCheck(pub Arc<EntitlementsService>);

#[async_trait::async_trait]
impl UsageCheck for LicenseUsageCheck {
    async fn check(
        &self,
        db: &DatabaseTransaction,
        version: &template_version::Model,
    ) -> Result<(), UsageError> {
        if !version.has_ai_task {
            return Ok(());
        }
        let check = managed_agent_build_check(&self.0.current());
        let count = match check.period_to_count() {
            // Counted in the build's transaction, so it sees the builds before it.
            Some(period) => store::managed_agent_count(db, period.start, period.end)
                .await
                .inspect_err(|e| tracing::error!(error = %e, "counting managed agents failed"))?,
            None => 0,
        };
        check
            .decide(count)
            .map_err(|denial| UsageError::Refused(Box::new(denial)))
    }
}
