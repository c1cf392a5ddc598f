//! Licenses and entitlements.

use async_graphql::{Enum, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Int64;
use crate::{
    domain::license::{entitlements, verify},
    entity::license,
};

/// An uploaded license; its claims are decoded, the token itself is never returned.
pub struct License(pub license::Model);

/// An uploaded license; its claims are decoded, the token itself is never returned.
#[Object]
impl License {
    /// Row id (for `deleteLicense`).
    async fn id(&self) -> i32 {
        i32::try_from(self.0.id).unwrap_or(i32::MAX)
    }
    /// The license's `jti`.
    async fn uuid(&self) -> Uuid {
        self.0.uuid
    }
    /// When it was uploaded.
    async fn uploaded_at(&self) -> DateTime<Utc> {
        self.0.uploaded_at
    }
    /// When it stops counting (the `exp` claim, end of the grace period).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.exp
    }
    /// The JWT's claims as signed (NumericDates as numbers), decoded without verification.
    async fn claims(&self) -> Json<serde_json::Value> {
        Json(verify::decode_unverified(&self.0.jwt).unwrap_or(serde_json::Value::Null))
    }
}

/// Whether a feature is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum EntitlementLevel {
    /// Granted.
    Entitled,
    /// Granted by a license past its term, in its grace period.
    GracePeriod,
    /// Not granted.
    NotEntitled,
}

/// The period managed-agent usage is counted in: the winning license's `nbf` to `exp`.
#[derive(SimpleObject)]
pub struct UsagePeriod {
    /// The license's `iat`; the latest wins among licenses.
    pub issued_at: DateTime<Utc>,
    /// Start of counting.
    pub start: DateTime<Utc>,
    /// End of counting.
    pub end: DateTime<Utc>,
}

/// One feature of the entitlements.
#[derive(SimpleObject)]
pub struct Feature {
    /// snake_case name (`managed_agent_limit`).
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// Whether it is granted.
    pub entitlement: EntitlementLevel,
    /// Whether it is on.
    pub enabled: bool,
    /// The limit of a limit feature (the hard limit for managed agents).
    pub limit: Option<Int64>,
    /// Current usage of a limit feature.
    pub actual: Option<Int64>,
    /// The soft limit of the managed-agent limit (warns only).
    pub soft_limit: Option<Int64>,
    /// Where usage is counted, for usage-period features.
    pub usage_period: Option<UsagePeriod>,
}

/// What the deployment is entitled to.
pub struct Entitlements(pub std::sync::Arc<entitlements::Entitlements>);

/// What the deployment is entitled to.
#[Object]
impl Entitlements {
    /// Every feature, always all of them.
    async fn features(&self) -> Vec<Feature> {
        self.0
            .features
            .iter()
            .map(|(name, f)| Feature {
                name: name.as_str().to_owned(),
                display_name: name.humanize(),
                entitlement: match f.entitlement {
                    entitlements::Entitlement::Entitled => EntitlementLevel::Entitled,
                    entitlements::Entitlement::GracePeriod => EntitlementLevel::GracePeriod,
                    entitlements::Entitlement::NotEntitled => EntitlementLevel::NotEntitled,
                },
                enabled: f.enabled,
                limit: f.limit.map(Int64),
                actual: f.actual.map(Int64),
                soft_limit: f.soft_limit.map(Int64),
                usage_period: f.usage_period.map(|p| UsagePeriod {
                    issued_at: p.issued_at,
                    start: p.start,
                    end: p.end,
                }),
            })
            .collect()
    }
    /// Problems an admin should fix.
    async fn warnings(&self) -> &[String] {
        &self.0.warnings
    }
    /// Problems that break something now.
    async fn errors(&self) -> &[String] {
        &self.0.errors
    }
    /// Whether a valid license is installed.
    async fn has_license(&self) -> bool {
        self.0.has_license
    }
    /// Whether the license is a trial.
    async fn trial(&self) -> bool {
        self.0.trial
    }
    /// Whether a license requires telemetry.
    async fn require_telemetry(&self) -> bool {
        self.0.require_telemetry
    }
    /// When this was computed.
    async fn refreshed_at(&self) -> DateTime<Utc> {
        self.0.refreshed_at
    }
}
