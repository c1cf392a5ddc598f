//! Setup, login, tokens and their expiry, suspension.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

const VIEWER: &str = "query ViewerQuery { viewer { username siteRoles organizationMemberships { roles organization { name isDefault } } } }";

#[tokio::test]
async fn first_user_sets_up_the_deployment_once() {
    let app = TestApp::spawn().await;
    let before = app.gql("{ hasFirstUser }", json!({}), None).await;
    assert_eq!(before.data()["hasFirstUser"], false);

    let token = app.create_first_user().await;
    let viewer = app.gql(VIEWER, json!({}), Some(&token)).await;
    let viewer = &viewer.data()["viewer"];
    assert_eq!(viewer["username"], "admin");
    assert_eq!(viewer["siteRoles"], json!(["MEMBER", "OWNER"]));
    assert_eq!(
        viewer["organizationMemberships"],
        json!([{ "roles": ["ORGANIZATION_MEMBER"], "organization": { "name": "default", "isDefault": true } }])
    );
    assert_eq!(
        app.gql("{ hasFirstUser }", json!({}), None).await.data()["hasFirstUser"],
        true
    );

    let again = app
        .gql(
            "mutation { createFirstUser(input: {email: \"x@example.com\", username: \"x\", password: \"password-x\"}) { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(
        again.body["errors"][0]["message"],
        "The initial user has already been created."
    );
    assert!(again.body["data"].is_null());
}

#[tokio::test]
async fn first_user_input_errors_are_reported_together() {
    let app = TestApp::spawn().await;
    let response = app
        .gql(
            "mutation { createFirstUser(input: {email: \"nope\", username: \"-bad-\", password: \"short\"}) { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
    let fields: Vec<&str> = response
        .validations()
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["email", "username", "password"]);
    // Nothing was created.
    assert_eq!(
        app.gql("{ hasFirstUser }", json!({}), None).await.data()["hasFirstUser"],
        false
    );
}

#[tokio::test]
async fn login_checks_the_password() {
    let app = TestApp::spawn().await;
    app.create_first_user().await;
    let login =
        "mutation($input: LoginInput!) { login(input: $input) { token user { username } } }";

    let wrong = app
        .gql(
            login,
            json!({ "input": { "email": "admin@example.com", "password": "wrong-password" } }),
            None,
        )
        .await;
    assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    assert_eq!(
        wrong.body["errors"][0]["message"],
        "Incorrect email or password."
    );

    let unknown = app
        .gql(
            login,
            json!({ "input": { "email": "nobody@example.com", "password": "admin-password" } }),
            None,
        )
        .await;
    assert_eq!(unknown.error_code(), "UNAUTHENTICATED");
    assert_eq!(
        unknown.body["errors"][0]["message"],
        wrong.body["errors"][0]["message"]
    );

    // Emails compare case-insensitively.
    let ok = app
        .gql(
            login,
            json!({ "input": { "email": "ADMIN@example.com", "password": "admin-password" } }),
            None,
        )
        .await;
    assert_eq!(ok.data()["login"]["user"]["username"], "admin");
    let token = ok.data()["login"]["token"].as_str().expect("token");
    let (id, secret) = token.split_once('-').expect("<id>-<secret>");
    assert_eq!((id.len(), secret.len()), (10, 22));
    assert_eq!(
        app.gql(VIEWER, json!({}), Some(token)).await.data()["viewer"]["username"],
        "admin"
    );
}

