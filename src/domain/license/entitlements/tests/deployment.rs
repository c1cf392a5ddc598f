//! Coder's DB-backed `TestEntitlements` (docs/rules/licenses-and-entitlements.md), with the DB
//! replaced by its inputs: the active user count and the managed-agent count.

use super::super::messages;
use super::super::{Entitlement, Feature, FeatureName, UsagePeriod};
use super::*;

#[test]
fn unlicensed_deployments() {
    run(vec![
        Case {
            name: "1 no licenses, everything enabled by config",
            licenses: vec![],
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert!(!result.has_license);
                assert!(!result.trial);
                assert!(all_not_entitled(result));
                assert!(result.warnings.is_empty());
                assert!(result.errors.is_empty());
                assert_eq!(result.refreshed_at, now());
            },
        },
        Case {
            name: "2 no licenses: the user count is still shown",
            licenses: vec![],
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(
                    result.features[&FeatureName::UserLimit],
                    Feature {
                        actual: Some(0),
                        ..Feature::not_entitled(false)
                    }
                );
            },
        },
        Case {
            name: "19 no licenses, two replicas",
            licenses: vec![],
            args: EntitlementsArgs {
                replica_count: 2,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(result.errors, vec![messages::HA_UNLICENSED]);
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "22 no licenses, two external auth providers",
            licenses: vec![],
            args: EntitlementsArgs {
                external_auth_count: 2,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(result.errors, vec![messages::EXTERNAL_AUTH_UNLICENSED]);
                assert!(result.warnings.is_empty());
            },
        },
    ]);
}

