//! The second phase of the entitlements computation (docs/rules/licenses-and-entitlements.md):
//! deployment-level errors and warnings, in Coder's order, once the licenses are
//! merged and the managed-agent builds counted.

use super::compute::Draft;
use super::feature_grant::{Entitlements, UsagePeriod};
use super::feature_names::{Entitlement, FeatureName};
use super::messages;

impl Draft {
    /// The period to count managed-agent builds in: the winning grant's, when a license is
    /// installed and the feature has one. `None` means no count is needed (unlicensed
    /// deployments have unlimited managed agents).
    pub fn managed_agent_usage_period(&self) -> Option<UsagePeriod> {
        if !self.entitlements.has_license {
            return None;
        }
        self.entitlements
            .features
            .get(&FeatureName::ManagedAgentLimit)
            .and_then(|feature| feature.usage_period)
    }

    /// Completes the entitlements (in Coder's order): replica and external-auth checks,
    /// the managed-agent count and warnings, user-limit and feature-in-use warnings, then
    /// every not-entitled feature disabled and `refreshed_at` set.
    ///
    /// `managed_agent_count` is the count over [`Draft::managed_agent_usage_period`] (`Err`
    /// holds the query error's text); it is ignored when no period was asked for, and a
    /// missing count where one was needed is reported as Coder reports a missing counter.
    /// The count is stored as `actual` directly: Coder re-adds the feature through
    /// `AddFeature`, which under the PR-era capability rule would drop the count whenever it
    /// exceeds the hard limit, while the PremiumExplicitZero scenario (0/0, count 10) expects
    /// it kept.
    pub fn finish(mut self, managed_agent_count: Option<Result<i64, String>>) -> Entitlements {
        self.check_replicas();
        self.check_external_auth();
        if self.managed_agent_usage_period().is_some() {
            self.check_managed_agents(managed_agent_count);
        }
        if self.entitlements.has_license {
            self.check_user_limit();
            self.check_features_in_use();
        }
        let mut entitlements = self.entitlements;
        for feature in entitlements.features.values_mut() {
            if feature.entitlement == Entitlement::NotEntitled {
                feature.enabled = false;
            }
        }
        entitlements.refreshed_at = self.now;
        entitlements
    }

    fn entitlement_of(&self, name: FeatureName) -> Entitlement {
        self.entitlements.feature(name).entitlement
    }

    fn check_replicas(&mut self) {
        if self.replica_count <= 1 {
            return;
        }
        match self.entitlement_of(FeatureName::HighAvailability) {
            Entitlement::NotEntitled => {
                let text = if self.entitlements.has_license {
                    messages::HA_NOT_ENTITLED
                } else {
                    messages::HA_UNLICENSED
                };
                self.entitlements.errors.push(text.to_owned());
            }
            Entitlement::GracePeriod => self
                .entitlements
                .warnings
                .push(messages::HA_GRACE.to_owned()),
            Entitlement::Entitled => {}
        }
    }

    fn check_external_auth(&mut self) {
        if self.external_auth_count <= 1 {
            return;
        }
        match self.entitlement_of(FeatureName::MultipleExternalAuth) {
            Entitlement::NotEntitled => {
                let text = if self.entitlements.has_license {
                    messages::EXTERNAL_AUTH_NOT_ENTITLED
                } else {
                    messages::EXTERNAL_AUTH_UNLICENSED
                };
                self.entitlements.errors.push(text.to_owned());
            }
            Entitlement::GracePeriod => self
                .entitlements
                .warnings
                .push(messages::EXTERNAL_AUTH_GRACE.to_owned()),
            Entitlement::Entitled => {}
        }
    }

    fn check_managed_agents(&mut self, count: Option<Result<i64, String>>) {
        let count = match count {
            Some(Ok(count)) => count,
            Some(Err(err)) => {
                self.entitlements
                    .errors
                    .push(messages::managed_agent_count_failed(&err));
                return;
            }
            None => {
                self.entitlements
                    .errors
                    .push(messages::managed_agent_count_failed(
                        messages::MANAGED_AGENT_COUNT_MISSING,
                    ));
                return;
            }
        };
        let Some(feature) = self
            .entitlements
            .features
            .get_mut(&FeatureName::ManagedAgentLimit)
        else {
            return;
        };
        feature.actual = Some(count);
        // PR-era: warned whether or not the feature is enabled (so an explicit 0/0 license
        // always reports the limit as breached). Every grant with a period has a limit.
        let Some(hard) = feature.limit else {
            return;
        };
        let soft = feature.soft_limit.unwrap_or(0);
        if count >= hard {
            self.entitlements
                .warnings
                .push(messages::MANAGED_AGENT_LIMIT_BREACHED.to_owned());
        } else if count >= managed_agent_warning_threshold(soft, hard) {
            self.entitlements
                .warnings
                .push(messages::MANAGED_AGENT_LIMIT_APPROACHING.to_owned());
        }
    }

    fn check_user_limit(&mut self) {
        let user_limit = self.entitlements.feature(FeatureName::UserLimit);
        let Some(limit) = user_limit.limit else {
            return;
        };
        let active = self.active_user_count;
        if active > limit {
            self.entitlements
                .warnings
                .push(messages::users_over_limit(active, limit));
        } else if user_limit.entitlement == Entitlement::GracePeriod {
            self.entitlements
                .warnings
                .push(messages::user_limit_expired(active, limit));
        }
    }

    fn check_features_in_use(&mut self) {
        for name in FeatureName::ALL {
            // These have their own, usage-based warnings above.
            if matches!(
                name,
                FeatureName::UserLimit
                    | FeatureName::HighAvailability
                    | FeatureName::MultipleExternalAuth
                    | FeatureName::ManagedAgentLimit
            ) {
                continue;
            }
            let feature = self.entitlements.feature(name);
            if !feature.enabled {
                continue;
            }
            match feature.entitlement {
                Entitlement::NotEntitled => self
                    .entitlements
                    .warnings
                    .push(messages::feature_not_entitled(name)),
                Entitlement::GracePeriod => self
                    .entitlements
                    .warnings
                    .push(messages::feature_expired(name)),
                Entitlement::Entitled => {}
            }
        }
    }
}

/// When the "approaching" warning starts: 75% of the way from the soft to the hard limit
/// when `hard > soft > 0`, else 75% of the hard limit (rounded down; 100/200 -> 175,
/// 100/100 -> 75).
pub fn managed_agent_warning_threshold(soft: i64, hard: i64) -> i64 {
    // Integer arithmetic in i128 truncates toward zero like Go's int64(float64(x) * 0.75)
    // without float rounding or overflow.
    let three_quarters = |x: i64| (i128::from(x) * 3 / 4) as i64;
    if hard > soft && soft > 0 {
        soft.saturating_add(three_quarters(hard - soft))
    } else {
        three_quarters(hard)
    }
}