#[tokio::test]
async fn tokens_expire() {
    let app = TestApp::spawn().await;
    let session = app.create_first_user().await;
    let created = app
        .gql(
            "mutation { createApiToken(input: {name: \"ci\", lifetimeSeconds: 60}) { token apiKey { name expiresAt } } }",
            json!({}),
            Some(&session),
        )
        .await;
    let api_token = created.data()["createApiToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(created.data()["createApiToken"]["apiKey"]["name"], "ci");
    assert_eq!(
        app.gql(VIEWER, json!({}), Some(&api_token)).await.data()["viewer"]["username"],
        "admin"
    );

    app.clock.advance(Duration::seconds(61));
    let expired = app.gql(VIEWER, json!({}), Some(&api_token)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.error_code(), "UNAUTHENTICATED");
    assert_eq!(expired.body["errors"][0]["message"], "API key expired.");
    // The 24-hour session still works, until it too expires.
    assert_eq!(
        app.gql(VIEWER, json!({}), Some(&session)).await.data()["viewer"]["username"],
        "admin"
    );
    app.clock.advance(Duration::hours(24));
    assert_eq!(
        app.gql(VIEWER, json!({}), Some(&session))
            .await
            .error_code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn api_token_input_is_checked() {
    let app = TestApp::spawn().await;
    let session = app.create_first_user().await;
    let create =
        "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }";
    let too_long = app
        .gql(
            create,
            json!({ "input": { "name": "long", "lifetimeSeconds": 400 * 86400 } }),
            Some(&session),
        )
        .await;
    assert_eq!(too_long.error_code(), "BAD_USER_INPUT");
    assert_eq!(too_long.validations()[0]["field"], "lifetimeSeconds");

    let first = app
        .gql(
            create,
            json!({ "input": { "name": "deploy", "lifetimeSeconds": 3600 } }),
            Some(&session),
        )
        .await;
    first.data();
    let duplicate = app
        .gql(
            create,
            json!({ "input": { "name": "deploy", "lifetimeSeconds": 3600 } }),
            Some(&session),
        )
        .await;
    assert_eq!(duplicate.error_code(), "CONFLICT");

    let anonymous = app
        .gql(
            create,
            json!({ "input": { "name": "x", "lifetimeSeconds": 60 } }),
            None,
        )
        .await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn tokens_are_accepted_in_either_header_and_bad_ones_refused() {
    let app = TestApp::spawn().await;
    let token = app.create_first_user().await;
    let via_coder_header = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Coder-Session-Token", &token)
        .json(&json!({ "query": "{ viewer { username } }" }))
        .send()
        .await
        .expect("sent");
    let body: serde_json::Value = via_coder_header.json().await.expect("json");
    assert_eq!(body["data"]["viewer"]["username"], "admin");

    // The real token with its last character changed (to one it cannot already be).
    let last = if token.ends_with('x') { 'y' } else { 'x' };
    for bad in [
        "garbage",
        "abcdefghij-0000000000000000000000",
        &format!("{}{last}", &token[..token.len() - 1]),
    ] {
        let response = app.gql(VIEWER, json!({}), Some(bad)).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(response.error_code(), "UNAUTHENTICATED", "{bad}");
    }
    let anonymous = app.gql(VIEWER, json!({}), None).await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
    assert_eq!(anonymous.body["errors"][0]["path"], json!(["viewer"]));
}

#[tokio::test]
async fn suspended_users_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let (user_id, user_token) = app.create_user(&admin, "dev", &[]).await;
    let status =
        "mutation($input: UpdateUserStatusInput!) { updateUserStatus(input: $input) { status } }";

    // Members cannot suspend anyone, themselves included.
    let denied = app
        .gql(
            status,
            json!({ "input": { "id": user_id, "status": "SUSPENDED" } }),
            Some(&user_token),
        )
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");

    let suspended = app
        .gql(
            status,
            json!({ "input": { "id": user_id, "status": "SUSPENDED" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(suspended.data()["updateUserStatus"]["status"], "SUSPENDED");
    let refused = app.gql(VIEWER, json!({}), Some(&user_token)).await;
    assert_eq!(refused.error_code(), "UNAUTHENTICATED");
    let login = app
        .gql(
            "mutation { login(input: {email: \"dev@example.com\", password: \"user-password\"}) { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(login.error_code(), "UNAUTHENTICATED");

    app.gql(
        status,
        json!({ "input": { "id": user_id, "status": "ACTIVE" } }),
        Some(&admin),
    )
    .await
    .data();
    assert_eq!(
        app.gql(VIEWER, json!({}), Some(&user_token)).await.data()["viewer"]["username"],
        "dev"
    );
}

#[tokio::test]
async fn users_lists_hide_system_users_and_respect_roles() {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let (_, member) = app.create_user(&admin, "dev", &[]).await;
    let (_, auditor) = app.create_user(&admin, "aud", &["AUDITOR"]).await;
    let names = |response: &crate::helpers::GqlResponse| -> Vec<String> {
        response.data()["users"]
            .as_array()
            .expect("list")
            .iter()
            .map(|u| u["username"].as_str().expect("name").to_owned())
            .collect()
    };
    let query = "{ users { username } }";
    assert_eq!(
        names(&app.gql(query, json!({}), Some(&admin)).await),
        ["admin", "aud", "dev"]
    );
    assert_eq!(
        names(&app.gql(query, json!({}), Some(&auditor)).await),
        ["admin", "aud", "dev"]
    );
    assert_eq!(
        names(&app.gql(query, json!({}), Some(&member)).await),
        ["dev"]
    );
    let paged = app
        .gql(
            "{ users(offset: 1, limit: 1) { username } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(names(&paged), ["aud"]);
    let too_many = app
        .gql(
            "{ users(limit: 1001) { username } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(too_many.error_code(), "BAD_USER_INPUT");
}
