//! Feature names, the merge rule, the warning threshold and the wire shape.

use std::cmp::Ordering;

use super::super::{
    Entitlement, Feature, FeatureName, UsagePeriod, managed_agent_warning_threshold,
};
use super::*;
use crate::domain::license::FeatureSet;

#[test]
fn feature_names() {
    let names: Vec<&str> = FeatureName::ALL.iter().map(|name| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "user_limit",
            "audit_log",
            "connection_log",
            "browser_only",
            "scim",
            "template_rbac",
            "high_availability",
            "multiple_external_auth",
            "external_provisioner_daemons",
            "appearance",
            "advanced_template_scheduling",
            "workspace_proxy",
            "user_role_management",
            "external_token_encryption",
            "workspace_batch_actions",
            "access_control",
            "control_shared_ports",
            "custom_roles",
            "multiple_organizations",
            "workspace_prebuilds",
            "managed_agent_limit",
        ]
    );
    // `Ord` follows `ALL`, so maps iterate in Coder's order.
    let mut sorted = FeatureName::ALL;
    sorted.sort();
    assert_eq!(sorted, FeatureName::ALL);
    for name in FeatureName::ALL {
        assert_eq!(FeatureName::from_name(name.as_str()), Some(name));
        assert_eq!(
            serde_json::to_value(name).unwrap(),
            serde_json::Value::from(name.as_str())
        );
    }
    assert_eq!(FeatureName::from_name("managed_agent_limit_soft"), None);
    assert_eq!(FeatureName::from_name("workspace_external_agent"), None);
}

#[test]
fn humanized_names() {
    let cases = [
        (FeatureName::TemplateRbac, "Template RBAC"),
        (FeatureName::Scim, "SCIM"),
        (FeatureName::AuditLog, "Audit Log"),
        (FeatureName::MultipleExternalAuth, "Multiple External Auth"),
        (FeatureName::Appearance, "Appearance"),
        (FeatureName::ManagedAgentLimit, "Managed Agent Limit"),
    ];
    for (name, expected) in cases {
        assert_eq!(name.humanize(), expected);
    }
}

#[test]
fn feature_kinds_and_sets() {
    let limits: Vec<_> = FeatureName::ALL
        .into_iter()
        .filter(|f| f.is_limit())
        .collect();
    assert_eq!(
        limits,
        [FeatureName::UserLimit, FeatureName::ManagedAgentLimit]
    );
    let always: Vec<_> = FeatureName::ALL
        .into_iter()
        .filter(|f| f.always_enable())
        .collect();
    assert_eq!(
        always,
        [
            FeatureName::HighAvailability,
            FeatureName::MultipleExternalAuth,
            FeatureName::ExternalProvisionerDaemons,
            FeatureName::Appearance,
            FeatureName::WorkspaceBatchActions,
            FeatureName::CustomRoles,
            FeatureName::MultipleOrganizations,
            FeatureName::WorkspacePrebuilds,
        ]
    );
    assert_eq!(FeatureName::in_set(FeatureSet::None).count(), 0);
    let premium: Vec<_> = FeatureName::in_set(FeatureSet::Premium).collect();
    assert_eq!(premium.len(), 19);
    assert!(!premium.contains(&FeatureName::UserLimit));
    assert!(!premium.contains(&FeatureName::ManagedAgentLimit));
    let enterprise: Vec<_> = FeatureName::in_set(FeatureSet::Enterprise).collect();
    assert_eq!(enterprise.len(), 17);
    assert!(!enterprise.contains(&FeatureName::CustomRoles));
    assert!(!enterprise.contains(&FeatureName::MultipleOrganizations));
}

#[test]
fn entitlement_weights() {
    assert_eq!(Entitlement::Entitled.weight(), 2);
    assert_eq!(Entitlement::GracePeriod.weight(), 1);
    assert_eq!(Entitlement::NotEntitled.weight(), -1);
    assert!(Entitlement::GracePeriod.is_entitled());
    assert!(!Entitlement::NotEntitled.is_entitled());
}

fn grant(entitlement: Entitlement) -> Feature {
    Feature {
        entitlement,
        enabled: true,
        ..Feature::not_entitled(false)
    }
}

fn period(issued_hours_ago: i64, ends_in_hours: i64) -> Option<UsagePeriod> {
    Some(UsagePeriod {
        issued_at: now() - hours(issued_hours_ago),
        start: now() - hours(issued_hours_ago),
        end: now() + hours(ends_in_hours),
    })
}

