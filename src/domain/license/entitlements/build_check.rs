//! The managed-agent check a build of an AI-task template version goes through when a license
//! is installed (see docs/rules/licenses-and-entitlements.md). The caller decides whether the
//! template version has an AI task, counts builds in the period asked for, and wraps a denial
//! as `Build is not permitted: <message>` (HTTP 403).

use super::feature_grant::{Entitlements, UsagePeriod};
use super::feature_names::FeatureName;
use super::messages;

/// Why a managed-agent build is refused; `Display` is Coder's exact message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ManagedAgentBuildDenial {
    /// Licensed, but the feature is absent, disabled, or has no limit or period.
    #[error("{}", messages::BUILD_NOT_ENTITLED)]
    NotEntitled,
    /// The builds in the usage period reached the hard limit.
    #[error("{}", messages::BUILD_LIMIT_BREACHED)]
    LimitBreached,
}

/// What checking one managed-agent build takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedAgentBuildCheck {
    /// No license is installed: managed agents are free and unlimited.
    Permitted,
    /// Refused without counting.
    Denied(ManagedAgentBuildDenial),
    /// Count the managed-agent builds created in `period`, then [`decide`](Self::decide).
    CountBuilds {
        /// The winning license's usage period.
        period: UsagePeriod,
        /// The hard limit the count is compared with.
        limit: i64,
    },
}

/// The first step of the build check: whether a count is needed, and over which period.
///
/// Use: `let check = managed_agent_build_check(&ents);` then, if
/// `check.period_to_count()` is `Some(p)`, count builds in `p` (otherwise pass 0), and
/// `check.decide(count)?`.
pub fn managed_agent_build_check(entitlements: &Entitlements) -> ManagedAgentBuildCheck {
    if !entitlements.has_license {
        return ManagedAgentBuildCheck::Permitted;
    }
    let Some(feature) = entitlements.features.get(&FeatureName::ManagedAgentLimit) else {
        return ManagedAgentBuildCheck::Denied(ManagedAgentBuildDenial::NotEntitled);
    };
    match (feature.enabled, feature.limit, feature.usage_period) {
        (true, Some(limit), Some(period)) => ManagedAgentBuildCheck::CountBuilds { period, limit },
        _ => ManagedAgentBuildCheck::Denied(ManagedAgentBuildDenial::NotEntitled),
    }
}

impl ManagedAgentBuildCheck {
    /// The period to count managed-agent builds in, when the decision depends on it.
    pub fn period_to_count(&self) -> Option<UsagePeriod> {
        match self {
            ManagedAgentBuildCheck::CountBuilds { period, .. } => Some(*period),
            _ => None,
        }
    }

    /// The decision. `count` is the number of managed-agent builds in
    /// [`period_to_count`](Self::period_to_count); it is ignored when no count was asked for.
    /// Only the hard limit blocks: reaching it (`count >= limit`) refuses the build.
    pub fn decide(self, count: i64) -> Result<(), ManagedAgentBuildDenial> {
        match self {
            ManagedAgentBuildCheck::Permitted => Ok(()),
            ManagedAgentBuildCheck::Denied(denial) => Err(denial),
            ManagedAgentBuildCheck::CountBuilds { limit, .. } if count >= limit => {
                Err(ManagedAgentBuildDenial::LimitBreached)
            }
            ManagedAgentBuildCheck::CountBuilds { .. } => Ok(()),
        }
    }
}
