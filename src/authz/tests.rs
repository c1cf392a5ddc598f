use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, PostgresQueryBuilder, Query, SqliteQueryBuilder};
use uuid::Uuid;

use super::*;

const ORG_A: Uuid = Uuid::from_u128(0xA);
const ORG_B: Uuid = Uuid::from_u128(0xB);
const ME: Uuid = Uuid::from_u128(1);
const OTHER: Uuid = Uuid::from_u128(2);

fn site(role: SiteRole) -> Subject {
    Subject {
        user_id: ME,
        site_roles: vec![role],
        org_roles: BTreeMap::from([(ORG_A, vec![])]),
        name: role.as_str().into(),
        internal: false,
        origin: Default::default(),
    }
}

fn org(role: OrgRole) -> Subject {
    Subject {
        user_id: ME,
        site_roles: vec![],
        org_roles: BTreeMap::from([(ORG_A, vec![role])]),
        name: role.as_str().into(),
        internal: false,
        origin: Default::default(),
    }
}

/// The role under test, by its client-facing name.
fn subject(role: &str) -> Subject {
    match (role.parse::<SiteRole>(), role.parse::<OrgRole>()) {
        (Ok(r), _) => site(r),
        (_, Ok(r)) => org(r),
        _ => panic!("unknown role {role}"),
    }
}

/// An object in org A owned by someone else (so owner grants do not apply).
fn in_a(resource: Resource) -> Object {
    Object::new(resource).in_org(ORG_A).owned_by(OTHER)
}

