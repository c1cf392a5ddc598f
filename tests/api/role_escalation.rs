//! Role changes follow the assignment table: user admins hand out only member roles,
//! organization user admins only organization-member, nobody changes their own roles, owners
//! cannot be suspended, and the last active owner keeps the role.

use chrono::Utc;
use devplane::authz::SiteRole;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{GqlResponse, TestApp};

const CREATE_USER: &str =
    "mutation($input: CreateUserInput!) { createUser(input: $input) { id siteRoles } }";
const UPDATE_ROLES: &str =
    "mutation($input: UpdateUserRolesInput!) { updateUserRoles(input: $input) { siteRoles } }";
const MEMBER_ROLES: &str = "mutation($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { roles } }";
const ADD_MEMBER: &str =
    "mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { roles } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveOrganizationMemberInput!) { removeOrganizationMember(input: $input) { userId } }";
const SET_STATUS: &str =
    "mutation($input: UpdateUserStatusInput!) { updateUserStatus(input: $input) { status } }";

fn assert_forbidden(response: &GqlResponse, message: &str) {
    assert_eq!(response.error_code(), "FORBIDDEN", "{}", response.body);
    assert_eq!(response.body["errors"][0]["message"], message);
}

fn not_assignable(role: &str) -> String {
    format!("You may not assign or remove the role \"{role}\".")
}

async fn create_org(app: &TestApp, token: &str, name: &str) -> String {
    app.gql(
        "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }",
        json!({ "input": { "name": name } }),
        Some(token),
    )
    .await
    .data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn site_roles(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(
        "query($id: UUID!) { user(id: $id) { siteRoles } }",
        json!({ "id": id }),
        Some(token),
    )
    .await
    .data()["user"]["siteRoles"]
        .clone()
}

#[tokio::test]
async fn user_admins_assign_only_the_member_role() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let org = app.default_org(&owner).await;
    let (ua_id, ua) = app.create_user(&owner, "ua", &["USER_ADMIN"]).await;
    let (dev_id, _) = app.create_user(&owner, "dev", &[]).await;

    for (role, name) in [
        ("OWNER", "owner"),
        ("AUDITOR", "auditor"),
        ("TEMPLATE_ADMIN", "template-admin"),
        ("USER_ADMIN", "user-admin"),
    ] {
        let created = app
            .gql(
                CREATE_USER,
                json!({ "input": { "email": "x@example.com", "username": "x", "password": "password-1", "siteRoles": [role] } }),
                Some(&ua),
            )
            .await;
        assert_forbidden(&created, &not_assignable(name));
        let updated = app
            .gql(
                UPDATE_ROLES,
                json!({ "input": { "id": dev_id, "siteRoles": [role] } }),
                Some(&ua),
            )
            .await;
        assert_forbidden(&updated, &not_assignable(name));
    }
    assert_eq!(site_roles(&app, &owner, &dev_id).await, json!(["MEMBER"]));

    // Organization roles: neither for itself nor for others, beyond organization-member.
    let itself = app
        .gql(
            MEMBER_ROLES,
            json!({ "input": { "organizationId": org, "userId": ua_id, "roles": ["ORGANIZATION_ADMIN"] } }),
            Some(&ua),
        )
        .await;
    assert_forbidden(&itself, "You cannot change your own roles.");
    let other = app
        .gql(
            MEMBER_ROLES,
            json!({ "input": { "organizationId": org, "userId": dev_id, "roles": ["ORGANIZATION_ADMIN"] } }),
            Some(&ua),
        )
        .await;
    assert_forbidden(&other, &not_assignable("organization-admin"));
    let acme = create_org(&app, &owner, "acme").await;
    let joined_as_admin = app
        .gql(
            ADD_MEMBER,
            json!({ "input": { "organizationId": acme, "userId": dev_id, "roles": ["ORGANIZATION_ADMIN"] } }),
            Some(&ua),
        )
        .await;
    assert_forbidden(&joined_as_admin, &not_assignable("organization-admin"));
    let joined = app
        .gql(
            ADD_MEMBER,
            json!({ "input": { "organizationId": acme, "userId": dev_id } }),
            Some(&ua),
        )
        .await;
    assert_eq!(
        joined.data()["addOrganizationMember"]["roles"],
        json!(["ORGANIZATION_MEMBER"])
    );
    // A plain user is still created.
    let created = app
        .gql(
            CREATE_USER,
            json!({ "input": { "email": "y@example.com", "username": "y", "password": "password-1" } }),
            Some(&ua),
        )
        .await;
    assert_eq!(created.data()["createUser"]["siteRoles"], json!(["MEMBER"]));
}

