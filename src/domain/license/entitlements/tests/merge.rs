//! docs/rules/licenses-and-entitlements.md (Coder's pure `TestLicenseEntitlements`): how several
//! licenses merge, and the managed-agent warnings.

use super::super::messages;
use super::super::{Entitlement, FeatureName};
use super::*;

fn users(active: i64) -> EntitlementsArgs {
    EntitlementsArgs {
        active_user_count: active,
        ..args()
    }
}

#[test]
fn user_limits_merge() {
    run(vec![
        Case {
            name: "NoLicenses",
            licenses: vec![],
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert!(!result.has_license);
                assert!(result.errors.is_empty());
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "MixedUsedCounts",
            licenses: stored(vec![
                license().legacy().user_limit(100).valid(),
                license().enterprise().user_limit(500).valid(),
            ]),
            args: users(50),
            managed_agent_count: 0,
            check: |result| {
                let user_limit = &result.features[&FeatureName::UserLimit];
                assert_eq!(user_limit.entitlement, Entitlement::Entitled);
                assert_eq!(user_limit.limit, Some(500));
                assert_eq!(user_limit.actual, Some(50));
                assert!(result.errors.is_empty());
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "MixedUsedCountsWithExpired",
            licenses: stored(vec![
                license().enterprise().user_limit(500).expired(),
                license().enterprise().user_limit(100).valid(),
            ]),
            args: users(200),
            managed_agent_count: 0,
            check: |result| {
                let user_limit = &result.features[&FeatureName::UserLimit];
                assert_eq!(user_limit.limit, Some(100));
                assert_eq!(user_limit.actual, Some(200));
                assert_eq!(
                    result.errors,
                    vec![format!(
                        "Invalid license ({}) parsing claims: token is expired",
                        uuid_of(1)
                    )]
                );
                assert_eq!(
                    result.warnings,
                    vec!["Your deployment has 200 active users but is only licensed for 100."]
                );
            },
        },
        Case {
            name: "MixedUsedCountsWithGrace: a grace limit that covers usage wins",
            licenses: stored(vec![
                license().enterprise().user_limit(500).grace(),
                license().enterprise().user_limit(100).valid(),
            ]),
            args: users(200),
            managed_agent_count: 0,
            check: |result| {
                let user_limit = &result.features[&FeatureName::UserLimit];
                assert_eq!(user_limit.limit, Some(500));
                assert_eq!(user_limit.actual, Some(200));
                assert_eq!(user_limit.entitlement, Entitlement::GracePeriod);
                assert_eq!(
                    result.warnings,
                    vec![
                        "Your deployment has 200 active users but the license with the limit 500 is expired."
                    ]
                );
                assert!(result.errors.is_empty());
            },
        },
        Case {
            name: "LegacyLicense",
            licenses: stored(vec![license().legacy().user_limit(100).valid()]),
            args: users(50),
            managed_agent_count: 0,
            check: |result| {
                for name in FeatureName::in_set(crate::domain::license::FeatureSet::Enterprise) {
                    let feature = &result.features[&name];
                    assert_eq!(feature.entitlement, Entitlement::Entitled, "{name}");
                    assert_eq!(feature.enabled, name.always_enable(), "{name}");
                }
                assert_eq!(result.features[&FeatureName::UserLimit].limit, Some(100));
                assert!(result.warnings.is_empty());
            },
        },
    ]);
}

#[test]
fn multiple_organizations_need_premium() {
    run(vec![
        Case {
            name: "Enterprise",
            licenses: stored(vec![license().enterprise().user_limit(100).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                for name in [FeatureName::MultipleOrganizations, FeatureName::CustomRoles] {
                    let feature = &result.features[&name];
                    assert_eq!(feature.entitlement, Entitlement::NotEntitled, "{name}");
                    assert!(!feature.enabled, "{name}");
                }
            },
        },
        Case {
            name: "Premium",
            licenses: stored(vec![license().premium().user_limit(100).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                for name in [FeatureName::MultipleOrganizations, FeatureName::CustomRoles] {
                    let feature = &result.features[&name];
                    assert_eq!(feature.entitlement, Entitlement::Entitled, "{name}");
                    assert!(feature.enabled, "{name}");
                }
            },
        },
        Case {
            name: "CurrentAndFuture: a renewal that has not started is ignored",
            licenses: stored(vec![
                license().enterprise().user_limit(100).valid(),
                license().premium().user_limit(200).future_term(),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(result.features[&FeatureName::UserLimit].limit, Some(100));
                assert_eq!(
                    result.features[&FeatureName::MultipleOrganizations].entitlement,
                    Entitlement::NotEntitled
                );
                assert!(result.errors.is_empty());
                assert!(result.warnings.is_empty());
            },
        },
    ]);
}

#[test]
fn managed_agent_limits_merge() {
    run(vec![
        Case {
            name: "ManagedAgentLimit",
            licenses: stored(vec![
                license()
                    .enterprise()
                    .user_limit(100)
                    .managed_agents(100, 200)
                    .valid(),
            ]),
            args: users(10),
            managed_agent_count: 174,
            check: |result| {
                let managed = &result.features[&FeatureName::ManagedAgentLimit];
                assert_eq!(managed.entitlement, Entitlement::Entitled);
                assert!(managed.enabled);
                assert_eq!(managed.soft_limit, Some(100));
                assert_eq!(managed.limit, Some(200));
                assert_eq!(managed.actual, Some(174));
                assert!(result.errors.is_empty());
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "ManagedAgentLimitWithGrace: the newer license wins though it is in grace",
            licenses: stored(vec![
                license()
                    .enterprise()
                    .user_limit(100)
                    .issued_at(now() - hours(2))
                    .valid(),
                license()
                    .enterprise()
                    .user_limit(100)
                    .managed_agents(100, 100)
                    .issued_at(now() - hours(1))
                    .grace(),
            ]),
            args: users(10),
            managed_agent_count: 74,
            check: |result| {
                let managed = &result.features[&FeatureName::ManagedAgentLimit];
                assert_eq!(managed.entitlement, Entitlement::GracePeriod);
                assert!(managed.enabled);
                assert_eq!(managed.soft_limit, Some(100));
                assert_eq!(managed.limit, Some(100));
                assert_eq!(managed.actual, Some(74));
                assert_eq!(
                    result.features[&FeatureName::UserLimit].entitlement,
                    Entitlement::Entitled
                );
                assert!(result.errors.is_empty());
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "ManagedAgentLimitWithExpired: nothing counted",
            licenses: stored(vec![
                license()
                    .enterprise()
                    .user_limit(100)
                    .issued_at(now() - hours(2))
                    .valid(),
                license()
                    .enterprise()
                    .user_limit(100)
                    .managed_agents(100, 200)
                    .issued_at(now() - hours(1))
                    .expired(),
            ]),
            args: users(10),
            managed_agent_count: 10,
            check: |result| {
                let managed = &result.features[&FeatureName::ManagedAgentLimit];
                assert_eq!(managed.entitlement, Entitlement::NotEntitled);
                assert!(!managed.enabled);
                assert_eq!(managed.soft_limit, None);
                assert_eq!(managed.limit, None);
                assert_eq!(managed.actual, None);
                assert_eq!(managed.usage_period, None);
                assert_eq!(
                    result.errors,
                    vec![format!(
                        "Invalid license ({}) parsing claims: token is expired",
                        uuid_of(2)
                    )]
                );
                assert!(result.warnings.is_empty());
            },
        },
    ]);
}

#[test]
fn managed_agent_warnings() {
    let limit = |soft, hard| {
        stored(vec![
            license().enterprise().managed_agents(soft, hard).valid(),
        ])
    };
    let warn = |soft, hard, count| {
        let result = entitlements(&limit(soft, hard), &args(), count);
        assert!(result.errors.is_empty());
        result.warnings
    };
    // Approaching/Different: 100 + 75% of 100.
    assert_eq!(
        warn(100, 200, 175),
        vec![messages::MANAGED_AGENT_LIMIT_APPROACHING]
    );
    assert!(warn(100, 200, 174).is_empty());
    // Approaching/Equal: 75% of 100.
    assert_eq!(
        warn(100, 100, 75),
        vec![messages::MANAGED_AGENT_LIMIT_APPROACHING]
    );
    assert!(warn(100, 100, 74).is_empty());
    // Breached: reaching the hard limit.
    assert_eq!(
        warn(100, 200, 200),
        vec![messages::MANAGED_AGENT_LIMIT_BREACHED]
    );
    assert_eq!(
        warn(100, 200, 199),
        vec![messages::MANAGED_AGENT_LIMIT_APPROACHING]
    );
    // Over the limit: still reported, and `actual` is kept.
    let over = entitlements(&limit(100, 200), &args(), 250);
    assert_eq!(over.warnings, vec![messages::MANAGED_AGENT_LIMIT_BREACHED]);
    assert_eq!(
        over.features[&FeatureName::ManagedAgentLimit].actual,
        Some(250)
    );
    // The exact texts.
    assert_eq!(
        messages::MANAGED_AGENT_LIMIT_APPROACHING,
        "You are approaching the managed agent limit in your license. Please refer to the Deployment Licenses page for more information."
    );
    assert_eq!(
        messages::MANAGED_AGENT_LIMIT_BREACHED,
        "You have built more workspaces with managed agents than your license allows. Further managed agent builds will be blocked."
    );
}

#[test]
fn warnings_keep_coders_order() {
    // HA, external auth, managed agents, user limit, feature in use; expiry first (per
    // license, during the merge).
    let licenses = stored(vec![
        license()
            .user_limit(1)
            .managed_agents(10, 10)
            .feature("high_availability", 1)
            .feature("multiple_external_auth", 1)
            .feature("audit_log", 1)
            .not_before(now() - days(2))
            .expires(now() - minutes(1), now() + days(1)),
        license().expires(now() + days(3), now() + days(3)),
    ]);
    let args = EntitlementsArgs {
        active_user_count: 5,
        replica_count: 2,
        external_auth_count: 2,
        enablements: enabled(&[FeatureName::AuditLog, FeatureName::Scim]),
        ..args()
    };
    let result = entitlements(&licenses, &args, 10);
    assert_eq!(
        result.warnings,
        vec![
            "Your license expires in 3 days.".to_owned(),
            messages::HA_GRACE.to_owned(),
            messages::EXTERNAL_AUTH_GRACE.to_owned(),
            messages::MANAGED_AGENT_LIMIT_BREACHED.to_owned(),
            "Your deployment has 5 active users but is only licensed for 1.".to_owned(),
            "Audit Log is enabled but your license for this feature is expired.".to_owned(),
            "SCIM is enabled but your license is not entitled to this feature.".to_owned(),
        ]
    );
    assert!(result.errors.is_empty());
}
