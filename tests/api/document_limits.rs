//! Documents that would cost far more than they weigh are refused before any work is done:
//! fragment bombs, alias floods, directive floods, oversized and overly nested documents.

use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp};

/// `{...F<n>}` where each fragment spreads the previous one twice: 2^n fields, under 1 KB.
fn fragment_bomb(n: usize) -> String {
    let mut query = format!("{{...F{n}}} fragment F0 on Query{{__typename}}");
    for i in 1..=n {
        query.push_str(&format!(
            " fragment F{i} on Query{{...F{p} ...F{p}}}",
            p = i - 1
        ));
    }
    query
}

fn assert_refused(response: &GqlResponse, message: &str) {
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
    assert_eq!(response.body["errors"][0]["message"], message);
    assert!(response.body["data"].is_null(), "{}", response.body);
}

#[tokio::test]
async fn fragment_bombs_are_refused_before_expansion() {
    let app = TestApp::spawn().await;
    let bomb = fragment_bomb(25);
    assert!(bomb.len() < 1024);
    let anonymous = app.gql(&bomb, json!({}), None).await;
    assert_refused(
        &anonymous,
        "The document has 33554432 fields once its fragments are expanded; the limit is 2000.",
    );

    let token = app.create_first_user().await;
    let signed_in = app.gql(&fragment_bomb(40), json!({}), Some(&token)).await;
    assert_refused(
        &signed_in,
        "The document has 1099511627776 fields once its fragments are expanded; the limit is 2000.",
    );

    // Small fragments spread a few times still work.
    let fine = app.gql(&fragment_bomb(6), json!({}), Some(&token)).await;
    assert_eq!(fine.data()["__typename"], "Query");
}

#[tokio::test]
async fn alias_floods_are_refused_and_nothing_runs() {
    let app = TestApp::spawn().await;
    let token = app.create_first_user().await;
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("v{i}: viewer {{ id }}")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let allowed = app.gql(&aliases(30), json!({}), Some(&token)).await;
    assert_eq!(allowed.data()["v29"]["id"], allowed.data()["v0"]["id"]);
    let refused = app.gql(&aliases(1000), json!({}), Some(&token)).await;
    assert_refused(
        &refused,
        "The document has 1000 aliases once its fragments are expanded; the limit is 30.",
    );

    // A hundred logins in one request: refused as a whole, so no session is created.
    let sessions_before = devplane::entity::api_key::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    let logins: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "l{i}: login(input: {{email: \"admin@example.com\", password: \"admin-password\"}}) {{ token }}"
            )
        })
        .collect();
    let response = app
        .gql(
            &format!("mutation {{ {} }}", logins.join(" ")),
            json!({}),
            None,
        )
        .await;
    assert_refused(
        &response,
        "The document has 100 aliases once its fragments are expanded; the limit is 30.",
    );
    let sessions_after = devplane::entity::api_key::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(sessions_after, sessions_before);

    let organizations: Vec<String> = (0..200)
        .map(|i| format!("o{i}: createOrganization(input: {{name: \"org-{i}\"}}) {{ id }}"))
        .collect();
    let response = app
        .gql(
            &format!("mutation {{ {} }}", organizations.join(" ")),
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let listed = app
        .gql("{ organizations { id } }", json!({}), Some(&token))
        .await;
    assert_eq!(
        listed.data()["organizations"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn directive_and_spread_floods_are_refused() {
    let app = TestApp::spawn().await;
    let directives = format!(
        "query($yes: Boolean = true) {{ {} }}",
        (0..51)
            .map(|_| "__typename @include(if: $yes)")
            .collect::<Vec<_>>()
            .join(" ")
    );
    let response = app.gql(&directives, json!({}), None).await;
    assert_refused(
        &response,
        "The document has 51 directives once its fragments are expanded; the limit is 50.",
    );

    let spreads = format!(
        "{{ {} }} fragment T on Query {{ __typename }}",
        "...T ".repeat(201)
    );
    let response = app.gql(&spreads, json!({}), None).await;
    assert_refused(
        &response,
        "The document has 201 fragment spreads once its fragments are expanded; the limit is 200.",
    );

    let cycle = "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }";
    let response = app.gql(cycle, json!({}), None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn oversized_and_overly_nested_documents_are_refused_before_parsing() {
    let app = TestApp::spawn().await;
    // 10,001 tokens: `{`, 9,999 fields, `}`.
    let big = format!("{{ {} }}", "__typename ".repeat(9_999));
    let response = app.gql(&big, json!({}), None).await;
    assert_refused(&response, "The document has more than 10000 tokens.");
    // Comments and commas are free.
    let commented = format!("# {}\n{{ __typename,,,, }}", "x".repeat(100_000));
    let response = app.gql(&commented, json!({}), None).await;
    assert_eq!(response.data()["__typename"], "Query");

    let nested = format!(
        "{{ hasFirstUser(x: {}1{}) }}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let response = app.gql(&nested, json!({}), None).await;
    assert_refused(
        &response,
        "The document nests brackets more than 64 levels deep.",
    );
    // Under a kilobyte, yet enough to overflow the parser's stack (it recurses per level)
    // and abort the whole server, had it been parsed.
    let overflow = format!(
        "{{ hasFirstUser @include(if: {}true{}) }}",
        "[".repeat(400),
        "]".repeat(400)
    );
    let response = app.gql(&overflow, json!({}), None).await;
    assert_refused(
        &response,
        "The document nests brackets more than 64 levels deep.",
    );
    let alive = app.gql("{ hasFirstUser }", json!({}), None).await;
    assert_eq!(alive.data()["hasFirstUser"], false);
}

#[tokio::test]
async fn limits_follow_their_flags() {
    let app = TestApp::spawn_with(&[
        "--graphql-max-aliases",
        "2",
        "--graphql-max-fields",
        "5",
        "--graphql-max-tokens",
        "50",
    ])
    .await;
    let response = app
        .gql(
            "{ a: __typename b: __typename c: __typename }",
            json!({}),
            None,
        )
        .await;
    assert_refused(
        &response,
        "The document has 3 aliases once its fragments are expanded; the limit is 2.",
    );
    let response = app.gql(&fragment_bomb(3), json!({}), None).await;
    assert_refused(
        &response,
        "The document has 8 fields once its fragments are expanded; the limit is 5.",
    );
    let response = app.gql(&fragment_bomb(2), json!({}), None).await;
    assert_eq!(response.data()["__typename"], "Query");
    // GET requests pass the same checks.
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", fragment_bomb(30))])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// A document the server remembers by its text is run afresh each time: the same text with
/// other variables skips other fields, and a text sent again after a refusal is refused again.
#[tokio::test]
async fn a_remembered_document_runs_with_each_requests_own_variables() {
    let app = TestApp::spawn().await;
    let admin = app.create_first_user().await;
    let query = "query Me($hide: Boolean!) { viewer { id username @skip(if: $hide) email @include(if: $hide) } }";
    let mut seen = Vec::new();
    for hide in [true, false, true, false] {
        let response = app.gql(query, json!({ "hide": hide }), Some(&admin)).await;
        let viewer = response.data()["viewer"].clone();
        seen.push((
            viewer.get("username").is_some(),
            viewer.get("email").is_some(),
        ));
        assert!(viewer["id"].is_string(), "{viewer}");
    }
    assert_eq!(
        seen,
        [(false, true), (true, false), (false, true), (true, false)]
    );
    let bomb = fragment_bomb(25);
    for _ in 0..2 {
        let refused = app.gql(&bomb, json!({}), Some(&admin)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    }
}
