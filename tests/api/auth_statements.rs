//! What authenticating a request costs in SQL statements (one, whatever the credential, and
//! none for a user token the server accepted a moment ago), and how long a change to a
//! caller takes to apply: on the very next request when made through the same server, within
//! the credential cache's lifetime when made through another replica or in the database.

use chrono::Duration;
use devplane::{clock::Clock, entity::user};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{GqlResponse, TestApp, setup};

const VIEWER: &str = "{ viewer { id username lastSeenAt } }";
const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
const USER_ROLES: &str =
    "mutation($input: UpdateUserRolesInput!) { updateUserRoles(input: $input) { id } }";
const MEMBER_ROLES: &str = "mutation($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { roles } }";
const USER_STATUS: &str =
    "mutation($input: UpdateUserStatusInput!) { updateUserStatus(input: $input) { status } }";
const CREATE_GROUP: &str =
    "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }";
/// Owners only: reading deployment settings.
const OWNER_ONLY: &str = "{ prebuildsSettings { reconciliationPaused } }";

/// Runs the background jobs that are due, so that none runs while a request is measured.
/// The test clock stands still, so none is due again until a test moves it.
async fn settle(app: &TestApp) {
    app.tick().await;
}

/// The number of statements `request` ran, and its result.
async fn cost<T>(app: &TestApp, request: impl Future<Output = T>) -> (u64, T) {
    let before = app.statements().await;
    let result = request.await;
    (app.statements().await - before, result)
}

/// Asserts a request was refused for its credential, with `message`.
fn assert_refused(response: &GqlResponse, message: &str) {
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.body
    );
    assert_eq!(response.error_code(), "UNAUTHENTICATED");
    assert_eq!(response.body["errors"][0]["message"], message);
}

/// Creates `username` as a member of `organizations` and logs it in: (user id, token).
async fn member_of(
    app: &TestApp,
    admin: &str,
    username: &str,
    organizations: &[&str],
) -> (String, String) {
    let email = format!("{username}@example.com");
    let created = app
        .gql(
            CREATE_USER,
            json!({ "input": { "email": email, "username": username, "password": "user-password", "organizationIds": organizations } }),
            Some(admin),
        )
        .await;
    let id = created.data()["createUser"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (id, app.login(&email, "user-password").await)
}

/// The server's default `--credential-cache-ttl`.
const CACHE_TTL: Duration = Duration::seconds(5);

/// Replaces the site roles of `user_id`, as the owner holding `admin`.
async fn set_site_roles(app: &TestApp, admin: &str, user_id: &str, roles: Value) {
    app.gql(
        USER_ROLES,
        json!({ "input": { "id": user_id, "siteRoles": roles } }),
        Some(admin),
    )
    .await
    .data();
}

/// Creates an API token for the holder of `token`, living `seconds`: (the token, its id).
async fn api_token(app: &TestApp, token: &str, seconds: i64) -> (String, String) {
    let created = app
        .gql(
            "mutation($s: Int!) { createApiToken(input: {name: \"ci\", lifetimeSeconds: $s}) { token apiKey { id } } }",
            json!({ "s": seconds }),
            Some(token),
        )
        .await;
    let created = &created.data()["createApiToken"];
    let text = |v: &Value| v.as_str().expect("string").to_owned();
    (text(&created["token"]), text(&created["apiKey"]["id"]))
}

/// Deletes the API token `id` as the holder of `token`.
async fn delete_api_token(app: &TestApp, token: &str, id: &str) {
    app.gql(
        "mutation($id: String!) { deleteApiToken(id: $id) { id } }",
        json!({ "id": id }),
        Some(token),
    )
    .await
    .data();
}

#[tokio::test]
async fn a_user_token_costs_one_statement_then_none_while_remembered() {
    let (app, admin, org) = setup().await;
    let second = app
        .gql(
            "mutation { createOrganization(input: {name: \"second\"}) { id } }",
            json!({}),
            Some(&admin),
        )
        .await
        .data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Two memberships: the join returns a row for each, still in one statement.
    let (dev_id, dev) = member_of(&app, &admin, "dev", &[&org, &second]).await;
    settle(&app).await;

    let (statements, viewer) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(viewer.data()["viewer"]["id"], dev_id);
    assert_eq!(viewer.data()["viewer"]["username"], "dev");
    assert_eq!(statements, 1, "a user token read from the database");
    let (statements, viewer) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(viewer.data()["viewer"]["id"], dev_id);
    assert_eq!(statements, 0, "the same token again, remembered");
    // The owner's last request (creating dev) left its token remembered too.
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&admin))).await;
    assert_eq!(statements, 0, "viewer with the owner's token");

    // Both memberships made it into the subject.
    let organizations = app
        .gql("{ organizations { id } }", json!({}), Some(&dev))
        .await;
    let mut ids: Vec<&str> = organizations.data()["organizations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    let mut expected = vec![org.as_str(), second.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // Once the lifetime has passed the token is read again.
    app.clock.advance(CACHE_TTL);
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 1, "after the cache's lifetime");

    // A minute on, the first request refreshes last_used_at and last_seen_at (two more
    // statements); the next one is remembered again.
    app.clock.advance(Duration::seconds(61));
    settle(&app).await;
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 3, "the once-a-minute refresh");
    let refreshed_at = app.clock.now();
    let (statements, viewer) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 0, "after the refresh");
    let seen = |viewer: &GqlResponse| -> chrono::DateTime<chrono::Utc> {
        viewer.data()["viewer"]["lastSeenAt"]
            .as_str()
            .expect("lastSeenAt")
            .parse()
            .expect("time")
    };
    assert_eq!(seen(&viewer).timestamp(), refreshed_at.timestamp());

    // The refresh is due again while the token is remembered: the remembered entry (read 59
    // seconds after the last refresh) is refreshed without reading the key.
    app.clock.advance(Duration::seconds(59));
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 1, "read again, not yet due for a refresh");
    app.clock.advance(Duration::seconds(2));
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 2, "the refresh of a remembered token");
    let (statements, viewer) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 0);
    assert_eq!(seen(&viewer).timestamp(), app.clock.now().timestamp());
    let stored = user::Entity::find_by_id(dev_id.parse::<Uuid>().expect("uuid"))
        .one(&app.db)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(
        stored.last_seen_at.map(|t| t.timestamp()),
        Some(app.clock.now().timestamp())
    );
}

