//! The features a license can grant and the entitlement levels, as Coder named them in the
//! PR-era (#18876) `codersdk`: names, order, display names and the feature-set rules.

use serde::{Deserialize, Serialize};

use crate::domain::license::FeatureSet;

/// A licensable feature. The declaration order is Coder's `FeatureNames` order: it is the
/// iteration order for warnings, and the derived `Ord` keeps maps in that order too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureName {
    /// Seats: a limit compared against the active user count.
    UserLimit,
    /// The audit log.
    AuditLog,
    /// The connection log.
    ConnectionLog,
    /// Browser-only connections.
    BrowserOnly,
    /// SCIM provisioning.
    Scim,
    /// Template access control.
    TemplateRbac,
    /// More than one replica.
    HighAvailability,
    /// More than one external auth provider.
    MultipleExternalAuth,
    /// Provisioner daemons outside coderd.
    ExternalProvisionerDaemons,
    /// Custom appearance.
    Appearance,
    /// Template autostop requirements, dormancy and the like.
    AdvancedTemplateScheduling,
    /// Workspace proxies.
    WorkspaceProxy,
    /// Assigning site roles.
    UserRoleManagement,
    /// Encrypting external tokens in the database.
    ExternalTokenEncryption,
    /// Bulk actions on workspaces.
    WorkspaceBatchActions,
    /// Group and role based access control.
    AccessControl,
    /// Restricting port sharing.
    ControlSharedPorts,
    /// Organization custom roles.
    CustomRoles,
    /// More than one organization.
    MultipleOrganizations,
    /// Prebuilt workspaces.
    WorkspacePrebuilds,
    /// Managed agents: a usage-period limit counted over the winning license's period.
    ManagedAgentLimit,
}

impl FeatureName {
    /// Every feature, in Coder's order.
    pub const ALL: [FeatureName; 21] = [
        FeatureName::UserLimit,
        FeatureName::AuditLog,
        FeatureName::ConnectionLog,
        FeatureName::BrowserOnly,
        FeatureName::Scim,
        FeatureName::TemplateRbac,
        FeatureName::HighAvailability,
        FeatureName::MultipleExternalAuth,
        FeatureName::ExternalProvisionerDaemons,
        FeatureName::Appearance,
        FeatureName::AdvancedTemplateScheduling,
        FeatureName::WorkspaceProxy,
        FeatureName::UserRoleManagement,
        FeatureName::ExternalTokenEncryption,
        FeatureName::WorkspaceBatchActions,
        FeatureName::AccessControl,
        FeatureName::ControlSharedPorts,
        FeatureName::CustomRoles,
        FeatureName::MultipleOrganizations,
        FeatureName::WorkspacePrebuilds,
        FeatureName::ManagedAgentLimit,
    ];

    /// The wire name (`audit_log`), as licenses and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureName::UserLimit => "user_limit",
            FeatureName::AuditLog => "audit_log",
            FeatureName::ConnectionLog => "connection_log",
            FeatureName::BrowserOnly => "browser_only",
            FeatureName::Scim => "scim",
            FeatureName::TemplateRbac => "template_rbac",
            FeatureName::HighAvailability => "high_availability",
            FeatureName::MultipleExternalAuth => "multiple_external_auth",
            FeatureName::ExternalProvisionerDaemons => "external_provisioner_daemons",
            FeatureName::Appearance => "appearance",
            FeatureName::AdvancedTemplateScheduling => "advanced_template_scheduling",
            FeatureName::WorkspaceProxy => "workspace_proxy",
            FeatureName::UserRoleManagement => "user_role_management",
            FeatureName::ExternalTokenEncryption => "external_token_encryption",
            FeatureName::WorkspaceBatchActions => "workspace_batch_actions",
            FeatureName::AccessControl => "access_control",
            FeatureName::ControlSharedPorts => "control_shared_ports",
            FeatureName::CustomRoles => "custom_roles",
            FeatureName::MultipleOrganizations => "multiple_organizations",
            FeatureName::WorkspacePrebuilds => "workspace_prebuilds",
            FeatureName::ManagedAgentLimit => "managed_agent_limit",
        }
    }

    /// The feature with this wire name; `None` for names this server does not know (licenses
    /// may carry features of older or newer servers, which are ignored).
    pub fn from_name(name: &str) -> Option<FeatureName> {
        FeatureName::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The display name used in warnings: `Template RBAC`, `SCIM`, otherwise the words of the
    /// wire name in title case (`Multiple External Auth`).
    pub fn humanize(self) -> String {
        match self {
            FeatureName::TemplateRbac => "Template RBAC".to_owned(),
            FeatureName::Scim => "SCIM".to_owned(),
            other => other
                .as_str()
                .split('_')
                .map(title_case)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Whether the license value is a limit rather than an on/off switch. Limit features are
    /// never granted by a feature set: only an explicit value (or the Premium default) counts.
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            FeatureName::UserLimit | FeatureName::ManagedAgentLimit
        )
    }

    /// Whether the limit accumulates over a usage period (newest license wins, whatever its
    /// size).
    pub fn uses_usage_period(self) -> bool {
        self == FeatureName::ManagedAgentLimit
    }

    /// Whether the feature is enabled whenever it is entitled, whatever the deployment config
    /// says (there is no switch to turn it off).
    pub fn always_enable(self) -> bool {
        matches!(
            self,
            FeatureName::MultipleExternalAuth
                | FeatureName::ExternalProvisionerDaemons
                | FeatureName::Appearance
                | FeatureName::WorkspaceBatchActions
                | FeatureName::HighAvailability
                | FeatureName::CustomRoles
                | FeatureName::MultipleOrganizations
                | FeatureName::WorkspacePrebuilds
        )
    }

    /// Whether the Enterprise set includes the feature (Premium includes everything).
    pub fn is_enterprise(self) -> bool {
        !matches!(
            self,
            FeatureName::MultipleOrganizations | FeatureName::CustomRoles
        )
    }

    /// Whether a license with this feature set is granted the feature by the set alone.
    pub fn in_feature_set(self, set: FeatureSet) -> bool {
        match set {
            FeatureSet::None => false,
            FeatureSet::Enterprise => self.is_enterprise() && !self.is_limit(),
            FeatureSet::Premium => !self.is_limit(),
        }
    }

    /// The features a set grants by itself, in Coder's order.
    pub fn in_set(set: FeatureSet) -> impl Iterator<Item = FeatureName> {
        FeatureName::ALL
            .into_iter()
            .filter(move |f| f.in_feature_set(set))
    }
}

impl std::fmt::Display for FeatureName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `audit` -> `Audit` (ASCII only: wire names are ASCII).
fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// How far a license covers a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entitlement {
    /// Covered by a license in its paid term.
    Entitled,
    /// Covered only by a license past `license_expires` but before `exp`: still works.
    GracePeriod,
    /// Not covered.
    NotEntitled,
}

impl Entitlement {
    /// Coder's ranking: entitled 2, grace period 1, not entitled -1 (unknown, -2, cannot be
    /// represented here).
    pub fn weight(self) -> i32 {
        match self {
            Entitlement::Entitled => 2,
            Entitlement::GracePeriod => 1,
            Entitlement::NotEntitled => -1,
        }
    }

    /// Whether the feature may be used (entitled or in its grace period).
    pub fn is_entitled(self) -> bool {
        matches!(self, Entitlement::Entitled | Entitlement::GracePeriod)
    }
}
