//! One feature's entitlement and the merge rule that decides which license's grant of a
//! feature wins (`AddFeature` / `Compare` in Coder's `codersdk`, PR-era).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::feature_names::{Entitlement, FeatureName};

/// The period a usage-period limit accumulates over, taken from the granting license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePeriod {
    /// The license's `iat`: the newest license wins.
    pub issued_at: DateTime<Utc>,
    /// The license's `nbf`.
    pub start: DateTime<Utc>,
    /// The license's `exp`.
    pub end: DateTime<Utc>,
}

/// What the deployment is entitled to for one feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    /// How far the licenses cover it.
    pub entitlement: Entitlement,
    /// Whether it is switched on (deployment config, or always for some entitled features).
    pub enabled: bool,
    /// The limit, for limit features (for managed agents: the hard limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Current usage, for limit features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<i64>,
    /// Managed agents only: the included amount, shown in the dashboard; it never blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_limit: Option<i64>,
    /// Usage-period features only: the period `actual` is counted over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_period: Option<UsagePeriod>,
}

impl Feature {
    /// A feature no license covers.
    pub fn not_entitled(enabled: bool) -> Self {
        Feature {
            entitlement: Entitlement::NotEntitled,
            enabled,
            limit: None,
            actual: None,
            soft_limit: None,
            usage_period: None,
        }
    }

    /// False when usage exceeds the limit (both known).
    pub fn capable(&self) -> bool {
        match (self.limit, self.actual) {
            (Some(limit), Some(actual)) => limit >= actual,
            _ => true,
        }
    }

    /// Coder's `Compare`: `Greater` when `self` grants more than `other` (first deciding rule):
    /// 1. both with a usage period: later `issued_at`, then later `end` (so a newer license
    ///    wins even with a smaller limit, on purpose: it replaces the old contract);
    /// 2. if either is over its limit and both are entitled or in grace: the capable one (a
    ///    grace license whose limit covers usage beats an entitled one that does not);
    /// 3. higher entitlement weight; 4. a limit beats none, then the larger limit;
    /// 5. enabled beats disabled; 6. an actual beats none, then the larger actual.
    pub fn compare(&self, other: &Feature) -> Ordering {
        if let (Some(a), Some(b)) = (&self.usage_period, &other.usage_period) {
            let by_period = a
                .issued_at
                .cmp(&b.issued_at)
                .then_with(|| a.end.cmp(&b.end));
            if by_period != Ordering::Equal {
                return by_period;
            }
        }
        // PR-era: the capability rule does not require both sides to have an `actual`
        // (Coder added that condition only in August 2025).
        if (!self.capable() || !other.capable())
            && self.entitlement.weight() >= 0
            && other.entitlement.weight() >= 0
            && self.capable() != other.capable()
        {
            return if self.capable() {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        self.entitlement
            .weight()
            .cmp(&other.entitlement.weight())
            .then_with(|| self.limit.cmp(&other.limit))
            .then_with(|| self.enabled.cmp(&other.enabled))
            .then_with(|| self.actual.cmp(&other.actual))
    }
}

/// What the deployment is entitled to: the merge of every valid license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlements {
    /// Every feature, always present, in Coder's order.
    pub features: BTreeMap<FeatureName, Feature>,
    /// Problems the admin should fix, in Coder's order.
    pub warnings: Vec<String>,
    /// Problems that break something now.
    pub errors: Vec<String>,
    /// Whether at least one valid license is installed.
    pub has_license: bool,
    /// Whether the last valid license (in id order) is a trial.
    pub trial: bool,
    /// Whether any valid license requires telemetry.
    pub require_telemetry: bool,
    /// When this was computed.
    pub refreshed_at: DateTime<Utc>,
}

impl Entitlements {
    /// The feature's entry. Every feature is always present; the fallback only keeps this
    /// total for a value that was deserialized from elsewhere.
    pub fn feature(&self, name: FeatureName) -> Feature {
        self.features
            .get(&name)
            .cloned()
            .unwrap_or_else(|| Feature::not_entitled(false))
    }

    /// Coder's `AddFeature`: keep `add` only if it grants more than what is there. Features
    /// are kept whole, never merged field by field, so a larger grace-period limit cannot
    /// leak into an entitled grant.
    pub(super) fn add_feature(&mut self, name: FeatureName, mut add: Feature) {
        let Some(existing) = self.features.get(&name) else {
            self.features.insert(name, add);
            return;
        };
        if name.uses_usage_period() {
            // A usage-period grant without its period cannot be counted, so it grants
            // nothing.
            if add.usage_period.is_none() {
                return;
            }
        } else {
            add.usage_period = None;
        }
        if add.compare(existing) == Ordering::Greater {
            self.features.insert(name, add);
        }
    }
}
