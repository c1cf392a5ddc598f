//! The prebuild reconciler as a scheduler job: every `--prebuilds-reconciliation-interval`
//! it runs one [`reconciler`](crate::domain::prebuilds::reconciler) cycle — keeping each
//! preset's prebuilt workspaces at the desired count — while the deployment is entitled to
//! prebuilds, and wakes the built-in provisioners for the builds it queued. The scheduler's
//! lock for the job makes one replica the leader of each cycle.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{Job, JobError};
use crate::domain::{
    license::{FeatureName, service::EntitlementsService},
    prebuilds::{
        metrics::PrebuildMetrics,
        reconciler::{self, CycleReport, ReconcilerSettings},
    },
    provisioner::daemon::Wakeup,
    workspace::UsageCheck,
};

/// The prebuild reconciler job.
pub struct PrebuildsReconciler {
    /// How often it runs.
    pub interval: chrono::Duration,
    /// Backoff and hard-limit settings.
    pub settings: ReconcilerSettings,
    /// The builder's usage check.
    pub usage: Arc<dyn UsageCheck>,
    /// Whether the deployment is entitled to prebuilds.
    pub entitlements: Arc<EntitlementsService>,
    /// Woken when builds were queued.
    pub provisioner: Wakeup,
    /// The metrics it refreshes.
    pub metrics: Option<PrebuildMetrics>,
    /// Held for a cycle: one process never runs two at once, whoever ticks it.
    pub running: tokio::sync::Mutex<()>,
}

impl PrebuildsReconciler {
    /// One cycle at `now`, as each scheduled run does it; None when the deployment is not
    /// entitled to prebuilds (tests call this to see what it did).
    pub async fn run_cycle(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> Result<Option<CycleReport>, JobError> {
        let _running = self.running.lock().await;
        if !self
            .entitlements
            .is_entitled(FeatureName::WorkspacePrebuilds)
        {
            tracing::debug!("prebuilds: not entitled; skipping the cycle");
            return Ok(None);
        }
        let report = reconciler::run_cycle(
            db,
            self.usage.clone(),
            self.settings,
            self.metrics.as_ref(),
            now,
        )
        .await?;
        if report.created_count() > 0 || !report.deleted.is_empty() {
            self.provisioner.notify();
            tracing::info!(
                presets = report.presets,
                created = report.created_count(),
                deleted = report.deleted.len(),
                errors = report.errors.len(),
                "prebuilds: reconciliation cycle"
            );
        }
        Ok(Some(report))
    }
}

#[async_trait::async_trait]
impl Job for PrebuildsReconciler {
    fn name(&self) -> &'static str {
        "prebuilds-reconciler"
    }

    fn interval(&self) -> chrono::Duration {
        self.interval
    }

    async fn run(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), JobError> {
        self.run_cycle(db, now).await?;
        Ok(())
    }
}
