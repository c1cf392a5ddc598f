//! GraphQL types of prebuilt workspaces: the deployment-wide prebuild settings.

use async_graphql::Object;

use crate::domain::prebuilds::settings;

/// The deployment-wide prebuild settings.
pub struct PrebuildsSettings(pub settings::PrebuildsSettings);

/// The deployment-wide prebuild settings.
#[Object]
impl PrebuildsSettings {
    /// Whether prebuild reconciliation is paused: while it is, the reconciler creates and
    /// deletes no prebuilt workspaces.
    async fn reconciliation_paused(&self) -> bool {
        self.0.reconciliation_paused
    }
}
