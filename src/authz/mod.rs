//! Authorization: who may do what to which object. One place decides every check
//! ([`authorize`]) and, for lists, produces the SQL condition ([`ReadScope::condition`]) so
//! that rows a caller may not read never leave the database.
//!
//! The model follows Coder's RBAC: a role grants actions on a resource at one of three
//! scopes — the whole site, one organization, or objects the subject owns — and a subject
//! holds site roles plus roles in each organization it is a member of.

mod assign;
mod roles;
mod scope;

use std::collections::BTreeMap;

use uuid::Uuid;

pub use assign::{
    NotAssignable, check_org_roles, check_site_roles, may_assign_org_role, may_assign_site_role,
};
pub use roles::{OrgRole, SiteRole};
pub use scope::ReadScope;

/// A kind of thing that permissions are granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// A workspace (owned by a user, in an organization).
    Workspace,
    /// A workspace owned by the prebuilds system user; deletable by template admins.
    PrebuiltWorkspace,
    /// A template and its versions.
    Template,
    /// An uploaded file (template source).
    File,
    /// A group in an organization.
    Group,
    /// A user account.
    User,
    /// An organization.
    Organization,
    /// A user's membership in an organization.
    OrganizationMember,
    /// An uploaded license.
    License,
    /// Deployment-wide settings (site configuration, prebuild pause, ...).
    DeploymentConfig,
    /// Connection log entries.
    ConnectionLog,
    /// Audit log entries.
    AuditLog,
    /// A provisioner job.
    ProvisionerJob,
    /// An external provisioner and its key.
    ProvisionerDaemon,
    /// An API key or session token.
    ApiKey,
}

impl Resource {
    /// Every resource, for tables and tests.
    pub const ALL: [Resource; 15] = [
        Resource::Workspace,
        Resource::PrebuiltWorkspace,
        Resource::Template,
        Resource::File,
        Resource::Group,
        Resource::User,
        Resource::Organization,
        Resource::OrganizationMember,
        Resource::License,
        Resource::DeploymentConfig,
        Resource::ConnectionLog,
        Resource::AuditLog,
        Resource::ProvisionerJob,
        Resource::ProvisionerDaemon,
        Resource::ApiKey,
    ];

    /// The snake_case name Coder uses (`prebuilt_workspace`).
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Workspace => "workspace",
            Resource::PrebuiltWorkspace => "prebuilt_workspace",
            Resource::Template => "template",
            Resource::File => "file",
            Resource::Group => "group",
            Resource::User => "user",
            Resource::Organization => "organization",
            Resource::OrganizationMember => "organization_member",
            Resource::License => "license",
            Resource::DeploymentConfig => "deployment_config",
            Resource::ConnectionLog => "connection_log",
            Resource::AuditLog => "audit_log",
            Resource::ProvisionerJob => "provisioner_job",
            Resource::ProvisionerDaemon => "provisioner_daemon",
            Resource::ApiKey => "api_key",
        }
    }
}

/// Something a subject does to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// See it.
    Read,
    /// Make a new one.
    Create,
    /// Change it.
    Update,
    /// Remove it.
    Delete,
    /// Start it (workspaces).
    Start,
    /// Stop it (workspaces).
    Stop,
    /// Build a workspace from it (templates).
    Use,
}

impl Action {
    /// Every action, for tables and tests.
    pub const ALL: [Action; 7] = [
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Start,
        Action::Stop,
        Action::Use,
    ];

    /// The lowercase name Coder uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Use => "use",
        }
    }
}

/// The object of a check: a resource kind with the organization and owner it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object {
    /// What kind of thing it is.
    pub resource: Resource,
    /// The organization it belongs to, if any.
    pub org_id: Option<Uuid>,
    /// The user who owns it, if any.
    pub owner_id: Option<Uuid>,
}