#[test]
fn role_matrix() {
    use Action::*;
    use Resource::*;
    // (role, resource, action, allowed) for an object in org A owned by another user.
    let cases: &[(&str, Resource, Action, bool)] = &[
        // prebuilt_workspace update/delete: docs/rules/identity-and-rbac.md, "Prebuilt workspaces".
        ("owner", PrebuiltWorkspace, Update, true),
        ("owner", PrebuiltWorkspace, Delete, true),
        ("organization-admin", PrebuiltWorkspace, Update, true),
        ("organization-admin", PrebuiltWorkspace, Delete, true),
        ("template-admin", PrebuiltWorkspace, Update, true),
        ("template-admin", PrebuiltWorkspace, Delete, true),
        (
            "organization-template-admin",
            PrebuiltWorkspace,
            Update,
            true,
        ),
        (
            "organization-template-admin",
            PrebuiltWorkspace,
            Delete,
            true,
        ),
        ("member", PrebuiltWorkspace, Update, false),
        ("member", PrebuiltWorkspace, Delete, false),
        ("user-admin", PrebuiltWorkspace, Update, false),
        ("user-admin", PrebuiltWorkspace, Delete, false),
        ("organization-user-admin", PrebuiltWorkspace, Update, false),
        ("organization-user-admin", PrebuiltWorkspace, Delete, false),
        ("organization-auditor", PrebuiltWorkspace, Update, false),
        ("organization-auditor", PrebuiltWorkspace, Delete, false),
        // connection_log and audit_log: docs/rules/connection-log.md, "Who may read the log".
        ("owner", ConnectionLog, Read, true),
        ("auditor", ConnectionLog, Read, true),
        ("organization-admin", ConnectionLog, Read, true),
        ("organization-auditor", ConnectionLog, Read, true),
        ("member", ConnectionLog, Read, false),
        ("template-admin", ConnectionLog, Read, false),
        ("user-admin", ConnectionLog, Read, false),
        ("organization-member", ConnectionLog, Read, false),
        ("organization-template-admin", ConnectionLog, Read, false),
        ("organization-user-admin", ConnectionLog, Read, false),
        ("owner", AuditLog, Read, true),
        ("auditor", AuditLog, Read, true),
        ("organization-admin", AuditLog, Read, true),
        ("organization-auditor", AuditLog, Read, true),
        ("member", AuditLog, Read, false),
        ("template-admin", AuditLog, Read, false),
        ("user-admin", AuditLog, Read, false),
        ("auditor", ConnectionLog, Update, false),
        ("organization-auditor", AuditLog, Delete, false),
        // Workspaces: members own theirs only; template admins read all; admins manage.
        ("owner", Workspace, Delete, true),
        ("organization-admin", Workspace, Stop, true),
        ("template-admin", Workspace, Read, true),
        ("template-admin", Workspace, Delete, false),
        ("organization-template-admin", Workspace, Read, true),
        ("organization-member", Workspace, Read, false),
        ("member", Workspace, Start, false),
        ("auditor", Workspace, Read, false),
        ("user-admin", Workspace, Read, false),
        // Templates.
        ("template-admin", Template, Create, true),
        ("organization-template-admin", Template, Update, true),
        ("organization-member", Template, Read, true),
        ("organization-member", Template, Use, true),
        ("organization-member", Template, Update, false),
        ("organization-auditor", Template, Read, true),
        ("organization-user-admin", Template, Update, false),
        ("user-admin", Template, Create, false),
        // Files.
        ("template-admin", File, Create, true),
        ("organization-template-admin", File, Read, true),
        ("organization-auditor", File, Read, false),
        // Groups.
        ("user-admin", Group, Update, true),
        ("organization-user-admin", Group, Update, true),
        ("organization-admin", Group, Delete, true),
        ("organization-member", Group, Read, true),
        ("organization-member", Group, Update, false),
        ("organization-template-admin", Group, Update, false),
        ("auditor", Group, Read, true),
        ("auditor", Group, Update, false),
        // Organizations and members.
        ("owner", Organization, Create, true),
        ("organization-admin", Organization, Update, true),
        ("organization-admin", Organization, Delete, false),
        ("organization-member", Organization, Read, true),
        ("organization-member", Organization, Update, false),
        ("member", Organization, Create, false),
        ("user-admin", OrganizationMember, Create, true),
        ("organization-user-admin", OrganizationMember, Create, true),
        ("organization-admin", OrganizationMember, Update, true),
        ("organization-member", OrganizationMember, Read, true),
        ("organization-member", OrganizationMember, Create, false),
        (
            "organization-template-admin",
            OrganizationMember,
            Create,
            false,
        ),
        // Site-only resources: org roles never reach them.
        ("owner", License, Create, true),
        ("owner", License, Delete, true),
        ("auditor", License, Read, false),
        ("template-admin", License, Create, false),
        ("organization-admin", License, Create, false),
        ("owner", DeploymentConfig, Update, true),
        ("organization-admin", DeploymentConfig, Update, false),
        ("user-admin", DeploymentConfig, Update, false),
        ("template-admin", ProvisionerJob, Read, true),
        ("organization-admin", ProvisionerJob, Read, true),
        ("member", ProvisionerJob, Read, false),
        ("owner", ProvisionerDaemon, Create, true),
        ("organization-admin", ProvisionerDaemon, Create, true),
        ("template-admin", ProvisionerDaemon, Create, false),
        ("organization-member", ProvisionerDaemon, Create, false),
    ];
    let mut failures = Vec::new();
    for &(role, resource, action, expected) in cases {
        let object = match resource {
            License | DeploymentConfig => Object::new(resource),
            _ => in_a(resource),
        };
        if is_allowed(&subject(role), action, &object) != expected {
            failures.push(format!(
                "{role} {} {}: expected {expected}",
                action.as_str(),
                resource.as_str()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Coder's roles test for `prebuilt_workspace`, every built-in role listed: update and
/// delete for owners, organization admins and (organization) template admins, for a
/// prebuilt workspace in the subject's organization; nothing for anyone else.
#[test]
fn prebuilt_workspace_update_and_delete_by_role() {
    let cases: &[(&str, bool)] = &[
        ("owner", true),
        ("organization-admin", true),
        ("template-admin", true),
        ("organization-template-admin", true),
        ("member", false),
        ("auditor", false),
        ("user-admin", false),
        ("organization-member", false),
        ("organization-user-admin", false),
        ("organization-auditor", false),
    ];
    let prebuild = Object::new(Resource::PrebuiltWorkspace)
        .in_org(ORG_A)
        .owned_by(OTHER);
    let mut failures = Vec::new();
    for &(role, expected) in cases {
        for action in [Action::Update, Action::Delete] {
            if is_allowed(&subject(role), action, &prebuild) != expected {
                failures.push(format!("{role} {}: expected {expected}", action.as_str()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Every role is in the table.
    assert_eq!(cases.len(), SiteRole::ALL.len() + OrgRole::ALL.len());
}

#[test]
fn users_in_other_orgs_get_nothing_from_org_roles() {
    for role in OrgRole::ALL {
        let subject = org(role);
        for resource in Resource::ALL {
            for action in Action::ALL {
                let object = Object::new(resource).in_org(ORG_B).owned_by(OTHER);
                assert!(
                    !is_allowed(&subject, action, &object),
                    "{role} in A may {} {} in B",
                    action.as_str(),
                    resource.as_str()
                );
            }
        }
    }
}

#[test]
fn owners_act_on_their_own_objects() {
    let member = org(OrgRole::OrganizationMember);
    let mine = Object::new(Resource::Workspace).in_org(ORG_A).owned_by(ME);
    for action in [
        Action::Read,
        Action::Update,
        Action::Delete,
        Action::Start,
        Action::Stop,
    ] {
        assert!(is_allowed(&member, action, &mine));
    }
    // Owning a workspace in an organization one is not a member of grants nothing.
    let elsewhere = Object::new(Resource::Workspace).in_org(ORG_B).owned_by(ME);
    assert!(!is_allowed(&member, Action::Read, &elsewhere));
    // API keys and the own profile are owner grants of the implicit site member role.
    let key = Object::new(Resource::ApiKey).owned_by(ME);
    assert!(is_allowed(&member, Action::Create, &key));
    let others_key = Object::new(Resource::ApiKey).owned_by(OTHER);
    assert!(!is_allowed(&member, Action::Read, &others_key));
    assert!(is_allowed(
        &member,
        Action::Read,
        &Object::new(Resource::User).owned_by(ME)
    ));
    assert!(!is_allowed(
        &member,
        Action::Read,
        &Object::new(Resource::User).owned_by(OTHER)
    ));
}

#[test]
fn forbidden_names_the_action_and_resource() {
    let err = authorize(
        &site(SiteRole::Member),
        Action::Create,
        &Object::new(Resource::License),
    )
    .expect_err("members cannot add licenses");
    assert_eq!(err.to_string(), "member may not create license");
}

fn render(scope: &ReadScope) -> (String, String) {
    let cond = scope.condition(
        Some(Expr::col((Alias::new("t"), Alias::new("organization_id")))),
        Some(Expr::col((Alias::new("t"), Alias::new("owner_id")))),
    );
    let query = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("t"))
        .cond_where(cond)
        .to_owned();
    (
        query.to_string(PostgresQueryBuilder),
        query.to_string(SqliteQueryBuilder),
    )
}

#[test]
fn read_scope_all_for_site_readers() {
    for role in [SiteRole::Owner, SiteRole::Auditor] {
        let scope = ReadScope::compute(&site(role), Action::Read, Resource::ConnectionLog);
        assert_eq!(scope, ReadScope::All);
        let (pg, _) = render(&scope);
        assert_eq!(pg, r#"SELECT "id" FROM "t" WHERE TRUE"#);
    }
}

#[test]
fn read_scope_limits_org_roles_to_their_orgs() {
    let subject = Subject {
        user_id: ME,
        site_roles: vec![],
        org_roles: BTreeMap::from([(ORG_A, vec![OrgRole::OrganizationAuditor]), (ORG_B, vec![])]),
        name: "x".into(),
        internal: false,
        origin: Default::default(),
    };
    let scope = ReadScope::compute(&subject, Action::Read, Resource::ConnectionLog);
    assert!(scope.covers_org(ORG_A));
    assert!(!scope.covers_org(ORG_B));
    let (pg, sqlite) = render(&scope);
    assert_eq!(
        pg,
        format!(r#"SELECT "id" FROM "t" WHERE "t"."organization_id" IN ('{ORG_A}')"#)
    );
    assert!(sqlite.contains("\"t\".\"organization_id\" IN"), "{sqlite}");
}

#[test]
fn read_scope_for_owned_rows() {
    let scope = ReadScope::compute(
        &org(OrgRole::OrganizationMember),
        Action::Read,
        Resource::Workspace,
    );
    let (pg, _) = render(&scope);
    assert_eq!(
        pg,
        format!(
            r#"SELECT "id" FROM "t" WHERE "t"."owner_id" = '{ME}' AND "t"."organization_id" IN ('{ORG_A}')"#
        )
    );
}

#[test]
fn read_scope_nothing_renders_false() {
    let scope = ReadScope::compute(
        &site(SiteRole::Member),
        Action::Read,
        Resource::ConnectionLog,
    );
    assert!(scope.is_nothing());
    let (pg, sqlite) = render(&scope);
    assert_eq!(pg, r#"SELECT "id" FROM "t" WHERE 1 = 0"#);
    assert_eq!(sqlite, r#"SELECT "id" FROM "t" WHERE 1 = 0"#);
}
