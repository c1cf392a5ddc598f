//! Groups: creation, validation, and membership rules (the prebuilds user may always join).

use serde_json::json;

use crate::helpers::TestApp;

const PREBUILDS_USER: &str = "c42fdf75-3097-471c-8c33-fb52454d81c0";
const CREATE_GROUP: &str = "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id name avatarUrl quotaAllowance } }";
const UPDATE_GROUP: &str = "mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { name displayName avatarUrl quotaAllowance members { username isSystem } } }";
const GROUP: &str =
    "query($id: UUID!) { group(id: $id) { name quotaAllowance members { username } } }";

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let org = app.default_org(&admin).await;
    let created = app
        .gql(
            CREATE_GROUP,
            json!({ "input": { "organizationId": org, "name": "devs", "quotaAllowance": 3 } }),
            Some(&admin),
        )
        .await;
    let group = created.data()["createGroup"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (app, admin, group)
}

#[tokio::test]
async fn non_members_cannot_be_added_and_nothing_changes() {
    let (app, admin, group) = setup().await;
    // A user of another organization only.
    let acme = app
        .gql(
            "mutation { createOrganization(input: {name: \"acme\"}) { id } }",
            json!({}),
            Some(&admin),
        )
        .await
        .data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let outsider = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": "o@example.com", "username": "outsider", "password": "password-1", "organizationIds": [acme] } }),
            Some(&admin),
        )
        .await
        .data()["createUser"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let refused = app
        .gql(
            UPDATE_GROUP,
            json!({ "input": { "id": group, "name": "renamed", "addUsers": [outsider] } }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_code(), "BAD_USER_INPUT");
    assert_eq!(refused.validations()[0]["field"], "addUsers[0]");
    assert_eq!(
        refused.validations()[0]["detail"],
        format!("user {outsider} must be a member of the organization")
    );
    let unchanged = app.gql(GROUP, json!({ "id": group }), Some(&admin)).await;
    assert_eq!(
        unchanged.data()["group"],
        json!({ "name": "devs", "quotaAllowance": 3, "members": [] })
    );
}

#[tokio::test]
async fn the_prebuilds_user_may_always_be_added() {
    let (app, admin, group) = setup().await;
    let (dev_id, _) = app.create_user(&admin, "dev", &[]).await;
    let updated = app
        .gql(
            UPDATE_GROUP,
            json!({ "input": { "id": group, "quotaAllowance": 10, "addUsers": [PREBUILDS_USER, dev_id] } }),
            Some(&admin),
        )
        .await;
    let group_data = &updated.data()["updateGroup"];
    assert_eq!(group_data["quotaAllowance"], 10);
    assert_eq!(
        group_data["members"],
        json!([{ "username": "dev", "isSystem": false }, { "username": "prebuilds", "isSystem": true }])
    );
    // Adding again is harmless; removing works.
    let removed = app
        .gql(UPDATE_GROUP, json!({ "input": { "id": group, "addUsers": [PREBUILDS_USER], "removeUsers": [dev_id] } }), Some(&admin))
        .await;
    assert_eq!(
        removed.data()["updateGroup"]["members"],
        json!([{ "username": "prebuilds", "isSystem": true }])
    );
}

#[tokio::test]
async fn avatar_urls_must_be_absolute_http() {
    let (app, admin, group) = setup().await;
    for bad in [
        "not a url",
        "/relative.png",
        "ftp://example.com/a.png",
        "javascript:alert(1)",
    ] {
        let response = app
            .gql(
                UPDATE_GROUP,
                json!({ "input": { "id": group, "avatarUrl": bad } }),
                Some(&admin),
            )
            .await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{bad}");
        assert_eq!(response.validations()[0]["field"], "avatarUrl", "{bad}");
    }
    let ok = app
        .gql(
            UPDATE_GROUP,
            json!({ "input": { "id": group, "avatarUrl": "https://example.com/devs.png" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        ok.data()["updateGroup"]["avatarUrl"],
        "https://example.com/devs.png"
    );
    let cleared = app
        .gql(
            UPDATE_GROUP,
            json!({ "input": { "id": group, "avatarUrl": "" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(cleared.data()["updateGroup"]["avatarUrl"], "");

    let org = app.default_org(&admin).await;
    let create_bad = app
        .gql(CREATE_GROUP, json!({ "input": { "organizationId": org, "name": "x", "avatarUrl": "x.png", "quotaAllowance": -1 } }), Some(&admin))
        .await;
    let fields: Vec<&str> = create_bad
        .validations()
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["avatarUrl", "quotaAllowance"]);
}

#[tokio::test]
async fn group_rules_for_members_and_names() {
    let (app, admin, group) = setup().await;
    let (_, member) = app.create_user(&admin, "dev", &[]).await;
    let denied = app
        .gql(
            UPDATE_GROUP,
            json!({ "input": { "id": group, "quotaAllowance": 99 } }),
            Some(&member),
        )
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");
    // Members may read their organization's groups.
    assert_eq!(
        app.gql(GROUP, json!({ "id": group }), Some(&member))
            .await
            .data()["group"]["name"],
        "devs"
    );

    let org = app.default_org(&admin).await;
    let duplicate = app
        .gql(
            CREATE_GROUP,
            json!({ "input": { "organizationId": org, "name": "devs" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(duplicate.error_code(), "CONFLICT");
    let groups = app
        .gql(
            "query($org: UUID!) { groups(organizationId: $org) { name } }",
            json!({ "org": org }),
            Some(&member),
        )
        .await;
    assert_eq!(groups.data()["groups"], json!([{ "name": "devs" }]));
    let missing = app
        .gql(
            GROUP,
            json!({ "id": "00000000-0000-0000-0000-000000000000" }),
            Some(&admin),
        )
        .await;
    assert_eq!(missing.error_code(), "NOT_FOUND");
}