#[tokio::test]
async fn organization_user_admins_cannot_promote_anyone_and_admins_can() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let acme = create_org(&app, &owner, "acme").await;
    let (oua_id, oua) = app.create_user(&owner, "oua", &[]).await;
    let (oa_id, oa) = app.create_user(&owner, "oa", &[]).await;
    let (dev_id, _) = app.create_user(&owner, "dev", &[]).await;
    for (id, role) in [
        (&oua_id, "ORGANIZATION_USER_ADMIN"),
        (&oa_id, "ORGANIZATION_ADMIN"),
    ] {
        app.gql(
            ADD_MEMBER,
            json!({ "input": { "organizationId": acme, "userId": id, "roles": [role] } }),
            Some(&owner),
        )
        .await
        .data();
    }

    let itself = app
        .gql(
            MEMBER_ROLES,
            json!({ "input": { "organizationId": acme, "userId": oua_id, "roles": ["ORGANIZATION_ADMIN", "ORGANIZATION_USER_ADMIN"] } }),
            Some(&oua),
        )
        .await;
    assert_forbidden(&itself, "You cannot change your own roles.");
    let joined = app
        .gql(
            ADD_MEMBER,
            json!({ "input": { "organizationId": acme, "userId": dev_id } }),
            Some(&oua),
        )
        .await;
    assert_eq!(
        joined.data()["addOrganizationMember"]["roles"],
        json!(["ORGANIZATION_MEMBER"])
    );
    for (role, name) in [
        ("ORGANIZATION_AUDITOR", "organization-auditor"),
        ("ORGANIZATION_USER_ADMIN", "organization-user-admin"),
        ("ORGANIZATION_TEMPLATE_ADMIN", "organization-template-admin"),
        ("ORGANIZATION_ADMIN", "organization-admin"),
    ] {
        let promoted = app
            .gql(
                MEMBER_ROLES,
                json!({ "input": { "organizationId": acme, "userId": dev_id, "roles": [role] } }),
                Some(&oua),
            )
            .await;
        assert_forbidden(&promoted, &not_assignable(name));
    }
    // Nor may it take away roles it could not grant, by removing the member.
    let removed = app
        .gql(
            REMOVE_MEMBER,
            json!({ "input": { "organizationId": acme, "userId": oa_id } }),
            Some(&oua),
        )
        .await;
    assert_forbidden(&removed, &not_assignable("organization-admin"));

    // The organization admin assigns every organization role, but not its own.
    let promoted = app
        .gql(
            MEMBER_ROLES,
            json!({ "input": { "organizationId": acme, "userId": dev_id, "roles": ["ORGANIZATION_USER_ADMIN", "ORGANIZATION_AUDITOR"] } }),
            Some(&oa),
        )
        .await;
    assert_eq!(
        promoted.data()["updateOrganizationMemberRoles"]["roles"],
        json!([
            "ORGANIZATION_MEMBER",
            "ORGANIZATION_AUDITOR",
            "ORGANIZATION_USER_ADMIN"
        ])
    );
    let itself = app
        .gql(
            MEMBER_ROLES,
            json!({ "input": { "organizationId": acme, "userId": oa_id, "roles": [] } }),
            Some(&oa),
        )
        .await;
    assert_forbidden(&itself, "You cannot change your own roles.");
    // Site roles are out of its reach.
    let site = app
        .gql(
            UPDATE_ROLES,
            json!({ "input": { "id": dev_id, "siteRoles": ["AUDITOR"] } }),
            Some(&oa),
        )
        .await;
    assert_eq!(site.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn owners_assign_site_roles_but_not_their_own() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let (dev_id, _) = app.create_user(&owner, "dev", &[]).await;
    let updated = app
        .gql(
            UPDATE_ROLES,
            json!({ "input": { "id": dev_id, "siteRoles": ["TEMPLATE_ADMIN", "AUDITOR", "MEMBER"] } }),
            Some(&owner),
        )
        .await;
    assert_eq!(
        updated.data()["updateUserRoles"]["siteRoles"],
        json!(["MEMBER", "AUDITOR", "TEMPLATE_ADMIN"])
    );
    let owner_id = app
        .gql("{ viewer { id } }", json!({}), Some(&owner))
        .await
        .data()["viewer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let own = app
        .gql(
            UPDATE_ROLES,
            json!({ "input": { "id": owner_id, "siteRoles": [] } }),
            Some(&owner),
        )
        .await;
    assert_forbidden(&own, "You cannot change your own roles.");
    assert_eq!(
        site_roles(&app, &owner, &owner_id).await,
        json!(["MEMBER", "OWNER"])
    );
}

#[tokio::test]
async fn owners_cannot_be_suspended() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let (_, ua) = app.create_user(&owner, "ua", &["USER_ADMIN"]).await;
    let (second_id, _) = app.create_user(&owner, "second", &["OWNER"]).await;
    let message =
        "You cannot suspend a user with the \"owner\" role. You must remove the role first.";
    for token in [&ua, &owner] {
        let suspended = app
            .gql(
                SET_STATUS,
                json!({ "input": { "id": second_id, "status": "SUSPENDED" } }),
                Some(token),
            )
            .await;
        assert_forbidden(&suspended, message);
    }
    // Once the role is gone, the user can be suspended.
    app.gql(
        UPDATE_ROLES,
        json!({ "input": { "id": second_id, "siteRoles": [] } }),
        Some(&owner),
    )
    .await
    .data();
    let suspended = app
        .gql(
            SET_STATUS,
            json!({ "input": { "id": second_id, "status": "SUSPENDED" } }),
            Some(&ua),
        )
        .await;
    assert_eq!(suspended.data()["updateUserStatus"]["status"], "SUSPENDED");
}

