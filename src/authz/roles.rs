//! The built-in roles and what each grants. One table per role keeps the whole policy in
//! one screen; the matrix test in `tests.rs` pins it down.

use std::{fmt, str::FromStr};

use super::{Action, Resource};

/// How far a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every object of the resource, anywhere.
    Site,
    /// Objects in the organization the role is held in.
    Org,
    /// Objects the subject owns (in the organization, for an organization role).
    Owner,
}

/// A role held deployment-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteRole {
    /// Everything.
    Owner,
    /// Reads audit and connection logs, users, groups and templates everywhere.
    Auditor,
    /// Manages templates and files everywhere; reads workspaces.
    TemplateAdmin,
    /// Manages users, groups and memberships everywhere.
    UserAdmin,
    /// Every user: its own profile and API keys.
    Member,
}

/// A role held in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgRole {
    /// Everything inside the organization.
    OrganizationAdmin,
    /// Reads the organization's audit and connection logs, templates and groups.
    OrganizationAuditor,
    /// Manages the organization's templates and files; reads its workspaces.
    OrganizationTemplateAdmin,
    /// Manages the organization's members and groups.
    OrganizationUserAdmin,
    /// Every member: reads the organization and its templates, owns its workspaces.
    OrganizationMember,
}

const ALL_ACTIONS: &[Action] = &Action::ALL;
const READ: &[Action] = &[Action::Read];
const CRUD: &[Action] = &[Action::Read, Action::Create, Action::Update, Action::Delete];
const PREBUILT: &[Action] = &[Action::Update, Action::Delete];
const FILE: &[Action] = &[Action::Read, Action::Create];

/// One line of a role's table.
type Grant = (Resource, &'static [Action], Scope);

impl SiteRole {
    /// Every site role.
    pub const ALL: [SiteRole; 5] = [
        SiteRole::Owner,
        SiteRole::Auditor,
        SiteRole::TemplateAdmin,
        SiteRole::UserAdmin,
        SiteRole::Member,
    ];

    /// The role's name as clients write it.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteRole::Owner => "owner",
            SiteRole::Auditor => "auditor",
            SiteRole::TemplateAdmin => "template-admin",
            SiteRole::UserAdmin => "user-admin",
            SiteRole::Member => "member",
        }
    }

    fn grants(self) -> &'static [Grant] {
        use Resource::*;
        use Scope::*;
        match self {
            SiteRole::Owner => &[
                (Workspace, ALL_ACTIONS, Site),
                (PrebuiltWorkspace, ALL_ACTIONS, Site),
                (Template, ALL_ACTIONS, Site),
                (File, ALL_ACTIONS, Site),
                (Group, ALL_ACTIONS, Site),
                (User, ALL_ACTIONS, Site),
                (Organization, ALL_ACTIONS, Site),
                (OrganizationMember, ALL_ACTIONS, Site),
                (License, ALL_ACTIONS, Site),
                (DeploymentConfig, ALL_ACTIONS, Site),
                (ConnectionLog, ALL_ACTIONS, Site),
                (AuditLog, ALL_ACTIONS, Site),
                (ProvisionerJob, ALL_ACTIONS, Site),
                (ProvisionerDaemon, ALL_ACTIONS, Site),
                (ApiKey, ALL_ACTIONS, Site),
            ],
            SiteRole::Auditor => &[
                (AuditLog, READ, Site),
                (ConnectionLog, READ, Site),
                (User, READ, Site),
                (Group, READ, Site),
                (Organization, READ, Site),
                (OrganizationMember, READ, Site),
                (Template, READ, Site),
            ],
            SiteRole::TemplateAdmin => &[
                (Template, ALL_ACTIONS, Site),
                (File, FILE, Site),
                (Workspace, READ, Site),
                (PrebuiltWorkspace, PREBUILT, Site),
                (ProvisionerJob, READ, Site),
                (ProvisionerDaemon, READ, Site),
                (User, READ, Site),
                (Group, READ, Site),
                (Organization, READ, Site),
                (OrganizationMember, READ, Site),
            ],
            SiteRole::UserAdmin => &[
                (User, CRUD, Site),
                (Group, CRUD, Site),
                (OrganizationMember, CRUD, Site),
                (Organization, READ, Site),
            ],
            SiteRole::Member => &[
                (User, &[Action::Read, Action::Update], Owner),
                (ApiKey, CRUD, Owner),
            ],
        }
    }

    /// The scope at which this role grants `action` on `resource`, if it does.
    pub(super) fn grant(self, resource: Resource, action: Action) -> Option<Scope> {
        find_grant(self.grants(), resource, action)
    }
}

