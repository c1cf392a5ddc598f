//! Role and status enums as clients see them (UPPER_CASE), converted to and from the domain's by
//! async-graphql's `remote` derive.

use async_graphql::Enum;

/// A deployment-wide role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SiteRole", remote = "crate::authz::SiteRole")]
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

/// A role held in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::authz::OrgRole")]
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

/// Whether a user may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::entity::user::UserStatus")]
pub enum UserStatus {
    /// May log in and act.
    Active,
    /// Refused by every authentication.
    Suspended,
    /// Inactive for a long time; logging in reactivates.
    Dormant,
}
