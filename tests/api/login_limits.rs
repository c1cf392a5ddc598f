//! Failed logins are limited per account and per client address; a limited login is refused
//! with FORBIDDEN and `retryAfterSeconds`, the same for accounts that exist and those that
//! do not, and the limit lifts when its window ends.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{GqlResponse, TestApp};

const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { token } }";

async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> GqlResponse {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": LOGIN, "variables": { "input": { "email": email, "password": password } } }));
    if let Some(forwarded) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded);
    }
    let response = request.send().await.expect("sent");
    GqlResponse {
        status: response.status(),
        body: response.json().await.expect("json"),
    }
}

fn assert_throttled(response: &GqlResponse, retry_after: i64) {
    assert_eq!(response.error_code(), "FORBIDDEN", "{}", response.body);
    assert_eq!(
        response.body["errors"][0]["message"],
        format!("Too many failed login attempts. Try again in {retry_after} seconds.")
    );
    assert_eq!(
        response.body["errors"][0]["extensions"]["retryAfterSeconds"],
        retry_after
    );
}

#[tokio::test]
async fn an_account_is_locked_for_the_rest_of_the_window_known_or_not() {
    let app = TestApp::spawn().await;
    app.create_first_user().await;
    for email in ["admin@example.com", "nobody@example.com"] {
        for _ in 0..10 {
            let wrong = login(&app, email, "wrong-password", None).await;
            assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
            assert_eq!(
                wrong.body["errors"][0]["message"],
                "Incorrect email or password."
            );
        }
        app.clock.advance(Duration::seconds(15));
        // Even the right password is refused now, without saying whether it was right.
        let refused = login(&app, email, "admin-password", Some("203.0.113.1")).await;
        assert_throttled(&refused, 45);
        app.clock.advance(Duration::seconds(45));
    }
    let after = login(&app, "ADMIN@example.com", "admin-password", None).await;
    assert!(after.data()["login"]["token"].is_string());
}

#[tokio::test]
async fn a_client_is_limited_whatever_accounts_it_tries() {
    let app = TestApp::spawn().await;
    app.create_first_user().await;
    for i in 0..10 {
        let wrong = login(
            &app,
            &format!("guess{i}@example.com"),
            "wrong-password",
            None,
        )
        .await;
        assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    }
    let refused = login(&app, "admin@example.com", "admin-password", None).await;
    assert_throttled(&refused, 60);
    // X-Forwarded-For is not believed from a proxy nobody listed.
    let spoofed = login(
        &app,
        "admin@example.com",
        "admin-password",
        Some("198.51.100.9"),
    )
    .await;
    assert_throttled(&spoofed, 60);
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_told_apart() {
    let app = TestApp::spawn_with(&[
        "--trusted-proxies",
        "127.0.0.1,::1",
        "--login-max-failures",
        "3",
    ])
    .await;
    app.create_first_user().await;
    for i in 0..3 {
        let wrong = login(
            &app,
            &format!("guess{i}@example.com"),
            "x-password",
            Some("198.51.100.1"),
        )
        .await;
        assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    }
    let limited = login(
        &app,
        "admin@example.com",
        "admin-password",
        Some("198.51.100.1"),
    )
    .await;
    assert_throttled(&limited, 60);
    let other_client = login(
        &app,
        "admin@example.com",
        "admin-password",
        Some("198.51.100.2"),
    )
    .await;
    assert!(other_client.data()["login"]["token"].is_string());
}

#[tokio::test]
async fn a_success_does_not_reset_the_clients_count() {
    let app = TestApp::spawn_with(&["--login-max-failures", "3"]).await;
    let owner = app.create_first_user().await;
    app.create_user(&owner, "mallory", &[]).await;
    for round in 0..3 {
        let wrong = login(
            &app,
            &format!("guess{round}@example.com"),
            "x-password",
            None,
        )
        .await;
        assert_eq!(wrong.error_code(), "UNAUTHENTICATED", "round {round}");
        if round < 2 {
            // Logging into an account of one's own in between does not buy more guesses.
            let own = login(&app, "mallory@example.com", "user-password", None).await;
            assert!(own.data()["login"]["token"].is_string());
        }
    }
    let refused = login(&app, "admin@example.com", "admin-password", None).await;
    assert_throttled(&refused, 60);
}

#[tokio::test]
async fn zero_turns_the_limit_off() {
    let app = TestApp::spawn_with(&["--login-max-failures", "0"]).await;
    app.create_first_user().await;
    for _ in 0..15 {
        let wrong = login(&app, "admin@example.com", "wrong-password", None).await;
        assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    }
    let right = login(&app, "admin@example.com", "admin-password", None).await;
    assert!(right.data()["login"]["token"].is_string());
}
