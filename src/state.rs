//! What every request and job shares: the database, the clock and the settings domain
//! functions need.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

use crate::{
    clock::Clock,
    domain::{
        identity::{
            CredentialCache, OrganizationNames, OrganizationRows, login_throttle::LoginThrottle,
        },
        license::{FeatureName, service::EntitlementsService},
        provisioner::daemon::Wakeup,
        template::FileCache,
        workspace::{PrebuildClaims, UsageCheck},
    },
};

/// Settings that shape authentication.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of session tokens.
    pub session_duration: Duration,
    /// Longest lifetime an API token may ask for.
    pub max_token_lifetime: Duration,
    /// The failed-login limits.
    pub login_throttle: LoginThrottle,
}

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The clock every "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Authentication settings.
    pub auth: AuthSettings,
    /// The URL users and agents reach the server at.
    pub access_url: url::Url,
    /// Parsed template sources shared while in use.
    pub files: FileCache,
    /// The usage check of the workspace builder (the license fills it).
    pub usage: Arc<dyn UsageCheck>,
    /// Wakes the built-in provisioners when a build is queued.
    pub provisioner: Wakeup,
    /// The cached entitlements and license operations.
    pub entitlements: Arc<EntitlementsService>,
    /// The cap of `connectionLogs.totalCount` (0: exact).
    pub connection_log_count_cap: u64,
    /// The cap of `auditLogs.totalCount` (0: exact).
    pub audit_log_count_cap: u64,
    /// Organization names searches have resolved.
    pub organization_names: OrganizationNames,
    /// Organization rows read so far (they never change).
    pub organization_rows: OrganizationRows,
    /// Tokens accepted in the last few seconds.
    pub credentials: CredentialCache,
}

impl AppState {
    /// Whether `createWorkspace` hands out prebuilt workspaces now: only while the
    /// deployment is entitled to prebuilds (otherwise it always creates new ones).
    pub fn prebuild_claims(&self) -> PrebuildClaims {
        if self
            .entitlements
            .is_entitled(FeatureName::WorkspacePrebuilds)
        {
            PrebuildClaims::Enabled
        } else {
            PrebuildClaims::Disabled
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("access_url", &self.access_url)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}