#[test]
fn single_license_features() {
    run(vec![
        Case {
            name: "3 a license without features grants nothing",
            licenses: stored(vec![license()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert!(result.has_license);
                assert!(all_not_entitled(result));
                // Coder's default license ends its term in an hour.
                assert_eq!(result.warnings, vec!["Your license expires in 1 day."]);
                assert!(result.errors.is_empty());
            },
        },
        Case {
            name: "4 every feature set to 1 (managed agents 100/200)",
            licenses: stored(vec![every_feature().valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                for (name, feature) in &result.features {
                    assert_eq!(feature.entitlement, Entitlement::Entitled, "{name}");
                    let enabled = name.always_enable() || name.is_limit();
                    assert_eq!(feature.enabled, enabled, "{name}");
                }
                assert!(result.warnings.is_empty());
                assert!(result.errors.is_empty());
            },
        },
        Case {
            name: "5 grace period: user limit and audit log expired",
            licenses: stored(vec![
                license()
                    .user_limit(100)
                    .feature("audit_log", 1)
                    .expires(now() - hours(1), now() + hours(1)),
            ]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                let audit_log = &result.features[&FeatureName::AuditLog];
                assert_eq!(audit_log.entitlement, Entitlement::GracePeriod);
                assert!(audit_log.enabled);
                let mut expected = vec![
                    "Your deployment has 0 active users but the license with the limit 100 is expired."
                        .to_owned(),
                    "Audit Log is enabled but your license for this feature is expired.".to_owned(),
                ];
                expected.extend(not_entitled_warnings(&[FeatureName::AuditLog]));
                assert_eq!(result.warnings, expected);
                assert!(result.errors.is_empty());
            },
        },
        Case {
            name: "10 an empty license with everything enabled warns per feature",
            licenses: stored(vec![license().valid()]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert!(all_not_entitled(result));
                assert_eq!(result.warnings, not_entitled_warnings(&[]));
                assert!(
                    result.warnings.contains(
                        &"Template RBAC is enabled but your license is not entitled to this feature."
                            .to_owned()
                    )
                );
                assert!(result.errors.is_empty());
            },
        },
    ]);
}

/// A license setting every feature to 1, except managed agents which must go through the
/// soft/hard pseudo-features.
fn every_feature() -> License {
    FeatureName::ALL
        .into_iter()
        .filter(|name| *name != FeatureName::ManagedAgentLimit)
        .fold(license(), |license, name| license.feature(name.as_str(), 1))
        .managed_agents(100, 200)
}

#[test]
fn expiry_warnings() {
    let warnings = |license: License| entitlements(&stored(vec![license]), &args(), 0).warnings;
    // 6, 7: the paid term ends in 2 days / 1 day.
    assert_eq!(
        warnings(license().expires(now() + days(2), now() + days(5))),
        vec!["Your license expires in 2 days."]
    );
    assert_eq!(
        warnings(license().expires(now() + days(1), now() + days(5))),
        vec!["Your license expires in 1 day."]
    );
    // Rounded up: 25 hours is 2 days.
    assert_eq!(
        warnings(license().expires(now() + hours(25), now() + days(5))),
        vec!["Your license expires in 2 days."]
    );
    // 8: a trial warns from 7 days on only.
    let trial = |left| license().trial().expires(now() + left, now() + days(60));
    assert!(warnings(trial(days(8))).is_empty());
    assert!(warnings(trial(days(7))).is_empty());
    assert_eq!(
        warnings(trial(days(6))),
        vec!["Your license expires in 6 days."]
    );
    // 9: others from 30 days on.
    let paid = |left| license().expires(now() + left, now() + days(60));
    assert!(warnings(paid(days(30))).is_empty());
    assert_eq!(
        warnings(paid(days(29))),
        vec!["Your license expires in 29 days."]
    );
    // In the grace period there is nothing left to count down.
    assert!(warnings(license().grace()).is_empty());
    // PR-era: one warning per license, duplicates included.
    assert_eq!(
        entitlements(&stored(vec![paid(days(2)), paid(days(2))]), &args(), 0).warnings,
        vec![
            "Your license expires in 2 days.",
            "Your license expires in 2 days."
        ]
    );
}

#[test]
fn user_limits_and_trials() {
    run(vec![
        Case {
            name: "11 more active users than licensed",
            licenses: stored(vec![license().user_limit(1).valid()]),
            args: EntitlementsArgs {
                active_user_count: 2,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(
                    result.warnings,
                    vec!["Your deployment has 2 active users but is only licensed for 1."]
                );
                let user_limit = &result.features[&FeatureName::UserLimit];
                assert_eq!(user_limit.limit, Some(1));
                assert_eq!(user_limit.actual, Some(2));
            },
        },
        Case {
            name: "12 two user limits, only dormant users",
            licenses: stored(vec![
                license().user_limit(10).valid(),
                license().user_limit(1).valid(),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert!(result.warnings.is_empty());
                assert_eq!(result.features[&FeatureName::UserLimit].limit, Some(10));
            },
        },
        Case {
            name: "13 trial then non-trial: the last decides",
            licenses: stored(vec![license().trial().valid(), license().valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| assert!(!result.trial),
        },
        Case {
            name: "13 non-trial then trial",
            licenses: stored(vec![license().valid(), license().trial().valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| assert!(result.trial),
        },
        Case {
            name: "13 id order, not slice order, decides",
            licenses: vec![
                license().valid().stored(2),
                license().trial().valid().stored(1),
            ],
            args: args(),
            managed_agent_count: 0,
            check: |result| assert!(!result.trial),
        },
        Case {
            name: "8 a trial license",
            licenses: stored(vec![
                license().trial().expires(now() + days(8), now() + days(60)),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert!(result.trial);
                assert!(result.warnings.is_empty());
            },
        },
    ]);
}

#[test]
fn feature_sets() {
    run(vec![
        Case {
            name: "14 enterprise",
            licenses: stored(vec![license().enterprise().valid()]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                for (name, feature) in &result.features {
                    let entitled = name.is_enterprise() && !name.is_limit();
                    let expected = if entitled {
                        Entitlement::Entitled
                    } else {
                        Entitlement::NotEntitled
                    };
                    assert_eq!(feature.entitlement, expected, "{name}");
                    assert_eq!(feature.enabled, entitled, "{name}");
                }
                assert_eq!(
                    result.warnings,
                    vec![
                        "Custom Roles is enabled but your license is not entitled to this feature.",
                        "Multiple Organizations is enabled but your license is not entitled to this feature.",
                    ]
                );
            },
        },
        Case {
            name: "15 premium with one user",
            licenses: stored(vec![license().premium().user_limit(1).valid()]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                for (name, feature) in &result.features {
                    assert_eq!(feature.entitlement, Entitlement::Entitled, "{name}");
                    assert!(feature.enabled, "{name}");
                }
                let managed = &result.features[&FeatureName::ManagedAgentLimit];
                assert_eq!(managed.soft_limit, Some(800));
                assert_eq!(managed.limit, Some(1000));
                assert_eq!(managed.actual, Some(0));
                assert_eq!(
                    managed.usage_period,
                    Some(UsagePeriod {
                        issued_at: Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap(),
                        start: now() - minutes(1),
                        end: now() + days(60),
                    })
                );
                assert!(result.warnings.is_empty());
                assert!(result.errors.is_empty());
            },
        },
        Case {
            name: "16 an empty feature set grants nothing",
            licenses: stored(vec![license().feature_set("").valid()]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert!(all_not_entitled(result));
                assert_eq!(result.warnings, not_entitled_warnings(&[]));
            },
        },
        Case {
            name: "17 legacy all_features is enterprise",
            licenses: stored(vec![license().legacy().valid()]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                for (name, feature) in &result.features {
                    let entitled =
                        name.in_feature_set(crate::domain::license::FeatureSet::Enterprise);
                    assert_eq!(feature.entitlement.is_entitled(), entitled, "{name}");
                    assert_eq!(feature.enabled, entitled, "{name}");
                }
            },
        },
        Case {
            name: "17 legacy with nothing enabled by config: only always-enabled features are on",
            licenses: stored(vec![license().legacy().valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                for (name, feature) in &result.features {
                    let entitled = name.is_enterprise() && !name.is_limit();
                    assert_eq!(feature.entitlement.is_entitled(), entitled, "{name}");
                    assert_eq!(feature.enabled, entitled && name.always_enable(), "{name}");
                }
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "18 legacy in its grace period",
            licenses: stored(vec![license().legacy().grace()]),
            args: EntitlementsArgs {
                enablements: all_enabled(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                let mut expected = Vec::new();
                for name in FeatureName::ALL {
                    let feature = &result.features[&name];
                    if name.is_enterprise() && !name.is_limit() {
                        assert_eq!(feature.entitlement, Entitlement::GracePeriod, "{name}");
                        assert!(feature.enabled, "{name}");
                        if !has_own_warning(name) {
                            expected.push(messages::feature_expired(name));
                        }
                    } else if !has_own_warning(name) {
                        expected.push(messages::feature_not_entitled(name));
                    }
                }
                assert_eq!(result.warnings, expected);
            },
        },
    ]);
}

#[test]
fn replicas_and_external_auth() {
    let ha = enabled(&[FeatureName::HighAvailability]);
    run(vec![
        Case {
            name: "20 licensed without HA, two replicas",
            licenses: stored(vec![license().feature("audit_log", 1).valid()]),
            args: EntitlementsArgs {
                replica_count: 2,
                enablements: ha.clone(),
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(result.errors, vec![messages::HA_NOT_ENTITLED]);
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "21 HA in its grace period, two replicas",
            licenses: stored(vec![license().feature("high_availability", 1).grace()]),
            args: EntitlementsArgs {
                replica_count: 2,
                enablements: ha,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert!(result.errors.is_empty());
                assert_eq!(result.warnings, vec![messages::HA_GRACE]);
            },
        },
        Case {
            name: "23 licensed without multiple external auth, two providers",
            licenses: stored(vec![license().feature("audit_log", 1).valid()]),
            args: EntitlementsArgs {
                external_auth_count: 2,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(result.errors, vec![messages::EXTERNAL_AUTH_NOT_ENTITLED]);
                assert!(result.warnings.is_empty());
            },
        },
        Case {
            name: "24 multiple external auth in its grace period, two providers",
            licenses: stored(vec![license().feature("multiple_external_auth", 1).grace()]),
            args: EntitlementsArgs {
                external_auth_count: 2,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert!(result.errors.is_empty());
                assert_eq!(result.warnings, vec![messages::EXTERNAL_AUTH_GRACE]);
            },
        },
        Case {
            name: "HA and external auth together keep Coder's order",
            licenses: vec![],
            args: EntitlementsArgs {
                replica_count: 3,
                external_auth_count: 3,
                ..args()
            },
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(
                    result.errors,
                    vec![messages::HA_UNLICENSED, messages::EXTERNAL_AUTH_UNLICENSED]
                );
            },
        },
    ]);
}

/// 25: the count is asked for over the winning license's period and reported as `actual`.
#[test]
fn managed_agent_count_is_read_over_the_license_period() {
    let licenses = stored(vec![
        license()
            .premium()
            .user_limit(100)
            .managed_agents(100, 200)
            .issued_at(now() - hours(2))
            .not_before(now() - hours(1))
            .expires(now() + days(60), now() + days(90)),
    ]);
    let args = EntitlementsArgs {
        enablements: all_enabled(),
        ..args()
    };
    let draft = draft(&licenses, &args);
    assert_eq!(
        draft.managed_agent_usage_period(),
        Some(UsagePeriod {
            issued_at: now() - hours(2),
            start: now() - hours(1),
            end: now() + days(90),
        })
    );
    let result = draft.finish(Some(Ok(175)));
    let managed = &result.features[&FeatureName::ManagedAgentLimit];
    assert_eq!(managed.entitlement, Entitlement::Entitled);
    assert!(managed.enabled);
    assert_eq!(managed.soft_limit, Some(100));
    assert_eq!(managed.limit, Some(200));
    assert_eq!(managed.actual, Some(175));
    assert_eq!(
        result.warnings,
        vec![messages::MANAGED_AGENT_LIMIT_APPROACHING]
    );
    assert!(result.errors.is_empty());
}
