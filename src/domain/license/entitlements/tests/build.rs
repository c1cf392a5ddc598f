//! The build-time managed-agent check (docs/rules/licenses-and-entitlements.md, "The build check").

use super::super::{ManagedAgentBuildCheck, ManagedAgentBuildDenial, managed_agent_build_check};
use super::*;

fn check(licenses: Vec<License>, count: i64) -> Result<(), ManagedAgentBuildDenial> {
    let result = entitlements(&stored(licenses), &args(), count);
    managed_agent_build_check(&result).decide(count)
}

#[test]
fn unlicensed_builds_are_always_permitted() {
    let result = entitlements(&[], &args(), 0);
    let check = managed_agent_build_check(&result);
    assert_eq!(check, ManagedAgentBuildCheck::Permitted);
    assert_eq!(check.period_to_count(), None);
    assert_eq!(check.decide(1_000_000), Ok(()));
}

#[test]
fn premium_one_agent() {
    let premium = || {
        license()
            .premium()
            .user_limit(10)
            .managed_agents(1, 1)
            .valid()
    };
    let result = entitlements(&stored(vec![premium()]), &args(), 0);
    let check = managed_agent_build_check(&result);
    assert_eq!(
        check.period_to_count(),
        result.features[&FeatureName::ManagedAgentLimit].usage_period
    );
    // The first build is fine, the second is refused.
    assert_eq!(check.decide(0), Ok(()));
    assert_eq!(check.decide(1), Err(ManagedAgentBuildDenial::LimitBreached));
    assert_eq!(
        ManagedAgentBuildDenial::LimitBreached.to_string(),
        "You have breached the managed agent limit in your license. Please contact sales to continue using managed agents."
    );
}

#[test]
fn licensed_without_managed_agents_is_refused() {
    let not_entitled = Err(ManagedAgentBuildDenial::NotEntitled);
    assert_eq!(check(vec![license().enterprise().valid()], 0), not_entitled);
    assert_eq!(
        check(vec![license().enterprise().managed_agents(0, 0).valid()], 0),
        not_entitled
    );
    assert_eq!(
        ManagedAgentBuildDenial::NotEntitled.to_string(),
        "Your license is not entitled to managed agents. Please contact sales to continue using managed agents."
    );
    // In the grace period the limit still applies.
    assert_eq!(
        check(
            vec![license().enterprise().managed_agents(5, 10).grace()],
            9
        ),
        Ok(())
    );
    // Only the hard limit blocks, not the soft one.
    assert_eq!(
        check(
            vec![license().enterprise().managed_agents(5, 10).valid()],
            7
        ),
        Ok(())
    );
}
