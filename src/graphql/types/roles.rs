//! Role and status enums as clients see them (UPPER_CASE), converted to the domain's.

use async_graphql::Enum;

use crate::{authz, entity::user};

/// A deployment-wide role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SiteRole")]
pub enum SiteRoleName {
    /// Everything.
    Owner,
    /// Reads audit and connection logs, users, groups and templates everywhere.
    Auditor,
    /// Manages templates and files everywhere; reads workspaces.
    TemplateAdmin,
    /// Manages users, groups and memberships everywhere.
    UserAdmin,
    /// Every user (implied): its own profile and API tokens.
    Member,
}

impl From<SiteRoleName> for authz::SiteRole {
    fn from(role: SiteRoleName) -> Self {
        match role {
            SiteRoleName::Owner => authz::SiteRole::Owner,
            SiteRoleName::Auditor => authz::SiteRole::Auditor,
            SiteRoleName::TemplateAdmin => authz::SiteRole::TemplateAdmin,
            SiteRoleName::UserAdmin => authz::SiteRole::UserAdmin,
            SiteRoleName::Member => authz::SiteRole::Member,
        }
    }
}

impl From<authz::SiteRole> for SiteRoleName {
    fn from(role: authz::SiteRole) -> Self {
        match role {
            authz::SiteRole::Owner => SiteRoleName::Owner,
            authz::SiteRole::Auditor => SiteRoleName::Auditor,
            authz::SiteRole::TemplateAdmin => SiteRoleName::TemplateAdmin,
            authz::SiteRole::UserAdmin => SiteRoleName::UserAdmin,
            authz::SiteRole::Member => SiteRoleName::Member,
        }
    }
}

/// A role held in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrganizationRole {
    /// Everything inside the organization.
    OrganizationAdmin,
    /// Reads the organization's audit and connection logs, templates and groups.
    OrganizationAuditor,
    /// Manages the organization's templates; reads its workspaces.
    OrganizationTemplateAdmin,
    /// Manages the organization's members and groups.
    OrganizationUserAdmin,
    /// Every member (implied): reads the organization, owns its workspaces.
    OrganizationMember,
}

impl From<OrganizationRole> for authz::OrgRole {
    fn from(role: OrganizationRole) -> Self {
        match role {
            OrganizationRole::OrganizationAdmin => authz::OrgRole::OrganizationAdmin,
            OrganizationRole::OrganizationAuditor => authz::OrgRole::OrganizationAuditor,
            OrganizationRole::OrganizationTemplateAdmin => {
                authz::OrgRole::OrganizationTemplateAdmin
            }
            OrganizationRole::OrganizationUserAdmin => authz::OrgRole::OrganizationUserAdmin,
            OrganizationRole::OrganizationMember => authz::OrgRole::OrganizationMember,
        }
    }
}

impl From<authz::OrgRole> for OrganizationRole {
    fn from(role: authz::OrgRole) -> Self {
        match role {
            authz::OrgRole::OrganizationAdmin => OrganizationRole::OrganizationAdmin,
            authz::OrgRole::OrganizationAuditor => OrganizationRole::OrganizationAuditor,
            authz::OrgRole::OrganizationTemplateAdmin => {
                OrganizationRole::OrganizationTemplateAdmin
            }
            authz::OrgRole::OrganizationUserAdmin => OrganizationRole::OrganizationUserAdmin,
            authz::OrgRole::OrganizationMember => OrganizationRole::OrganizationMember,
        }
    }
}

/// Whether a user may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UserStatus {
    /// May log in and act.
    Active,
    /// Refused by every authentication.
    Suspended,
    /// Inactive for a long time; logging in reactivates.
    Dormant,
}

impl From<user::UserStatus> for UserStatus {
    fn from(status: user::UserStatus) -> Self {
        match status {
            user::UserStatus::Active => UserStatus::Active,
            user::UserStatus::Suspended => UserStatus::Suspended,
            user::UserStatus::Dormant => UserStatus::Dormant,
        }
    }
}

impl From<UserStatus> for user::UserStatus {
    fn from(status: UserStatus) -> Self {
        match status {
            UserStatus::Active => user::UserStatus::Active,
            UserStatus::Suspended => user::UserStatus::Suspended,
            UserStatus::Dormant => user::UserStatus::Dormant,
        }
    }
}