#[tokio::test]
async fn without_the_cache_every_request_reads_its_token() {
    let app = TestApp::spawn_with(&["--credential-cache-ttl", "0"]).await;
    let admin = app.create_first_user().await;
    settle(&app).await;
    for _ in 0..3 {
        let (statements, viewer) = cost(&app, app.gql(VIEWER, json!({}), Some(&admin))).await;
        assert_eq!(viewer.data()["viewer"]["username"], "admin");
        assert_eq!(statements, 1);
    }
}

#[tokio::test]
async fn agent_and_provisioner_credentials_cost_one_statement() {
    let (app, _, _) = setup().await;
    let (token, _, workspace) = app
        .running_workspace(json!({}), None, app.clock.now())
        .await;
    let agent = app.agent_token(&token, &workspace).await;
    let org = app.default_org(&token).await;
    let key = app.create_provisioner_key(&token, &org, "external").await;
    settle(&app).await;

    // `__typename` reads nothing: what the request costs is its authentication.
    let (statements, response) =
        cost(&app, app.agent_gql(&agent, "{ __typename }", json!({}))).await;
    assert_eq!(response.data()["__typename"], "Query");
    assert_eq!(statements, 1, "an agent token");
    let (statements, response) =
        cost(&app, app.as_provisioner(&key, "{ __typename }", json!({}))).await;
    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(statements, 1, "a provisioner key");
}

#[tokio::test]
async fn role_changes_take_effect_on_the_next_request() {
    let (app, admin, org) = setup().await;
    let (dev_id, dev) = member_of(&app, &admin, "dev", &[&org]).await;

    let refused = app.gql(OWNER_ONLY, json!({}), Some(&dev)).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    set_site_roles(&app, &admin, &dev_id, json!(["OWNER"])).await;
    app.gql(OWNER_ONLY, json!({}), Some(&dev)).await.data();
    set_site_roles(&app, &admin, &dev_id, json!([])).await;
    let refused = app.gql(OWNER_ONLY, json!({}), Some(&dev)).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    // Roles in an organization come from the same statement.
    let group = |name: &str| json!({ "input": { "organizationId": org, "name": name } });
    let refused = app.gql(CREATE_GROUP, group("before"), Some(&dev)).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    app.gql(
        MEMBER_ROLES,
        json!({ "input": { "organizationId": org, "userId": dev_id, "roles": ["ORGANIZATION_USER_ADMIN"] } }),
        Some(&admin),
    )
    .await
    .data();
    app.gql(CREATE_GROUP, group("after"), Some(&dev))
        .await
        .data();
}