#[tokio::test]
async fn the_last_active_owner_keeps_the_role() {
    let app = TestApp::spawn().await;
    let first = app.create_first_user().await;
    let (second_id, second) = app.create_user(&first, "second", &["OWNER"]).await;
    let first_id = app
        .gql("{ viewer { id } }", json!({}), Some(&first))
        .await
        .data()["viewer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Two owners demote each other at the same time: exactly one succeeds.
    let demote = |id: &str| json!({ "input": { "id": id, "siteRoles": [] } });
    let (a, b) = tokio::join!(
        app.gql(UPDATE_ROLES, demote(&second_id), Some(&first)),
        app.gql(UPDATE_ROLES, demote(&first_id), Some(&second)),
    );
    let succeeded = [&a, &b]
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    assert_eq!(succeeded, 1, "{} / {}", a.body, b.body);
    let owners: Vec<String> = devplane::entity::user::Entity::find()
        .all(&app.db)
        .await
        .expect("users")
        .into_iter()
        .filter(|u| devplane::domain::identity::site_roles_of(u).contains(&SiteRole::Owner))
        .map(|u| u.id.to_string())
        .collect();
    assert_eq!(owners.len(), 1, "{owners:?}");

    // Even a caller whose roles were read before they changed cannot remove the last owner.
    let stale = devplane::authz::Subject {
        user_id: Uuid::new_v4(),
        site_roles: vec![SiteRole::Owner],
        org_roles: Default::default(),
        name: "stale".into(),
        internal: false,
        origin: Default::default(),
    };
    let refused = devplane::domain::identity::update_user_roles(
        &app.db,
        &devplane::domain::identity::CredentialCache::new(chrono::Duration::zero()),
        &stale,
        Utc::now(),
        owners[0].parse().expect("uuid"),
        vec![],
    )
    .await;
    assert!(
        matches!(refused, Err(devplane::domain::identity::Error::LastOwner)),
        "{refused:?}"
    );
}
