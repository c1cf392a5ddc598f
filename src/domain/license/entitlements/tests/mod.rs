//! Tests of the entitlements computation: license fixtures shaped like Coder's
//! `coderdenttest.LicenseOptions` (Coder's test helpers), a stand-in for the
//! JWT verifier's time checks, and a runner for table-driven cases.

mod build;
mod deployment;
mod merge;
mod units;
mod usage_limit;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::{
    Draft, Entitlements, EntitlementsArgs, FeatureName, LicenseInput, LicenseValidity, compute,
};
use crate::domain::license::LicenseClaims;

/// The fixed "now" of every test: after 2025-07-01, so explicit managed-agent licenses are
/// newer than the Premium default.
pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 8, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

pub(super) fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub(super) fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

pub(super) fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// The UUID the fixture for license `id` gets.
pub(super) fn uuid_of(id: i64) -> Uuid {
    Uuid::from_u128(0xABCD_0000 + id as u128)
}

/// A license to generate: Coder's defaults are iat = nbf = now-1m, license_expires = exp =
/// now+1h, feature set none.
#[derive(Debug, Clone)]
pub(super) struct License {
    claims: LicenseClaims,
}

pub(super) fn license() -> License {
    License {
        claims: LicenseClaims {
            iat: Some(now() - minutes(1)),
            nbf: Some(now() - minutes(1)),
            license_expires: Some(now() + hours(1)),
            exp: Some(now() + hours(1)),
            version: 3,
            account_type: "salesforce".into(),
            account_id: "test".into(),
            ..LicenseClaims::default()
        },
    }
}

impl License {
    /// `feature_set: enterprise`.
    pub(super) fn enterprise(self) -> Self {
        self.feature_set("enterprise")
    }

    /// `feature_set: premium`.
    pub(super) fn premium(self) -> Self {
        self.feature_set("premium")
    }

    /// Legacy `all_features: true`.
    pub(super) fn legacy(mut self) -> Self {
        self.claims.all_features = true;
        self
    }

    pub(super) fn feature_set(mut self, set: &str) -> Self {
        self.claims.feature_set = set.into();
        self
    }

    pub(super) fn trial(mut self) -> Self {
        self.claims.trial = true;
        self
    }

    pub(super) fn require_telemetry(mut self) -> Self {
        self.claims.require_telemetry = true;
        self
    }

    pub(super) fn feature(mut self, name: &str, value: i64) -> Self {
        self.claims.features.insert(name.into(), value);
        self
    }

    pub(super) fn user_limit(self, limit: i64) -> Self {
        self.feature("user_limit", limit)
    }

    /// Coder's `ManagedAgentLimit(soft, hard)`.
    pub(super) fn managed_agents(self, soft: i64, hard: i64) -> Self {
        self.feature("managed_agent_limit_soft", soft)
            .feature("managed_agent_limit_hard", hard)
    }

    pub(super) fn issued_at(mut self, at: DateTime<Utc>) -> Self {
        self.claims.iat = Some(at);
        self
    }

    pub(super) fn not_before(mut self, at: DateTime<Utc>) -> Self {
        self.claims.nbf = Some(at);
        self
    }

    pub(super) fn expires(mut self, license_expires: DateTime<Utc>, exp: DateTime<Utc>) -> Self {
        self.claims.license_expires = Some(license_expires);
        self.claims.exp = Some(exp);
        self
    }

    /// `Valid(now)`: license_expires now+53d, exp now+60d.
    pub(super) fn valid(self) -> Self {
        self.expires(now() + days(53), now() + days(60))
    }

    /// `GracePeriod(now)`: nbf now-2d, license_expires now-1d, exp now+1d.
    pub(super) fn grace(self) -> Self {
        self.not_before(now() - days(2))
            .expires(now() - days(1), now() + days(1))
    }

    /// `Expired(now)`: nbf now-4d, license_expires now-3d, exp now-2d.
    pub(super) fn expired(self) -> Self {
        self.not_before(now() - days(4))
            .expires(now() - days(3), now() - days(2))
    }

    /// `FutureTerm(now)`: nbf now+1d, license_expires now+53d, exp now+60d.
    pub(super) fn future_term(self) -> Self {
        self.not_before(now() + days(1))
            .expires(now() + days(53), now() + days(60))
    }

