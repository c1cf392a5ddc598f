//! CPU profiles at /debug/pprof/profile: owners only, bounded, and every sample of labelled
//! work carries its source, so users' load and background jobs can be told apart.

use std::collections::BTreeSet;

use devplane::{clock::Clock, telemetry::cpu_profile::decode_labels};
use serde_json::json;

use crate::helpers::TestApp;

const BUSY_QUERY: &str = "query ProfiledRequest { viewer { id username email siteRoles organizationMemberships { roles } } organizations { id name } }";

/// One profile of `seconds`, taken while a named GraphQL operation and the lifecycle executor
/// run in loops; returns the (source, name) pairs its samples carry.
async fn profile_under_load(app: &TestApp, token: &str) -> BTreeSet<(String, String)> {
    let profile = {
        let request = app
            .client
            .get(format!(
                "{}/debug/pprof/profile?seconds=2&frequency=997",
                app.address
            ))
            .bearer_auth(token);
        tokio::spawn(async move { request.send().await.expect("sent") })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2300);
    let requests = async {
        while std::time::Instant::now() < deadline {
            app.gql(BUSY_QUERY, json!({}), Some(token)).await.data();
        }
    };
    let jobs = async {
        while std::time::Instant::now() < deadline {
            app.lifecycle_tick(app.clock.now()).await;
        }
    };
    tokio::join!(requests, jobs);

    let response = profile.await.expect("profile task");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    let samples = decode_labels(&response.bytes().await.expect("body")).expect("a pprof profile");
    // Every sample also names its thread, as pprof viewers expect.
    assert!(
        samples
            .iter()
            .all(|(labels, _)| labels.iter().any(|(k, _)| k == "thread"))
    );
    samples
        .iter()
        .filter_map(|(labels, _)| {
            let value = |key: &str| {
                labels
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            Some((value("source")?, value("name")?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_splits_samples_between_requests_and_jobs() {
    let app = TestApp::spawn().await;
    let token = app.create_first_user().await;
    let wanted = [
        ("http".to_owned(), "ProfiledRequest".to_owned()),
        ("job".to_owned(), "lifecycle-executor".to_owned()),
    ];

    // The profiler samples the whole test process, where other tests run in parallel and may
    // take most of the CPU for a while: profiles are taken until each of this test's two
    // sources has been seen in one of them, within a bound.
    let mut seen = BTreeSet::new();
    for _ in 0..8 {
        seen.extend(profile_under_load(&app, &token).await);
        if wanted.iter().all(|pair| seen.contains(pair)) {
            break;
        }
    }
    for pair in &wanted {
        assert!(seen.contains(pair), "{pair:?} not in {seen:?}");
    }
}

#[tokio::test]
async fn profiles_are_for_owners_and_bounded() {
    let app = TestApp::spawn().await;
    let owner = app.create_first_user().await;
    let (_, member) = app.create_user(&owner, "member", &[]).await;
    let get = |query: &str, token: Option<&str>| {
        let mut request = app
            .client
            .get(format!("{}/debug/pprof/profile{query}", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.expect("sent");
            let status = response.status().as_u16();
            (status, response.text().await.expect("text"))
        }
    };
    assert_eq!(get("?seconds=1", None).await.0, 401);
    assert_eq!(get("?seconds=1", Some("not-a-token")).await.0, 401);
    let (status, text) = get("?seconds=1", Some(&member)).await;
    assert_eq!(
        (status, text.as_str()),
        (403, "Only owners may take CPU profiles.")
    );
    for (query, message) in [
        ("?seconds=0", "seconds must be between 1 and 30."),
        ("?seconds=31", "seconds must be between 1 and 30."),
        (
            "?seconds=1&frequency=5000",
            "frequency must be between 1 and 1000 Hz.",
        ),
        (
            "?seconds=abc",
            "seconds and frequency must be whole numbers.",
        ),
    ] {
        assert_eq!(
            get(query, Some(&owner)).await,
            (400, message.to_owned()),
            "{query}"
        );
    }
}