#[tokio::test]
async fn revoked_credentials_are_refused_on_the_next_request() {
    let (app, admin, org) = setup().await;
    let (dev_id, dev) = member_of(&app, &admin, "dev", &[&org]).await;
    app.gql(VIEWER, json!({}), Some(&dev)).await.data();

    // Suspended, then reactivated.
    let status = |status: &str| json!({ "input": { "id": dev_id, "status": status } });
    app.gql(USER_STATUS, status("SUSPENDED"), Some(&admin))
        .await
        .data();
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(&dev)).await,
        "Your account is suspended. Contact an administrator to reactivate it.",
    );
    app.gql(USER_STATUS, status("ACTIVE"), Some(&admin))
        .await
        .data();
    app.gql(VIEWER, json!({}), Some(&dev)).await.data();

    // A deleted token.
    let (ci, ci_id) = api_token(&app, &dev, 3600).await;
    let ci_token = ci.as_str();
    app.gql(VIEWER, json!({}), Some(ci_token)).await.data();
    delete_api_token(&app, &dev, &ci_id).await;
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(ci_token)).await,
        "API key is invalid.",
    );

    // A wrong secret, a malformed token, an expired one.
    let (id, secret) = dev.split_once('-').expect("id-secret");
    let wrong = format!("{id}-{}", "x".repeat(secret.len()));
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(&wrong)).await,
        "API key secret is invalid.",
    );
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(id)).await,
        "Invalid API key format.",
    );

    // A deleted user (there is no API for it: marked in the database). A change straight in
    // the database is not announced: it applies when the remembered token expires.
    app.gql(VIEWER, json!({}), Some(&dev)).await.data();
    user::Entity::update_many()
        .col_expr(user::Column::Deleted, Expr::value(true))
        .filter(user::Column::Id.eq(dev_id.parse::<Uuid>().expect("uuid")))
        .exec(&app.db)
        .await
        .expect("user marked deleted");
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&dev))).await;
    assert_eq!(statements, 0, "still remembered");
    app.clock.advance(CACHE_TTL);
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(&dev)).await,
        "API key is invalid.",
    );

    app.clock.advance(Duration::days(2));
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(&admin)).await,
        "API key expired.",
    );
}

#[tokio::test]
async fn a_remembered_token_still_has_its_secret_and_expiry_checked() {
    let (app, admin, org) = setup().await;
    let (_, dev) = member_of(&app, &admin, "dev", &[&org]).await;
    let (short, _) = api_token(&app, &dev, 3).await;
    settle(&app).await;
    app.gql(VIEWER, json!({}), Some(&short)).await.data();

    // The id is remembered; a wrong secret for it is refused without a statement.
    let (id, secret) = short.split_once('-').expect("id-secret");
    let wrong = format!("{id}-{}", "x".repeat(secret.len()));
    let (statements, refused) = cost(&app, app.gql(VIEWER, json!({}), Some(&wrong))).await;
    assert_refused(&refused, "API key secret is invalid.");
    assert_eq!(statements, 0);
    let (statements, _) = cost(&app, app.gql(VIEWER, json!({}), Some(&short))).await;
    assert_eq!(statements, 0, "the right secret still works");

    // The key expires while it is remembered.
    app.clock.advance(Duration::seconds(3));
    let (statements, refused) = cost(&app, app.gql(VIEWER, json!({}), Some(&short))).await;
    assert_refused(&refused, "API key expired.");
    assert_eq!(statements, 0);
}

#[tokio::test]
async fn changes_through_another_replica_apply_within_the_cache_lifetime() {
    if !std::env::var(crate::helpers::PG_ENV).is_ok_and(|url| !url.is_empty()) {
        eprintln!(
            "skipped: replicas need PostgreSQL ({})",
            crate::helpers::PG_ENV
        );
        return;
    }
    let (app, admin, org) = setup().await;
    let (dev_id, dev) = member_of(&app, &admin, "dev", &[&org]).await;
    let replica = app.replica(&[]).await;
    let refused = replica.gql(OWNER_ONLY, json!({}), Some(&dev)).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    set_site_roles(&app, &admin, &dev_id, json!(["OWNER"])).await;
    // Through the server that made the change: at once.
    app.gql(OWNER_ONLY, json!({}), Some(&dev)).await.data();
    // The replica goes on with what it read, until its entry expires.
    let refused = replica.gql(OWNER_ONLY, json!({}), Some(&dev)).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    app.clock.advance(CACHE_TTL);
    replica.gql(OWNER_ONLY, json!({}), Some(&dev)).await.data();

    // A deleted token, likewise.
    let (ci, ci_id) = api_token(&app, &dev, 3600).await;
    let ci_token = ci.as_str();
    replica.gql(VIEWER, json!({}), Some(ci_token)).await.data();
    delete_api_token(&app, &dev, &ci_id).await;
    assert_refused(
        &app.gql(VIEWER, json!({}), Some(ci_token)).await,
        "API key is invalid.",
    );
    replica.gql(VIEWER, json!({}), Some(ci_token)).await.data();
    app.clock.advance(CACHE_TTL);
    assert_refused(
        &replica.gql(VIEWER, json!({}), Some(ci_token)).await,
        "API key is invalid.",
    );
}