    pub(super) fn claims(&self) -> &LicenseClaims {
        &self.claims
    }

    /// The stored license `id`, with the verdict the JWT verifier would give at `now()` (no
    /// leeway, as jwt-go v4): expired and used-before-issued are errors, a future `nbf` is
    /// "not valid yet".
    pub(super) fn stored(self, id: i64) -> LicenseInput {
        let at = now();
        let validity = if self.claims.exp.is_some_and(|exp| exp <= at) {
            LicenseValidity::Invalid("token is expired".into())
        } else if self.claims.iat.is_some_and(|iat| iat > at) {
            LicenseValidity::Invalid("Token used before issued".into())
        } else if self.claims.nbf.is_some_and(|nbf| nbf > at) {
            LicenseValidity::NotYetValid
        } else {
            LicenseValidity::Valid(self.claims)
        };
        LicenseInput {
            id,
            uuid: uuid_of(id),
            validity,
        }
    }

    /// The license `id` handed over as valid, whatever its times say.
    pub(super) fn verified(self, id: i64) -> LicenseInput {
        LicenseInput {
            id,
            uuid: uuid_of(id),
            validity: LicenseValidity::Valid(self.claims),
        }
    }
}

/// Stores the licenses with ids 1, 2, ... in the given order.
pub(super) fn stored(licenses: Vec<License>) -> Vec<LicenseInput> {
    licenses
        .into_iter()
        .zip(1..)
        .map(|(license, id)| license.stored(id))
        .collect()
}

/// Deployment facts: nothing enabled, no users, one replica, no external auth.
pub(super) fn args() -> EntitlementsArgs {
    EntitlementsArgs {
        now: now(),
        enablements: BTreeSet::new(),
        active_user_count: 0,
        replica_count: 1,
        external_auth_count: 0,
    }
}

/// Every feature enabled by config.
pub(super) fn all_enabled() -> BTreeSet<FeatureName> {
    FeatureName::ALL.into_iter().collect()
}

pub(super) fn enabled(names: &[FeatureName]) -> BTreeSet<FeatureName> {
    names.iter().copied().collect()
}

/// Runs both phases, answering the managed-agent count with `count` when one is asked for.
pub(super) fn entitlements(
    licenses: &[LicenseInput],
    args: &EntitlementsArgs,
    count: i64,
) -> Entitlements {
    let draft = compute(licenses, args);
    let asked = draft.managed_agent_usage_period().map(|_| Ok(count));
    draft.finish(asked)
}

/// Runs the first phase only.
pub(super) fn draft(licenses: &[LicenseInput], args: &EntitlementsArgs) -> Draft {
    compute(licenses, args)
}

/// One table row: licenses and facts in, assertions on the result.
pub(super) struct Case {
    pub name: &'static str,
    pub licenses: Vec<LicenseInput>,
    pub args: EntitlementsArgs,
    pub managed_agent_count: i64,
    pub check: fn(&Entitlements),
}

/// Runs every case; the failing case's name is on stderr, which the harness shows.
pub(super) fn run(cases: Vec<Case>) {
    for case in cases {
        eprintln!("case: {}", case.name);
        let result = entitlements(&case.licenses, &case.args, case.managed_agent_count);
        (case.check)(&result);
    }
}

/// The feature-in-use warnings for every feature but `skip` being enabled and unlicensed.
pub(super) fn not_entitled_warnings(skip: &[FeatureName]) -> Vec<String> {
    FeatureName::ALL
        .into_iter()
        .filter(|name| !has_own_warning(*name) && !skip.contains(name))
        .map(super::messages::feature_not_entitled)
        .collect()
}

/// Features whose warnings come from usage, not from the feature-in-use loop.
pub(super) fn has_own_warning(name: FeatureName) -> bool {
    matches!(
        name,
        FeatureName::UserLimit
            | FeatureName::HighAvailability
            | FeatureName::MultipleExternalAuth
            | FeatureName::ManagedAgentLimit
    )
}

/// The features map of an unlicensed deployment.
pub(super) fn all_not_entitled(result: &Entitlements) -> bool {
    result.features.len() == FeatureName::ALL.len()
        && result.features.values().all(|feature| {
            feature.entitlement == super::Entitlement::NotEntitled && !feature.enabled
        })
}
