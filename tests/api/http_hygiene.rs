//! GraphQL-over-HTTP rules and the protections every request passes through.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, metric_sum};

#[tokio::test]
async fn mutations_over_get_are_refused_queries_allowed() {
    let app = TestApp::spawn().await;
    let url = format!("{}/graphql", app.address);
    let mutation = app
        .client
        .get(&url)
        .query(&[(
            "query",
            "mutation { login(input: {email: \"a@b.co\", password: \"x\"}) { token } }",
        )])
        .send()
        .await
        .expect("sent");
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation.headers()["allow"], "POST");
    let body: Value = mutation.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let query = app
        .client
        .get(&url)
        .query(&[("query", "{ hasFirstUser }")])
        .send()
        .await
        .expect("sent");
    assert_eq!(query.status(), StatusCode::OK);
    let body: Value = query.json().await.expect("json");
    assert_eq!(body["data"]["hasFirstUser"], false);
}

#[tokio::test]
async fn batches_are_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!([{ "query": "{ hasFirstUser }" }, { "query": "{ hasFirstUser }" }]))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("Batched requests")
    );
}

#[tokio::test]
async fn deep_and_expensive_queries_are_refused() {
    // The complexity check is reached through aliases, which have their own lower limit.
    let app = TestApp::spawn_with(&["--graphql-max-aliases", "100"]).await;
    let token = app.create_first_user().await;
    // 18 levels of selection, past the default limit of 15.
    let mut deep = String::from("id");
    for _ in 0..4 {
        deep = format!(
            "organizationMemberships {{ organization {{ members {{ user {{ {deep} }} }} }} }}"
        );
    }
    let deep = format!("{{ viewer {{ {deep} }} }}");
    let response = app.gql(&deep, json!({}), Some(&token)).await;
    assert_eq!(
        response.body["errors"][0]["message"],
        "Query is nested too deep."
    );
    assert!(response.body["data"].is_null());

    // A page of the largest size may select 50 fields per item, not more.
    let fields = |n: usize| {
        (0..n)
            .map(|i| format!("f{i}: id"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let affordable = format!("{{ users(limit: 1000) {{ {} }} }}", fields(49));
    let response = app.gql(&affordable, json!({}), Some(&token)).await;
    assert!(response.body["errors"].is_null(), "{}", response.body);
    let expensive = format!("{{ users(limit: 1000) {{ {} }} }}", fields(51));
    let response = app.gql(&expensive, json!({}), Some(&token)).await;
    assert_eq!(
        response.body["errors"][0]["message"],
        "Query is too complex."
    );
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let app = TestApp::spawn_with(&["--max-body-bytes", "2048"]).await;
    let padding = "x".repeat(4096);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": format!("{{ hasFirstUser }} # {padding}") }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let small = app.gql("{ hasFirstUser }", json!({}), None).await;
    assert_eq!(small.data()["hasFirstUser"], false);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("default-src 'self'")
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");

    let given = app
        .client
        .get(format!("{}/readyz", app.address))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(given.status(), StatusCode::OK);
    assert_eq!(given.headers()["x-request-id"], "trace-me-123");
    let missing = app
        .client
        .get(format!("{}/nope", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn browsers_get_graphiql_and_the_web_ui() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("unpkg.com")
    );
    assert!(page.text().await.expect("text").contains("graphiql"));

    let ui = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("sent");
    assert!(
        ui.text()
            .await
            .expect("text")
            .contains("<title>devplane</title>")
    );
    let js = app
        .client
        .get(format!("{}/assets/js/app.js", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/javascript")
    );
    // Unchanged files cost a 304: the browser revalidates every load with the ETag.
    let etag = js.headers()["etag"].clone();
    let again = app
        .client
        .get(format!("{}/assets/js/app.js", app.address))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304);
    assert!(again.text().await.expect("text").is_empty());
    for path in [
        "/assets/index.html",
        "/assets/js/pages/README.md",
        "/assets/..%2FCargo.toml",
        "/assets/js/..%2F..%2FCargo.toml",
        "/assets/%2Fetc%2Fpasswd",
        "/assets/js/nope.js",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn graphiql_loads_its_assets_from_the_configured_origin() {
    let app = TestApp::spawn_with(&[
        "--graphiql-assets-url",
        "https://assets.internal.example/graphiql/",
    ])
    .await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("script-src 'self' 'unsafe-inline' https://assets.internal.example;"),
        "{csp}"
    );
    assert!(!csp.contains("unpkg.com"), "{csp}");
    let html = page.text().await.expect("text");
    assert!(
        html.contains("https://assets.internal.example/graphiql/graphiql@4/graphiql.min.js"),
        "{html}"
    );
    assert!(
        !html.contains("unpkg.com"),
        "nothing is fetched from the public CDN"
    );

    // The web UI keeps its own strict policy.
    let ui = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("sent");
    let ui_csp = ui.headers()["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(ui_csp.starts_with("default-src 'self'"), "{ui_csp}");
    assert!(!ui_csp.contains("assets.internal.example"), "{ui_csp}");
}

/// The Content-Security-Policy of `path` on `app`, as a browser asking for HTML gets it.
async fn policy_of(app: &TestApp, path: &str) -> String {
    app.client
        .get(format!("{}{path}", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent")
        .headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn the_ui_may_frame_workspace_apps_from_the_configured_hosts_only() {
    let plain = TestApp::spawn().await;
    let policy = policy_of(&plain, "/").await;
    assert!(policy.contains("frame-src 'self';"), "{policy}");
    assert!(policy.contains("connect-src 'self';"), "{policy}");

    let app = TestApp::spawn_with(&[
        "--proxy-hosts",
        "proxy-eu.example.com,proxy-us.example.com:8443",
        "--wildcard-access-url",
        "https://*.apps.example.com",
    ])
    .await;
    let policy = policy_of(&app, "/").await;
    assert!(
        policy.contains(
            "frame-src 'self' proxy-eu.example.com proxy-us.example.com:8443 *.apps.example.com;"
        ),
        "{policy}"
    );
    assert!(
        policy.contains("connect-src 'self' wss://proxy-eu.example.com wss://proxy-us.example.com:8443 wss://*.apps.example.com;"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    // GraphiQL keeps its own policy.
    let graphiql = policy_of(&app, "/graphql").await;
    assert!(graphiql.contains("unpkg.com"), "{graphiql}");
    assert!(!graphiql.contains("apps.example.com"), "{graphiql}");

    // A host that would smuggle a directive into the header is refused at start-up.
    let refused = <devplane::config::Cli as clap::Parser>::try_parse_from([
        "devplane",
        "server",
        "--proxy-hosts",
        "evil.example.com; script-src *",
    ]);
    assert!(refused.is_err());
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_operation() {
    let app = TestApp::spawn().await;
    let token = app.create_first_user().await;
    for _ in 0..2 {
        app.gql(
            "query ViewerQuery { viewer { id } }",
            json!({}),
            Some(&token),
        )
        .await
        .data();
    }
    let text = app.metrics_text().await;
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("devplane_http_requests_total") && l.contains("operation=\"ViewerQuery\"")
        })
        .unwrap_or_else(|| panic!("no ViewerQuery line in:\n{text}"));
    assert!(line.contains("route=\"/graphql\""), "{line}");
    assert!(line.contains("status=\"200\""), "{line}");
    assert!(line.ends_with(" 2"), "{line}");
    assert!(text.contains("devplane_http_request_duration_seconds_bucket"));
    // The requests' wall time is work from users, by operation.
    let seconds = metric_sum(
        &text,
        "devplane_work_seconds_total",
        &["source=\"http\"", "name=\"ViewerQuery\""],
    )
    .unwrap_or_else(|| panic!("no work line for ViewerQuery in:\n{text}"));
    assert!(seconds > 0.0, "{seconds}");
}

#[tokio::test]
async fn internal_errors_reach_clients_as_a_fixed_message() {
    let app = TestApp::spawn().await;
    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    // Break the database under the server.
    app.db
        .execute_unprepared("DROP TABLE group_members")
        .await
        .expect("drop");
    app.db
        .execute_unprepared("DROP TABLE groups")
        .await
        .expect("drop");
    let response = app
        .gql(
            "query($org: UUID!) { groups(organizationId: $org) { id } }",
            json!({ "org": org }),
            Some(&token),
        )
        .await;
    assert_eq!(response.error_code(), "INTERNAL_SERVER_ERROR");
    let message = response.body["errors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(message.starts_with("Internal server error."), "{message}");
    assert!(
        !message.contains("groups") && !message.contains("relation") && !message.contains("table"),
        "{message}"
    );
}

#[tokio::test]
async fn syntax_and_validation_errors_carry_codes() {
    let app = TestApp::spawn().await;
    let cases = [
        ("{ hasFirstUser", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ hasFirstUser(x: 1) }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($a: Int!) { hasFirstUser }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (query, code) in cases {
        let response = app.gql(query, json!({}), None).await;
        assert_eq!(response.error_code(), code, "{query}: {}", response.body);
        assert!(response.body["data"].is_null());
    }
    // The parser quotes the offending line; a huge one is not sent back whole.
    let long_line = format!("{{ hasFirstUser(x: \"{}\") ", "y".repeat(100_000));
    let response = app.gql(&long_line, json!({}), None).await;
    assert_eq!(response.error_code(), "GRAPHQL_PARSE_FAILED");
    let message = response.body["errors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.len() <= 1003 && message.ends_with('…'),
        "{}",
        message.len()
    );
    // A variable of the wrong type.
    let response = app
        .gql(
            "query($limit: Int!) { users(limit: $limit) { id } }",
            json!({ "limit": "ten" }),
            None,
        )
        .await;
    assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(
        response.body["errors"][0]["message"],
        "Invalid value for argument \"limit\", expected type \"Int\""
    );
}
