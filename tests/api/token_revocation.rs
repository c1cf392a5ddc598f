//! Tokens can be listed and revoked: `apiTokens`, `deleteApiToken` and `logout`; a deleted
//! token is refused on the very next request.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const CREATE_TOKEN: &str = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiKey { id name } } }";
const LIST: &str = "query($userId: UUID) { apiTokens(userId: $userId) { id name } }";
const DELETE: &str = "mutation($id: String!) { deleteApiToken(id: $id) { id name } }";

async fn create_token(app: &TestApp, session: &str, name: &str) -> (String, String) {
    let created = app
        .gql(
            CREATE_TOKEN,
            json!({ "input": { "name": name, "lifetimeSeconds": 3600 } }),
            Some(session),
        )
        .await;
    let data = &created.data()["createApiToken"];
    (
        data["apiKey"]["id"].as_str().expect("id").to_owned(),
        data["token"].as_str().expect("token").to_owned(),
    )
}

async fn viewer_status(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = app
        .gql("{ viewer { username } }", json!({}), Some(token))
        .await;
    (response.status, response.body)
}

#[tokio::test]
async fn users_list_and_delete_their_tokens() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let (_, dev) = app.create_user(&owner, "dev", &[]).await;
    let (ci_id, ci_token) = create_token(&app, &dev, "ci").await;
    app.clock.advance(chrono::Duration::seconds(1));
    let (_, _) = create_token(&app, &dev, "laptop").await;

    let listed = app.gql(LIST, json!({}), Some(&dev)).await;
    assert_eq!(
        listed.data()["apiTokens"]
            .as_array()
            .expect("list")
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["laptop", "ci"]
    );
    assert_eq!(viewer_status(&app, &ci_token).await.0, StatusCode::OK);

    let deleted = app.gql(DELETE, json!({ "id": ci_id }), Some(&dev)).await;
    assert_eq!(deleted.data()["deleteApiToken"]["name"], "ci");
    let (status, body) = viewer_status(&app, &ci_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let listed = app.gql(LIST, json!({}), Some(&dev)).await;
    assert_eq!(
        listed.data()["apiTokens"],
        json!([{ "id": listed.data()["apiTokens"][0]["id"], "name": "laptop" }])
    );

    // Deleting it again, or an id that never existed, is NOT_FOUND.
    let again = app.gql(DELETE, json!({ "id": ci_id }), Some(&dev)).await;
    assert_eq!(again.error_code(), "NOT_FOUND");
    let junk = app
        .gql(DELETE, json!({ "id": "x".repeat(10_000) }), Some(&dev))
        .await;
    assert_eq!(junk.error_code(), "NOT_FOUND");
}

#[tokio::test]
async fn only_owners_see_and_revoke_other_users_tokens() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let (dev_id, dev) = app.create_user(&owner, "dev", &[]).await;
    let (_, other) = app.create_user(&owner, "other", &[]).await;
    let (_, user_admin) = app.create_user(&owner, "ua", &["USER_ADMIN"]).await;
    let (ci_id, ci_token) = create_token(&app, &dev, "ci").await;

    for token in [&other, &user_admin] {
        let listed = app
            .gql(LIST, json!({ "userId": dev_id }), Some(token))
            .await;
        assert_eq!(listed.error_code(), "FORBIDDEN");
        // Someone else's token looks like a missing one.
        let deleted = app.gql(DELETE, json!({ "id": ci_id }), Some(token)).await;
        assert_eq!(deleted.error_code(), "NOT_FOUND");
    }
    assert_eq!(viewer_status(&app, &ci_token).await.0, StatusCode::OK);

    let listed = app
        .gql(LIST, json!({ "userId": dev_id }), Some(&owner))
        .await;
    assert_eq!(
        listed.data()["apiTokens"],
        json!([{ "id": ci_id, "name": "ci" }])
    );
    let deleted = app.gql(DELETE, json!({ "id": ci_id }), Some(&owner)).await;
    assert_eq!(deleted.data()["deleteApiToken"]["id"], ci_id);
    assert_eq!(
        viewer_status(&app, &ci_token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_deletes_the_session_used_and_only_it() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let (_, first) = app.create_user(&owner, "dev", &[]).await;
    let second = app.login("dev@example.com", "user-password").await;

    let out = app
        .gql("mutation { logout { id name } }", json!({}), Some(&first))
        .await;
    assert_eq!(out.data()["logout"]["name"], Value::Null);
    assert_eq!(
        out.data()["logout"]["id"].as_str(),
        first.split_once('-').map(|(id, _)| id)
    );
    assert_eq!(
        viewer_status(&app, &first).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The other session of the same user still works.
    let (status, body) = viewer_status(&app, &second).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["viewer"]["username"], "dev");

    let anonymous = app.gql("mutation { logout { id } }", json!({}), None).await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
}
