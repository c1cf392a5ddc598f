//! docs/rules/licenses-and-entitlements.md (Coder's `TestUsageLimitFeatures` and
//! `TestManagedAgentLimitDefault`, PR-era values) and the license-level errors around them.

use super::super::compute::premium_default_issued_at;
use super::super::messages;
use super::super::{Entitlement, Feature, FeatureName, UsagePeriod};
use super::*;

fn managed(result: &Entitlements) -> &Feature {
    &result.features[&FeatureName::ManagedAgentLimit]
}

fn assert_managed_not_entitled(result: &Entitlements) {
    assert_eq!(managed(result), &Feature::not_entitled(false));
}

#[test]
fn invalid_managed_agent_values() {
    run(vec![
        Case {
            name: "MissingGrouped: soft only",
            licenses: stored(vec![
                license().feature("managed_agent_limit_soft", 100).valid(),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_managed_not_entitled(result);
                assert_eq!(
                    result.errors,
                    vec![format!(
                        "Invalid license ({}): feature managed_agent_limit has missing soft or hard limit values",
                        uuid_of(1)
                    )]
                );
            },
        },
        Case {
            name: "MissingGrouped: hard only",
            licenses: stored(vec![
                license().feature("managed_agent_limit_hard", 100).valid(),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_managed_not_entitled(result);
                assert_eq!(
                    result.errors,
                    vec![messages::missing_soft_or_hard(
                        uuid_of(1),
                        FeatureName::ManagedAgentLimit
                    )]
                );
            },
        },
        Case {
            name: "a negative value is dropped, so the pair is incomplete",
            licenses: stored(vec![license().managed_agents(-1, 100).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_managed_not_entitled(result);
                assert_eq!(
                    result.errors,
                    vec![messages::missing_soft_or_hard(
                        uuid_of(1),
                        FeatureName::ManagedAgentLimit
                    )]
                );
            },
        },
        Case {
            name: "HardBelowSoft",
            licenses: stored(vec![license().managed_agents(100, 50).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_managed_not_entitled(result);
                assert_eq!(
                    result.errors,
                    vec![format!(
                        "Invalid license ({}): feature managed_agent_limit has a hard limit less than the soft limit",
                        uuid_of(1)
                    )]
                );
            },
        },
        Case {
            name: "setting managed_agent_limit directly is forbidden",
            licenses: stored(vec![license().feature("managed_agent_limit", 100).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_managed_not_entitled(result);
                assert_eq!(
                    result.errors,
                    vec!["Feature managed_agent_limit is forbidden to be set in a license."]
                );
            },
        },
        Case {
            name: "forbidden even with a negative value, next to valid soft/hard values",
            licenses: stored(vec![
                license()
                    .feature("managed_agent_limit", -5)
                    .managed_agents(1, 2)
                    .valid(),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(
                    result.errors,
                    vec![messages::forbidden_feature("managed_agent_limit")]
                );
                assert_eq!(managed(result).limit, Some(2));
            },
        },
    ]);
}

/// IssuedAtRanking: L2 is newer, so its smaller limits and shorter period win, whatever
/// order the licenses are stored in.
#[test]
fn newest_license_wins_managed_agents() {
    let l1 = || {
        license()
            .managed_agents(100, 200)
            .issued_at(now() - minutes(2))
            .not_before(now() - minutes(2))
            .expires(now() + hours(2), now() + hours(2))
    };
    let l2_issued = now() - minutes(1);
    let l2 = || {
        license()
            .managed_agents(50, 100)
            .issued_at(l2_issued)
            .not_before(l2_issued - minutes(1))
            .expires(l2_issued + hours(1), l2_issued + hours(1))
    };
    let l2_period = UsagePeriod {
        issued_at: l2_issued,
        start: l2_issued - minutes(1),
        end: l2_issued + hours(1),
    };
    for licenses in [stored(vec![l1(), l2()]), stored(vec![l2(), l1()])] {
        let draft = draft(&licenses, &args());
        assert_eq!(draft.managed_agent_usage_period(), Some(l2_period));
        let result = draft.finish(Some(Ok(10)));
        assert_eq!(
            managed(&result),
            &Feature {
                entitlement: Entitlement::Entitled,
                enabled: true,
                limit: Some(100),
                actual: Some(10),
                soft_limit: Some(50),
                usage_period: Some(l2_period),
            }
        );
        assert!(result.errors.is_empty());
    }
}

#[test]
fn premium_default_managed_agent_limit() {
    run(vec![
        Case {
            name: "Default/Enterprise: no default",
            licenses: stored(vec![license().enterprise().user_limit(100).valid()]),
            args: args(),
            managed_agent_count: 10,
            check: assert_managed_not_entitled,
        },
        Case {
            name: "Default/Premium: 800 soft and 1000 hard per user",
            licenses: stored(vec![license().premium().user_limit(33).valid()]),
            args: args(),
            managed_agent_count: 10,
            check: |result| {
                assert_eq!(
                    managed(result),
                    &Feature {
                        entitlement: Entitlement::Entitled,
                        enabled: true,
                        limit: Some(33_000),
                        actual: Some(10),
                        soft_limit: Some(26_400),
                        usage_period: Some(UsagePeriod {
                            issued_at: Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap(),
                            start: now() - minutes(1),
                            end: now() + days(60),
                        }),
                    }
                );
                assert!(result.warnings.is_empty());
                assert!(result.errors.is_empty());
            },
        },
        Case {
            name: "Default/Premium in grace keeps the license's entitlement",
            licenses: stored(vec![license().premium().user_limit(1).grace()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(managed(result).entitlement, Entitlement::GracePeriod);
                assert!(managed(result).enabled);
            },
        },
        Case {
            name: "Default/Premium needs a user limit",
            licenses: stored(vec![license().premium().valid()]),
            args: args(),
            managed_agent_count: 0,
            check: assert_managed_not_entitled,
        },
        Case {
            name: "Default/PremiumExplicit: explicit values beat the default",
            licenses: stored(vec![
                license()
                    .premium()
                    .user_limit(100)
                    .managed_agents(100, 200)
                    .valid(),
            ]),
            args: args(),
            managed_agent_count: 10,
            check: |result| {
                let feature = managed(result);
                assert_eq!(feature.limit, Some(200));
                assert_eq!(feature.soft_limit, Some(100));
                assert_eq!(feature.actual, Some(10));
                assert_eq!(
                    feature.usage_period.map(|p| p.issued_at),
                    Some(now() - minutes(1))
                );
            },
        },
        Case {
            name: "Default/PremiumExplicitZero: 0/0 disables managed agents",
            licenses: stored(vec![
                license()
                    .premium()
                    .user_limit(100)
                    .managed_agents(0, 0)
                    .valid(),
            ]),
            args: args(),
            managed_agent_count: 10,
            check: |result| {
                assert_eq!(
                    managed(result),
                    &Feature {
                        entitlement: Entitlement::Entitled,
                        enabled: false,
                        limit: Some(0),
                        actual: Some(10),
                        soft_limit: Some(0),
                        usage_period: Some(UsagePeriod {
                            issued_at: now() - minutes(1),
                            start: now() - minutes(1),
                            end: now() + days(60),
                        }),
                    }
                );
                // PR-era: the warning ignores `enabled`, so 0/0 always reads as breached.
                assert_eq!(
                    result.warnings,
                    vec![messages::MANAGED_AGENT_LIMIT_BREACHED]
                );
            },
        },
        Case {
            name: "a hard limit of 0 disables managed agents on enterprise too",
            licenses: stored(vec![license().enterprise().managed_agents(0, 0).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                let feature = managed(result);
                assert_eq!(feature.entitlement, Entitlement::Entitled);
                assert!(!feature.enabled);
                assert_eq!((feature.soft_limit, feature.limit), (Some(0), Some(0)));
            },
        },
        Case {
            name: "the default wins over explicit values issued before 2025-07-01",
            licenses: stored(vec![
                license()
                    .premium()
                    .user_limit(2)
                    .managed_agents(1, 1)
                    .issued_at(Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap())
                    .not_before(Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap())
                    .valid(),
            ]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(managed(result).limit, Some(2000));
                assert_eq!(managed(result).soft_limit, Some(1600));
            },
        },
        Case {
            name: "the default needs the literal lower-case premium set (Coder compares the raw claim)",
            licenses: stored(vec![license().feature_set("Premium").user_limit(1).valid()]),
            args: args(),
            managed_agent_count: 0,
            check: |result| {
                assert_eq!(
                    result.features[&FeatureName::MultipleOrganizations].entitlement,
                    Entitlement::Entitled
                );
                assert_managed_not_entitled(result);
            },
        },
    ]);
    assert_eq!(
        premium_default_issued_at().to_rfc3339(),
        "2025-07-01T00:00:00+00:00"
    );
}

#[test]
fn managed_agent_count_outcomes() {
    let licenses = stored(vec![
        license().enterprise().managed_agents(100, 200).valid(),
    ]);
    let failed = draft(&licenses, &args()).finish(Some(Err("connection refused".into())));
    assert_eq!(
        failed.errors,
        vec!["Error getting managed agent count: connection refused"]
    );
    assert_eq!(managed(&failed).actual, None);
    assert!(failed.warnings.is_empty());

    let missing = draft(&licenses, &args()).finish(None);
    assert_eq!(
        missing.errors,
        vec![
            "Error getting managed agent count: dev error: managed agent count function is not set"
        ]
    );

    // Unlicensed: nothing to count, and a count handed over anyway is ignored.
    let unlicensed = draft(&[], &args());
    assert_eq!(unlicensed.managed_agent_usage_period(), None);
    let result = unlicensed.finish(Some(Ok(5)));
    assert_managed_not_entitled(&result);
    assert!(result.errors.is_empty() && result.warnings.is_empty());
}

#[test]
fn license_level_errors() {
    // A license the verifier passed although `nbf` is after `exp`.
    let inverted = license()
        .not_before(now() + hours(2))
        .expires(now() + hours(1), now() + hours(1))
        .verified(1);
    let result = entitlements(&[inverted], &args(), 0);
    assert!(!result.has_license);
    assert_eq!(
        result.errors,
        vec![format!(
            "Invalid license ({}): not_before (2025-08-01 14:00:00 +0000 UTC) is after license_expires (2025-08-01 13:00:00 +0000 UTC)",
            uuid_of(1)
        )]
    );

    // Missing required claims are reported in Coder's order and wording.
    let mut claims = license().claims().clone();
    claims.iat = None;
    claims.exp = None;
    let missing = LicenseInput {
        id: 1,
        uuid: uuid_of(1),
        validity: LicenseValidity::Valid(claims),
    };
    let result = entitlements(&[missing], &args(), 0);
    assert!(!result.has_license);
    assert_eq!(
        result.errors,
        vec![format!(
            "Invalid license ({}) parsing claims: license has invalid or missing iat (issued at) claim",
            uuid_of(1)
        )]
    );

    // Not yet valid: silent. Invalid: quoted.
    let result = entitlements(
        &[
            LicenseInput {
                id: 1,
                uuid: uuid_of(1),
                validity: LicenseValidity::NotYetValid,
            },
            LicenseInput {
                id: 2,
                uuid: uuid_of(2),
                validity: LicenseValidity::Invalid("no key with ID other".into()),
            },
        ],
        &args(),
        0,
    );
    assert!(!result.has_license);
    assert_eq!(
        result.errors,
        vec![format!(
            "Invalid license ({}) parsing claims: no key with ID other",
            uuid_of(2)
        )]
    );
}

#[test]
fn license_values() {
    let result = entitlements(
        &stored(vec![
            // Unknown names, zero switches and zero or negative user limits grant nothing.
            license()
                .feature("some_future_feature", 1)
                .feature("audit_log", 0)
                .feature("scim", -1)
                .feature("user_limit", 0)
                .require_telemetry()
                .valid(),
            license().valid(),
        ]),
        &args(),
        0,
    );
    assert!(all_not_entitled(&result));
    assert!(result.require_telemetry, "any license requiring telemetry");
    assert!(result.errors.is_empty());

    // An explicit switch overwrites what earlier licenses granted, even with less.
    let result = entitlements(
        &stored(vec![
            license().enterprise().valid(),
            license().feature("audit_log", 1).grace(),
        ]),
        &args(),
        0,
    );
    assert_eq!(
        result.features[&FeatureName::AuditLog].entitlement,
        Entitlement::GracePeriod
    );
    assert_eq!(
        result.features[&FeatureName::Scim].entitlement,
        Entitlement::Entitled
    );
}
