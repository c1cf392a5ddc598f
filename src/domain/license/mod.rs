//! Licenses and entitlements (Coder PRs #18876 and #18937): Ed25519-signed JWT licenses,
//! the pure computation of what the deployment is entitled to, and the managed-agent usage
//! limit that builds are checked against.

mod claims;
pub mod entitlements;
pub mod service;
pub mod store;
pub mod verify;

pub use claims::{FeatureSet, LicenseClaims};
pub use entitlements::{
    Draft, Entitlement, Entitlements, EntitlementsArgs, Feature, FeatureName, LicenseInput,
    LicenseValidity, ManagedAgentBuildCheck, ManagedAgentBuildDenial, UsagePeriod,
    managed_agent_build_check,
};
pub use verify::{
    KeysError, LICENSE_VERSION, LicenseError, LicenseKeys, decode_unverified, generate_keypair,
    sign_license, sign_license_payload, verify, verify_ignoring_nbf,
};
