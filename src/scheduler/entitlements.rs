//! The entitlements refresh: recomputes the cached entitlements every
//! `--entitlements-refresh-interval`, so that licenses expire, grace periods begin and
//! user counts change without a license being added or removed. A failed refresh keeps
//! the previous entitlements.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{Job, JobError};
use crate::domain::license::service::EntitlementsService;

/// The entitlements refresh job.
pub struct EntitlementsRefreshJob {
    /// The service whose cache it refreshes.
    pub service: Arc<EntitlementsService>,
    /// How often.
    pub interval: chrono::Duration,
}

#[async_trait::async_trait]
impl Job for EntitlementsRefreshJob {
    fn name(&self) -> &'static str {
        "entitlements-refresh"
    }

    fn interval(&self) -> chrono::Duration {
        self.interval
    }

    async fn run(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), JobError> {
        // Skipped when a refresh for a license change is under way: that one is as fresh.
        self.service.refresh_in(db, now).await?;
        Ok(())
    }
}
