//! What the deployment is entitled to, computed purely from verified licenses and a few
//! deployment facts (Coder PRs #18876 and #18937; docs/rules/licenses-and-entitlements.md):
//! feature names and sets, the merge rule between licenses, the warnings and errors with
//! Coder's exact wording, and the managed-agent check builds go through.
//!
//! No database and no clock here: callers verify the JWTs, count users and managed-agent
//! builds, and pass `now`.

mod build_check;
mod compute;
mod feature_grant;
mod feature_names;
mod finish;
mod messages;

#[cfg(test)]
mod tests;

pub use build_check::{ManagedAgentBuildCheck, ManagedAgentBuildDenial, managed_agent_build_check};
pub use compute::{Draft, EntitlementsArgs, LicenseInput, LicenseValidity, compute};
pub use feature_grant::{Entitlements, Feature, UsagePeriod};
pub use feature_names::{Entitlement, FeatureName};
pub use finish::managed_agent_warning_threshold;
