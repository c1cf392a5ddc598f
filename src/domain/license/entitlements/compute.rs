//! The entitlements computation (Coder's PR-era `LicensesEntitlements`), in two phases because
//! the managed-agent usage must be counted over the period of the license that wins the
//! merge: [`compute`] merges the licenses into a [`Draft`], the caller counts managed-agent
//! builds in [`Draft::managed_agent_usage_period`], and [`Draft::finish`] adds the count and
//! every deployment-level warning and error.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::feature_grant::{Entitlements, Feature, UsagePeriod};
use super::feature_names::{Entitlement, FeatureName};
use super::messages;
use crate::domain::license::LicenseClaims;

/// License-only pseudo-feature carrying the managed-agent soft limit.
const MANAGED_AGENT_LIMIT_SOFT: &str = "managed_agent_limit_soft";
/// License-only pseudo-feature carrying the managed-agent hard limit.
const MANAGED_AGENT_LIMIT_HARD: &str = "managed_agent_limit_hard";

/// Premium default: soft limit per licensed user.
const DEFAULT_SOFT_AGENTS_PER_USER: i64 = 800;
/// Premium default: hard limit per licensed user.
const DEFAULT_HARD_AGENTS_PER_USER: i64 = 1000;

/// One stored, unexpired license and what verifying its JWT gave.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseInput {
    /// Row id: licenses are processed in id order (the last valid one decides `trial`).
    pub id: i64,
    /// The license UUID, quoted in errors.
    pub uuid: Uuid,
    /// The verification outcome.
    pub validity: LicenseValidity,
}

/// What the license verifier concluded about a stored JWT.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a deployment holds a handful of licenses; boxing the claims buys nothing"
)]
pub enum LicenseValidity {
    /// Signature, algorithm, key and time checks passed.
    Valid(LicenseClaims),
    /// Only `nbf` is in the future: a renewal uploaded early, silently ignored until it starts.
    NotYetValid,
    /// Anything else; the verifier's error text is quoted in the entitlements errors.
    Invalid(String),
}

/// The deployment facts the computation needs besides the licenses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementsArgs {
    /// The time licenses are judged at.
    pub now: DateTime<Utc>,
    /// Features switched on by deployment config.
    pub enablements: BTreeSet<FeatureName>,
    /// Active, non-deleted, non-system users (dormant and suspended ones do not count).
    pub active_user_count: i64,
    /// Running coderd replicas.
    pub replica_count: i64,
    /// Configured external auth providers.
    pub external_auth_count: i64,
}

/// The licenses merged; the deployment-level checks are still to do (see [`Draft::finish`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub(super) entitlements: Entitlements,
    pub(super) now: DateTime<Utc>,
    pub(super) active_user_count: i64,
    pub(super) replica_count: i64,
    pub(super) external_auth_count: i64,
}

/// Merges the licenses (docs/rules/licenses-and-entitlements.md, "Merging licenses", steps 1-2).
pub fn compute(licenses: &[LicenseInput], args: &EntitlementsArgs) -> Draft {
    let mut entitlements = Entitlements {
        features: BTreeMap::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
        has_license: false,
        trial: false,
        require_telemetry: false,
        refreshed_at: args.now,
    };
    for name in FeatureName::ALL {
        let mut feature = Feature::not_entitled(args.enablements.contains(&name));
        if name == FeatureName::UserLimit {
            // The active user count is shown even without a license.
            feature.actual = Some(args.active_user_count);
        }
        entitlements.features.insert(name, feature);
    }

    // Id order is what Coder's query returns; sorting makes it an invariant, not a hope.
    let mut ordered: Vec<&LicenseInput> = licenses.iter().collect();
    ordered.sort_by_key(|license| license.id);
    for license in ordered {
        match &license.validity {
            LicenseValidity::NotYetValid => {}
            LicenseValidity::Invalid(err) => entitlements
                .errors
                .push(messages::invalid_license(license.uuid, err)),
            LicenseValidity::Valid(claims) => {
                apply_license(&mut entitlements, license.uuid, claims, args)
            }
        }
    }

    Draft {
        entitlements,
        now: args.now,
        active_user_count: args.active_user_count,
        replica_count: args.replica_count,
        external_auth_count: args.external_auth_count,
    }
}