#[test]
fn compare_rules() {
    use Entitlement::{Entitled, GracePeriod, NotEntitled};
    let with = |entitlement, limit: Option<i64>, actual: Option<i64>| Feature {
        limit,
        actual,
        ..grant(entitlement)
    };
    // 1. Newer issued_at wins, whatever the rest says.
    let newer = Feature {
        limit: Some(1),
        usage_period: period(1, 1),
        ..grant(GracePeriod)
    };
    let older = Feature {
        limit: Some(1000),
        usage_period: period(2, 100),
        ..grant(Entitled)
    };
    assert_eq!(newer.compare(&older), Ordering::Greater);
    assert_eq!(older.compare(&newer), Ordering::Less);
    // 2. Same issue time: the later end wins.
    let longer = Feature {
        usage_period: period(1, 5),
        ..newer.clone()
    };
    assert_eq!(longer.compare(&newer), Ordering::Greater);
    // 3. Capability: a grace limit covering usage beats an entitled one that does not...
    let covering = with(GracePeriod, Some(500), Some(200));
    let short = with(Entitled, Some(100), Some(200));
    assert_eq!(covering.compare(&short), Ordering::Greater);
    assert_eq!(short.compare(&covering), Ordering::Less);
    // ...but not when one side is not entitled (PR-era: no `actual` needed on both sides).
    let placeholder = Feature::not_entitled(true);
    assert_eq!(short.compare(&placeholder), Ordering::Greater);
    assert_eq!(short.compare(&grant(GracePeriod)), Ordering::Less);
    // 4. Entitlement weight.
    assert_eq!(
        grant(Entitled).compare(&grant(GracePeriod)),
        Ordering::Greater
    );
    assert_eq!(
        grant(GracePeriod).compare(&grant(NotEntitled)),
        Ordering::Greater
    );
    // 5. A limit beats none; larger beats smaller.
    assert_eq!(
        with(Entitled, Some(1), None).compare(&grant(Entitled)),
        Ordering::Greater
    );
    assert_eq!(
        with(Entitled, Some(1), None).compare(&with(Entitled, Some(2), None)),
        Ordering::Less
    );
    // 6. Enabled beats disabled.
    let disabled = Feature {
        enabled: false,
        ..grant(Entitled)
    };
    assert_eq!(grant(Entitled).compare(&disabled), Ordering::Greater);
    // 7. An actual beats none; larger beats smaller.
    assert_eq!(
        with(Entitled, None, Some(1)).compare(&grant(Entitled)),
        Ordering::Greater
    );
    assert_eq!(
        with(Entitled, None, Some(1)).compare(&with(Entitled, None, Some(3))),
        Ordering::Less
    );
    assert_eq!(grant(Entitled).compare(&grant(Entitled)), Ordering::Equal);
}

#[test]
fn add_feature_rules() {
    let mut result = draft(&[], &args()).finish(None);
    // A usage-period grant without its period is ignored once something is there.
    result.add_feature(FeatureName::ManagedAgentLimit, grant(Entitlement::Entitled));
    assert_eq!(
        result.features[&FeatureName::ManagedAgentLimit],
        Feature::not_entitled(false)
    );
    // Other features lose any period they were given.
    result.add_feature(
        FeatureName::AuditLog,
        Feature {
            usage_period: period(1, 1),
            ..grant(Entitlement::Entitled)
        },
    );
    assert_eq!(
        result.features[&FeatureName::AuditLog],
        grant(Entitlement::Entitled)
    );
    // Equal grants keep the first.
    let first = Feature {
        actual: None,
        ..grant(Entitlement::Entitled)
    };
    result.add_feature(FeatureName::AuditLog, first.clone());
    assert_eq!(result.features[&FeatureName::AuditLog], first);
}

#[test]
fn warning_threshold() {
    assert_eq!(managed_agent_warning_threshold(100, 200), 175);
    assert_eq!(managed_agent_warning_threshold(100, 100), 75);
    assert_eq!(managed_agent_warning_threshold(0, 100), 75);
    assert_eq!(managed_agent_warning_threshold(50, 100), 87);
    assert_eq!(managed_agent_warning_threshold(26_400, 33_000), 31_350);
    assert_eq!(managed_agent_warning_threshold(0, 0), 0);
    assert_eq!(managed_agent_warning_threshold(1, 1), 0);
    assert_eq!(managed_agent_warning_threshold(0, 3), 2);
}

#[test]
fn wire_shape() {
    let licenses = stored(vec![
        license()
            .enterprise()
            .managed_agents(100, 200)
            .issued_at(now() - hours(1))
            .not_before(now() - hours(1))
            .valid(),
    ]);
    let result = entitlements(&licenses, &args(), 3);
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(
        json["features"]["managed_agent_limit"],
        serde_json::json!({
            "entitlement": "entitled",
            "enabled": true,
            "limit": 200,
            "actual": 3,
            "soft_limit": 100,
            "usage_period": {
                "issued_at": "2025-08-01T11:00:00Z",
                "start": "2025-08-01T11:00:00Z",
                "end": "2025-09-30T12:00:00Z",
            },
        })
    );
    assert_eq!(
        json["features"]["multiple_organizations"],
        serde_json::json!({"entitlement": "not_entitled", "enabled": false})
    );
    assert_eq!(json["features"]["user_limit"]["actual"], 0);
    assert_eq!(json["has_license"], true);
    assert_eq!(json["trial"], false);
    assert_eq!(json["require_telemetry"], false);
    assert_eq!(json["refreshed_at"], "2025-08-01T12:00:00Z");
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(json["errors"], serde_json::json!([]));
    let keys: Vec<&String> = json["features"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), FeatureName::ALL.len());
}
