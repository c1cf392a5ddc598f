//! Organizations, memberships and the RBAC decisions around them, over HTTP.

use serde_json::json;

use crate::helpers::TestApp;

const CREATE_ORG: &str = "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id name displayName } }";
const ADD_MEMBER: &str = "mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { roles user { username } organization { name } } }";
const CREATE_GROUP: &str =
    "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id name } }";

#[tokio::test]
async fn owners_create_organizations_members_cannot() {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let (_, member) = app.create_user(&admin, "dev", &[]).await;

    let denied = app
        .gql(
            CREATE_ORG,
            json!({ "input": { "name": "acme" } }),
            Some(&member),
        )
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");
    assert_eq!(
        denied.body["errors"][0]["message"],
        "You may not create this organization."
    );

    let created = app
        .gql(
            CREATE_ORG,
            json!({ "input": { "name": "acme", "displayName": "Acme Inc." } }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        created.data()["createOrganization"]["displayName"],
        "Acme Inc."
    );
    let acme = created.data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let duplicate = app
        .gql(
            CREATE_ORG,
            json!({ "input": { "name": "acme" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(duplicate.error_code(), "CONFLICT");
    assert_eq!(duplicate.validations()[0]["field"], "name");

    // The member only sees the default organization, and gets NOT_FOUND for the other.
    let orgs = app
        .gql("{ organizations { name } }", json!({}), Some(&member))
        .await;
    assert_eq!(orgs.data()["organizations"], json!([{ "name": "default" }]));
    let hidden = app
        .gql(
            "query($id: UUID!) { organization(id: $id) { name } }",
            json!({ "id": acme }),
            Some(&member),
        )
        .await;
    assert_eq!(hidden.error_code(), "NOT_FOUND");

    // The creator became an organization admin of it.
    let viewer = app
        .gql(
            "{ viewer { organizationMemberships { roles organization { name } } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let memberships = viewer.data()["viewer"]["organizationMemberships"]
        .as_array()
        .expect("list")
        .clone();
    let acme_membership = memberships
        .iter()
        .find(|m| m["organization"]["name"] == "acme")
        .expect("member of acme");
    assert_eq!(
        acme_membership["roles"],
        json!(["ORGANIZATION_MEMBER", "ORGANIZATION_ADMIN"])
    );
}

#[tokio::test]
async fn organization_roles_reach_only_their_organization() {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let default_org = app.default_org(&admin).await;
    let (dev_id, dev) = app.create_user(&admin, "dev", &[]).await;
    let acme = app
        .gql(
            CREATE_ORG,
            json!({ "input": { "name": "acme" } }),
            Some(&admin),
        )
        .await
        .data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // dev is a plain member of default: cannot create groups there.
    let denied = app
        .gql(
            CREATE_GROUP,
            json!({ "input": { "organizationId": default_org, "name": "devs" } }),
            Some(&dev),
        )
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");

    // Made organization-user-admin of acme, dev manages acme's groups but still not default's.
    let added = app
        .gql(ADD_MEMBER, json!({ "input": { "organizationId": acme, "userId": dev_id, "roles": ["ORGANIZATION_USER_ADMIN"] } }), Some(&admin))
        .await;
    assert_eq!(
        added.data()["addOrganizationMember"],
        json!({ "roles": ["ORGANIZATION_MEMBER", "ORGANIZATION_USER_ADMIN"], "user": { "username": "dev" }, "organization": { "name": "acme" } })
    );
    let in_acme = app
        .gql(
            CREATE_GROUP,
            json!({ "input": { "organizationId": acme, "name": "devs" } }),
            Some(&dev),
        )
        .await;
    assert_eq!(in_acme.data()["createGroup"]["name"], "devs");
    let in_default = app
        .gql(
            CREATE_GROUP,
            json!({ "input": { "organizationId": default_org, "name": "devs" } }),
            Some(&dev),
        )
        .await;
    assert_eq!(in_default.error_code(), "FORBIDDEN");

    // Adding the same member twice is a conflict; members list hides the system user.
    let twice = app
        .gql(
            ADD_MEMBER,
            json!({ "input": { "organizationId": acme, "userId": dev_id } }),
            Some(&admin),
        )
        .await;
    assert_eq!(twice.error_code(), "CONFLICT");
    let members = app
        .gql(
            "query($id: UUID!) { organization(id: $id) { members { user { username } } } }",
            json!({ "id": default_org }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        members.data()["organization"]["members"],
        json!([{ "user": { "username": "admin" } }, { "user": { "username": "dev" } }])
    );

    // Removing the membership takes the rights away.
    app.gql(
        "mutation($input: RemoveOrganizationMemberInput!) { removeOrganizationMember(input: $input) { userId } }",
        json!({ "input": { "organizationId": acme, "userId": dev_id } }),
        Some(&admin),
    )
    .await
    .data();
    let after = app
        .gql(
            CREATE_GROUP,
            json!({ "input": { "organizationId": acme, "name": "more" } }),
            Some(&dev),
        )
        .await;
    assert_eq!(after.error_code(), "NOT_FOUND");
}

#[tokio::test]
async fn user_admins_create_members_but_no_other_roles() {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let (_, user_admin) = app.create_user(&admin, "ua", &["USER_ADMIN"]).await;
    let create =
        "mutation($input: CreateUserInput!) { createUser(input: $input) { username siteRoles } }";
    let input = |name: &str, roles: serde_json::Value| json!({ "input": { "email": format!("{name}@example.com"), "username": name, "password": "password-1", "siteRoles": roles } });
    let ok = app
        .gql(create, input("plain", json!(["MEMBER"])), Some(&user_admin))
        .await;
    assert_eq!(ok.data()["createUser"]["siteRoles"], json!(["MEMBER"]));
    let template_admin = app
        .gql(
            create,
            input("tadmin", json!(["TEMPLATE_ADMIN"])),
            Some(&user_admin),
        )
        .await;
    assert_eq!(template_admin.error_code(), "FORBIDDEN");
    assert_eq!(
        template_admin.body["errors"][0]["message"],
        "You may not assign or remove the role \"template-admin\"."
    );
    let by_owner = app
        .gql(
            create,
            input("tadmin", json!(["TEMPLATE_ADMIN"])),
            Some(&admin),
        )
        .await;
    assert_eq!(
        by_owner.data()["createUser"]["siteRoles"],
        json!(["MEMBER", "TEMPLATE_ADMIN"])
    );
    let owner = app
        .gql(create, input("boss", json!(["OWNER"])), Some(&user_admin))
        .await;
    assert_eq!(owner.error_code(), "FORBIDDEN");
    let (_, member) = app.create_user(&admin, "dev", &[]).await;
    let by_member = app.gql(create, input("x", json!([])), Some(&member)).await;
    assert_eq!(by_member.error_code(), "FORBIDDEN");
    let clash = app.gql(create, input("dev", json!([])), Some(&admin)).await;
    assert_eq!(clash.error_code(), "CONFLICT");
    let unknown_role = app
        .gql(create, input("y", json!(["KING"])), Some(&admin))
        .await;
    assert!(
        unknown_role.body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("KING")
    );
}