/// The claims Coder requires, checked in its order.
struct LicenseTimes {
    issued_at: DateTime<Utc>,
    not_before: DateTime<Utc>,
    license_expires: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl LicenseTimes {
    /// The verifier already rejects licenses without these; checking again keeps this total
    /// and reports Coder's own wording if an unchecked value ever gets here.
    fn of(claims: &LicenseClaims) -> Result<Self, &'static str> {
        Ok(LicenseTimes {
            issued_at: claims
                .iat
                .ok_or("license has invalid or missing iat (issued at) claim")?,
            not_before: claims
                .nbf
                .ok_or("license has invalid or missing nbf (not before) claim")?,
            license_expires: claims
                .license_expires
                .ok_or("license has invalid or missing license_expires claim")?,
            expires_at: claims
                .exp
                .ok_or("license has invalid or missing exp (expires at) claim")?,
        })
    }
}

/// One valid license's contribution ("Merging licenses", step 2).
fn apply_license(
    entitlements: &mut Entitlements,
    uuid: Uuid,
    claims: &LicenseClaims,
    args: &EntitlementsArgs,
) {
    let times = match LicenseTimes::of(claims) {
        Ok(times) => times,
        Err(err) => {
            entitlements
                .errors
                .push(messages::invalid_license(uuid, err));
            return;
        }
    };
    let usage_period = UsagePeriod {
        issued_at: times.issued_at,
        start: times.not_before,
        end: times.expires_at,
    };
    if usage_period.start > usage_period.end {
        entitlements.errors.push(messages::not_before_after_expiry(
            uuid,
            usage_period.start,
            usage_period.end,
        ));
        return;
    }

    entitlements.has_license = true;
    entitlements.require_telemetry |= claims.require_telemetry;
    // Overwritten, not or-ed: the last valid license in id order decides (Coder's behaviour).
    entitlements.trial = claims.trial;
    let entitlement = if args.now > times.license_expires {
        // Past the paid term but still verified, so before `exp`: the grace period.
        Entitlement::GracePeriod
    } else {
        Entitlement::Entitled
    };
    // PR-era: one warning per license, so several licenses may repeat it.
    if let Some(warning) = expiry_warning(args.now, times.license_expires, entitlements.trial) {
        entitlements.warnings.push(warning);
    }

    let enabled = |name: FeatureName| args.enablements.contains(&name) || name.always_enable();
    let feature_set = claims.feature_set();
    // Limit features are never granted by a set: they need a value.
    for name in FeatureName::in_set(feature_set) {
        entitlements.add_feature(
            name,
            Feature {
                entitlement,
                enabled: enabled(name),
                ..Feature::not_entitled(false)
            },
        );
    }

    let mut soft = None;
    let mut hard = None;
    let mut has_managed_agent_values = false;
    for (name, &value) in &claims.features {
        if name == FeatureName::ManagedAgentLimit.as_str() {
            entitlements.errors.push(messages::forbidden_feature(name));
            continue;
        }
        if value < 0 {
            continue;
        }
        match name.as_str() {
            MANAGED_AGENT_LIMIT_SOFT => {
                soft = Some(value);
                has_managed_agent_values = true;
                continue;
            }
            MANAGED_AGENT_LIMIT_HARD => {
                hard = Some(value);
                has_managed_agent_values = true;
                continue;
            }
            _ => {}
        }
        // Names of older or newer servers' features are ignored.
        let Some(feature_name) = FeatureName::from_name(name) else {
            continue;
        };
        if value == 0 {
            // A zero user limit makes no sense and a zero switch is off.
            continue;
        }
        if feature_name == FeatureName::UserLimit {
            entitlements.add_feature(
                FeatureName::UserLimit,
                Feature {
                    entitlement,
                    enabled: true,
                    limit: Some(value),
                    actual: Some(args.active_user_count),
                    ..Feature::not_entitled(false)
                },
            );
            // Coder compares the raw claim here, case-sensitively (unlike the set lookup).
            if claims.feature_set == "premium" {
                entitlements.add_feature(
                    FeatureName::ManagedAgentLimit,
                    premium_default_managed_agents(value, entitlement, usage_period),
                );
            }
        } else {
            // Coder overwrites here instead of merging: an explicit switch replaces whatever
            // earlier licenses granted.
            entitlements.features.insert(
                feature_name,
                Feature {
                    entitlement,
                    enabled: enabled(feature_name),
                    ..Feature::not_entitled(false)
                },
            );
        }
    }
    if has_managed_agent_values {
        commit_managed_agent_limit(entitlements, uuid, soft, hard, entitlement, usage_period);
    }
}

