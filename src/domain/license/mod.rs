//! Licenses and entitlements (Coder PRs #18876 and #18937): Ed25519-signed JWT licenses,
//! the pure computation of what the deployment is entitled to, and the managed-agent usage
//! limit that builds are checked against.

mod claims;
pub mod entitlements;

pub use claims::{FeatureSet, LicenseClaims};
pub use entitlements::{
    Draft, Entitlement, Entitlements, EntitlementsArgs, Feature, FeatureName, LicenseInput,
    LicenseValidity, ManagedAgentBuildCheck, ManagedAgentBuildDenial, UsagePeriod,
    managed_agent_build_check,
};