impl OrgRole {
    /// Every organization role.
    pub const ALL: [OrgRole; 5] = [
        OrgRole::OrganizationAdmin,
        OrgRole::OrganizationAuditor,
        OrgRole::OrganizationTemplateAdmin,
        OrgRole::OrganizationUserAdmin,
        OrgRole::OrganizationMember,
    ];

    /// The role's name as clients write it.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::OrganizationAdmin => "organization-admin",
            OrgRole::OrganizationAuditor => "organization-auditor",
            OrgRole::OrganizationTemplateAdmin => "organization-template-admin",
            OrgRole::OrganizationUserAdmin => "organization-user-admin",
            OrgRole::OrganizationMember => "organization-member",
        }
    }

    fn grants(self) -> &'static [Grant] {
        use Resource::*;
        use Scope::*;
        match self {
            OrgRole::OrganizationAdmin => &[
                (Workspace, ALL_ACTIONS, Org),
                (PrebuiltWorkspace, PREBUILT, Org),
                (Template, ALL_ACTIONS, Org),
                (File, FILE, Org),
                (Group, CRUD, Org),
                (Organization, &[Action::Read, Action::Update], Org),
                (OrganizationMember, CRUD, Org),
                (ConnectionLog, READ, Org),
                (AuditLog, READ, Org),
                (ProvisionerJob, READ, Org),
                (ProvisionerDaemon, CRUD, Org),
            ],
            OrgRole::OrganizationAuditor => &[
                (AuditLog, READ, Org),
                (ConnectionLog, READ, Org),
                (Template, READ, Org),
                (Group, READ, Org),
                (Organization, READ, Org),
                (OrganizationMember, READ, Org),
            ],
            OrgRole::OrganizationTemplateAdmin => &[
                (Template, ALL_ACTIONS, Org),
                (File, FILE, Org),
                (Workspace, READ, Org),
                (PrebuiltWorkspace, PREBUILT, Org),
                (ProvisionerJob, READ, Org),
                (Group, READ, Org),
                (Organization, READ, Org),
                (OrganizationMember, READ, Org),
            ],
            OrgRole::OrganizationUserAdmin => &[
                (OrganizationMember, CRUD, Org),
                (Group, CRUD, Org),
                (Organization, READ, Org),
            ],
            OrgRole::OrganizationMember => &[
                (Organization, READ, Org),
                (Template, &[Action::Read, Action::Use], Org),
                (Group, READ, Org),
                (OrganizationMember, READ, Org),
                (Workspace, ALL_ACTIONS, Owner),
                (File, FILE, Owner),
                (ProvisionerJob, READ, Owner),
            ],
        }
    }

    /// The scope at which this role grants `action` on `resource`, if it does.
    pub(super) fn grant(self, resource: Resource, action: Action) -> Option<Scope> {
        find_grant(self.grants(), resource, action)
    }
}

fn find_grant(grants: &[Grant], resource: Resource, action: Action) -> Option<Scope> {
    // A role may list a resource once per scope; the widest scope wins.
    grants
        .iter()
        .filter(|(r, actions, _)| *r == resource && actions.contains(&action))
        .map(|(_, _, scope)| *scope)
        .min_by_key(|scope| match scope {
            Scope::Site => 0,
            Scope::Org => 1,
            Scope::Owner => 2,
        })
}

/// A role name that is not one of the built-in roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for SiteRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl FromStr for OrgRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for SiteRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