/// The Premium default (PR-era): 800 soft / 1000 hard agents per licensed user, issued at
/// 2025-07-01 on purpose so that any license with explicit values, even smaller ones, wins.
fn premium_default_managed_agents(
    user_limit: i64,
    entitlement: Entitlement,
    license_period: UsagePeriod,
) -> Feature {
    Feature {
        entitlement,
        enabled: true,
        limit: Some(user_limit.saturating_mul(DEFAULT_HARD_AGENTS_PER_USER)),
        actual: None,
        soft_limit: Some(user_limit.saturating_mul(DEFAULT_SOFT_AGENTS_PER_USER)),
        usage_period: Some(UsagePeriod {
            issued_at: premium_default_issued_at(),
            ..license_period
        }),
    }
}

/// 2025-07-01T00:00:00Z, before any license carried managed-agent values.
pub(super) fn premium_default_issued_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Turns one license's soft/hard pair into the managed-agent grant ("Managed agents").
fn commit_managed_agent_limit(
    entitlements: &mut Entitlements,
    uuid: Uuid,
    soft: Option<i64>,
    hard: Option<i64>,
    entitlement: Entitlement,
    usage_period: UsagePeriod,
) {
    let name = FeatureName::ManagedAgentLimit;
    let (Some(soft), Some(hard)) = (soft, hard) else {
        entitlements
            .errors
            .push(messages::missing_soft_or_hard(uuid, name));
        return;
    };
    if hard < soft {
        entitlements
            .errors
            .push(messages::hard_below_soft(uuid, name));
        return;
    }
    if hard < 0 || soft < 0 {
        entitlements
            .errors
            .push(messages::negative_limit(uuid, name));
        return;
    }
    let mut feature = Feature {
        entitlement,
        enabled: true,
        limit: Some(hard),
        actual: None,
        soft_limit: Some(soft),
        usage_period: Some(usage_period),
    };
    if hard == 0 {
        // An explicit 0 hard limit means "no managed agents": still the newest grant, so it
        // beats the Premium default.
        feature.enabled = false;
        feature.soft_limit = Some(0);
        feature.limit = Some(0);
    }
    entitlements.add_feature(name, feature);
}

/// `Your license expires in N days.` when 0 < N < 30 (7 for a trial), N rounded up.
fn expiry_warning(
    now: DateTime<Utc>,
    license_expires: DateTime<Utc>,
    trial: bool,
) -> Option<String> {
    let left = license_expires - now;
    let days_left = match left.num_nanoseconds() {
        Some(ns) => ns as f64 / 86_400e9,
        None => left.num_milliseconds() as f64 / 86_400e3,
    };
    // Float to int saturates, and only 1..30 matters.
    let days = days_left.ceil() as i64;
    let threshold = if trial { 7 } else { 30 };
    (days > 0 && days < threshold).then(|| messages::expires_in(days))
}