impl Object {
    /// An object of `resource` that belongs to no organization and no owner (site-wide).
    pub fn new(resource: Resource) -> Self {
        Self {
            resource,
            org_id: None,
            owner_id: None,
        }
    }

    /// The same object, inside organization `org_id`.
    pub fn in_org(mut self, org_id: Uuid) -> Self {
        self.org_id = Some(org_id);
        self
    }

    /// The same object, owned by user `owner_id`.
    pub fn owned_by(mut self, owner_id: Uuid) -> Self {
        self.owner_id = Some(owner_id);
        self
    }
}

/// Who is acting: a user with its roles, or an internal actor of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The acting user (for internal actors, the user they act as).
    pub user_id: Uuid,
    /// Site-wide roles; `member` is implied for every user and need not be listed.
    pub site_roles: Vec<SiteRole>,
    /// Organization memberships with the roles held in each; membership itself implies
    /// `organization-member`.
    pub org_roles: BTreeMap<Uuid, Vec<OrgRole>>,
    /// A name for logs: the username, or the internal actor's name.
    pub name: String,
    /// Whether this is an internal actor of the server (a background job), not a person.
    pub internal: bool,
    /// Where the request came from, for the audit log; empty for internal actors.
    pub origin: RequestOrigin,
}

/// Where a request came from: what the audit log records besides the actor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The client's address, when known.
    pub ip: Option<std::net::IpAddr>,
    /// The client's `User-Agent` header; empty when none was sent.
    pub user_agent: String,
    /// The request's `x-request-id`, to find it in the server log.
    pub request_id: String,
}

impl Subject {
    /// An internal actor (a background job) with every permission.
    pub fn system(name: &str, acting_as: Uuid) -> Self {
        Self {
            user_id: acting_as,
            site_roles: vec![SiteRole::Owner],
            org_roles: BTreeMap::new(),
            name: name.to_owned(),
            internal: true,
            origin: RequestOrigin::default(),
        }
    }

    /// Every site role held, `member` included.
    fn effective_site_roles(&self) -> impl Iterator<Item = SiteRole> + '_ {
        std::iter::once(SiteRole::Member).chain(self.site_roles.iter().copied())
    }

    /// Every role held in `org_id`, `organization-member` included; empty when not a member.
    fn effective_org_roles(&self, org_id: Uuid) -> Vec<OrgRole> {
        match self.org_roles.get(&org_id) {
            Some(roles) => std::iter::once(OrgRole::OrganizationMember)
                .chain(roles.iter().copied())
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The subject may not perform the action on the object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject} may not {action} {resource}", action = action.as_str(), resource = resource.as_str())]
pub struct Forbidden {
    /// The subject's name.
    pub subject: String,
    /// The refused action.
    pub action: Action,
    /// The resource it was refused on.
    pub resource: Resource,
}

/// Decides whether `subject` may perform `action` on `object`.
pub fn authorize(subject: &Subject, action: Action, object: &Object) -> Result<(), Forbidden> {
    if is_allowed(subject, action, object) {
        Ok(())
    } else {
        Err(Forbidden {
            subject: subject.name.clone(),
            action,
            resource: object.resource,
        })
    }
}

/// The boolean form of [`authorize`].
pub fn is_allowed(subject: &Subject, action: Action, object: &Object) -> bool {
    use roles::Scope;
    let owns = object
        .owner_id
        .is_some_and(|owner| owner == subject.user_id);
    let site = subject.effective_site_roles().any(|role| {
        let scope = role.grant(object.resource, action);
        scope == Some(Scope::Site)
            // Site roles' owner grants cover the subject's own objects outside organizations.
            || (scope == Some(Scope::Owner) && owns && object.org_id.is_none())
    });
    if site {
        return true;
    }
    let Some(org_id) = object.org_id else {
        return false;
    };
    subject.effective_org_roles(org_id).into_iter().any(|role| {
        match role.grant(object.resource, action) {
            Some(Scope::Org) => true,
            Some(Scope::Owner) => owns,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests;
