//! The claims of a license JWT (docs/rules/licenses-and-entitlements.md, "Claims").

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A license's claims, as signed. Times are NumericDates (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LicenseClaims {
    /// License id (a UUID as text; a random one is used when absent or invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Issuer; not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Issued at: ranks usage-period features (newest wins). Required.
    #[serde(
        default,
        with = "chrono::serde::ts_seconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<DateTime<Utc>>,
    /// Not before: start of validity and of the usage period. Required.
    #[serde(
        default,
        with = "chrono::serde::ts_seconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<DateTime<Utc>>,
    /// Hard end (end of the grace period, end of the usage period). Required.
    #[serde(
        default,
        with = "chrono::serde::ts_seconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub exp: Option<DateTime<Utc>>,
    /// End of the paid term = start of the grace period. Required.
    #[serde(
        default,
        with = "chrono::serde::ts_seconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub license_expires: Option<DateTime<Utc>>,
    /// Account type, e.g. `salesforce`.
    #[serde(default)]
    pub account_type: String,
    /// Account id.
    #[serde(default)]
    pub account_id: String,
    /// When non-empty, the deployments the license may be used on.
    #[serde(default)]
    pub deployment_ids: Vec<String>,
    /// A trial license.
    #[serde(default)]
    pub trial: bool,
    /// `""`, `enterprise` or `premium` (case-insensitive).
    #[serde(default)]
    pub feature_set: String,
    /// Deprecated: with an empty feature set, means enterprise.
    #[serde(default)]
    pub all_features: bool,
    /// Must be 3.
    #[serde(default)]
    pub version: u64,
    /// À-la-carte features and limits by name.
    #[serde(default)]
    pub features: BTreeMap<String, i64>,
    /// Whether the deployment must send telemetry.
    #[serde(default)]
    pub require_telemetry: bool,
}

/// The feature set a license grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureSet {
    /// No set; only explicit features.
    None,
    /// Every feature but multiple organizations and custom roles.
    Enterprise,
    /// Every feature.
    Premium,
}

impl LicenseClaims {
    /// The feature set, with the deprecated `all_features` read as enterprise.
    pub fn feature_set(&self) -> FeatureSet {
        match self.feature_set.to_ascii_lowercase().as_str() {
            "enterprise" => FeatureSet::Enterprise,
            "premium" => FeatureSet::Premium,
            "" if self.all_features => FeatureSet::Enterprise,
            _ => FeatureSet::None,
        }
    }
}
