//! The exact warning and error texts of Coder's PR-era entitlements (docs/rules/licenses-and-
//! entitlements.md), kept in one place because clients and tests match on them verbatim.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::feature_names::FeatureName;

/// Error: more than one replica, licensed but not entitled to high availability.
pub const HA_NOT_ENTITLED: &str = "You have multiple replicas but your license is not entitled to high availability. You will be unable to connect to workspaces.";
/// Error: more than one replica without any license.
pub const HA_UNLICENSED: &str = "You have multiple replicas but high availability is an Enterprise feature. You will be unable to connect to workspaces.";
/// Warning: more than one replica with high availability in its grace period.
pub const HA_GRACE: &str = "You have multiple replicas but your license for high availability is expired. Reduce to one replica or workspace connections will stop working.";

/// Error: several external auth providers, licensed but not entitled.
pub const EXTERNAL_AUTH_NOT_ENTITLED: &str =
    "You have multiple External Auth Providers configured but your license is limited at one.";
/// Error: several external auth providers without any license.
pub const EXTERNAL_AUTH_UNLICENSED: &str = "You have multiple External Auth Providers configured but this is an Enterprise feature. Reduce to one.";
/// Warning: several external auth providers with the feature in its grace period.
pub const EXTERNAL_AUTH_GRACE: &str = "You have multiple External Auth Providers configured but your license is expired. Reduce to one.";

/// Warning: managed-agent builds in the period reached the hard limit.
pub const MANAGED_AGENT_LIMIT_BREACHED: &str = "You have built more workspaces with managed agents than your license allows. Further managed agent builds will be blocked.";
/// Warning: managed-agent builds in the period reached the early-warning threshold.
pub const MANAGED_AGENT_LIMIT_APPROACHING: &str = "You are approaching the managed agent limit in your license. Please refer to the Deployment Licenses page for more information.";

/// Build denial: licensed, but managed agents are not entitled (or disabled).
pub const BUILD_NOT_ENTITLED: &str = "Your license is not entitled to managed agents. Please contact sales to continue using managed agents.";
/// Build denial: the hard limit is reached.
pub const BUILD_LIMIT_BREACHED: &str = "You have breached the managed agent limit in your license. Please contact sales to continue using managed agents.";

/// What Coder reports when no count was supplied although the feature needed one.
pub const MANAGED_AGENT_COUNT_MISSING: &str = "dev error: managed agent count function is not set";

/// Error: the managed agent limit may only be set through its soft and hard pseudo-features.
pub fn forbidden_feature(name: &str) -> String {
    format!("Feature {name} is forbidden to be set in a license.")
}

/// Error: the license did not verify (or lacks a required claim).
pub fn invalid_license(uuid: Uuid, err: &str) -> String {
    format!("Invalid license ({uuid}) parsing claims: {err}")
}

/// Error: `nbf` after `exp`. Coder's text says `license_expires` but prints `exp`; times use
/// Go's default `time.Time` format.
pub fn not_before_after_expiry(uuid: Uuid, nbf: DateTime<Utc>, exp: DateTime<Utc>) -> String {
    format!(
        "Invalid license ({uuid}): not_before ({}) is after license_expires ({})",
        go_time(nbf),
        go_time(exp)
    )
}

/// Error: only one of the soft and hard managed-agent limits is set.
pub fn missing_soft_or_hard(uuid: Uuid, name: FeatureName) -> String {
    format!("Invalid license ({uuid}): feature {name} has missing soft or hard limit values")
}

/// Error: hard managed-agent limit below the soft one.
pub fn hard_below_soft(uuid: Uuid, name: FeatureName) -> String {
    format!("Invalid license ({uuid}): feature {name} has a hard limit less than the soft limit")
}

/// Error: a negative managed-agent limit (unreachable: negative values are dropped earlier,
/// kept for fidelity).
pub fn negative_limit(uuid: Uuid, name: FeatureName) -> String {
    format!("Invalid license ({uuid}): feature {name} has a soft or hard limit less than 0")
}

/// Error: the managed-agent count could not be read.
pub fn managed_agent_count_failed(err: &str) -> String {
    format!("Error getting managed agent count: {err}")
}

/// Warning: the license's paid term ends in `days` days (1 to 29, or 1 to 6 for a trial).
pub fn expires_in(days: i64) -> String {
    let unit = if days > 1 { "days" } else { "day" };
    format!("Your license expires in {days} {unit}.")
}

/// Warning: more active users than the license allows.
pub fn users_over_limit(active: i64, limit: i64) -> String {
    format!("Your deployment has {active} active users but is only licensed for {limit}.")
}

/// Warning: the user limit comes from a license in its grace period.
pub fn user_limit_expired(active: i64, limit: i64) -> String {
    format!(
        "Your deployment has {active} active users but the license with the limit {limit} is expired."
    )
}

/// Warning: a feature is switched on but not licensed.
pub fn feature_not_entitled(name: FeatureName) -> String {
    format!(
        "{} is enabled but your license is not entitled to this feature.",
        name.humanize()
    )
}

/// Warning: a feature is switched on and its license is in the grace period.
pub fn feature_expired(name: FeatureName) -> String {
    format!(
        "{} is enabled but your license for this feature is expired.",
        name.humanize()
    )
}

/// Go's `time.Time.String()` for a UTC time: `2025-07-01 00:00:00 +0000 UTC`, fractional
/// seconds only when non-zero.
fn go_time(t: DateTime<Utc>) -> String {
    let fraction = t.format("%.9f").to_string();
    let fraction = fraction.trim_end_matches('0').trim_end_matches('.');
    format!("{}{fraction} +0000 UTC", t.format("%Y-%m-%d %H:%M:%S"))
}
