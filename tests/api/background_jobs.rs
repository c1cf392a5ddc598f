//! The scheduler's jobs as a running server has them: every job is counted and timed on
//! `/metrics` by name, and the entitlements refresh is one of them. Time moves with the
//! manual clock and the scheduler is ticked explicitly.

use chrono::Duration;
use devplane::clock::Clock;
use serde_json::json;

use crate::helpers::setup;

const JOBS: [&str; 3] = [
    "connection-log-purge",
    "entitlements-refresh",
    "provisioner-stale-jobs",
];

/// The value of the sample whose name and labels are exactly `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

#[tokio::test]
async fn every_job_is_counted_and_timed_on_metrics_after_a_tick() {
    let (app, _, _) = setup().await;
    // Past every job's interval, so that each is due whatever the server's timer did.
    app.clock.advance(Duration::hours(1));
    app.tick().await;
    let text = app.metrics_text().await;
    for job in JOBS {
        let runs = sample(
            &text,
            &format!("devplane_job_runs_total{{job=\"{job}\",outcome=\"success\"}}"),
        );
        assert!(runs.is_some_and(|n| n >= 1.0), "{job} runs: {text}");
        let timed = sample(
            &text,
            &format!("devplane_job_duration_seconds_count{{job=\"{job}\"}}"),
        );
        assert!(timed.is_some_and(|n| n >= 1.0), "{job} duration: {text}");
        assert_eq!(
            sample(
                &text,
                &format!("devplane_job_runs_total{{job=\"{job}\",outcome=\"failure\"}}"),
            ),
            None,
            "{job} never failed"
        );
    }
}

#[tokio::test]
async fn the_entitlements_refresh_job_picks_up_a_license_that_starts_later() {
    let (app, token, _) = setup().await;
    let entitlement = |token: String| {
        let app = &app;
        async move {
            let response = app
                .gql(
                    "{ entitlements { features { name entitlement } } }",
                    json!({}),
                    Some(&token),
                )
                .await;
            response.data()["entitlements"]["features"]
                .as_array()
                .expect("features")
                .iter()
                .find(|f| f["name"] == "multiple_organizations")
                .expect("feature")["entitlement"]
                .clone()
        }
    };
    // A license valid from tomorrow is stored, but grants nothing today.
    let mut claims = app.license_claims("premium", json!({ "user_limit": 5 }));
    claims["nbf"] = json!((app.clock.now() + Duration::days(1)).timestamp());
    app.gql(
        "mutation($input: AddLicenseInput!) { addLicense(input: $input) { id } }",
        json!({ "input": { "license": app.sign_license(&claims) } }),
        Some(&token),
    )
    .await
    .data();
    assert_eq!(entitlement(token.clone()).await, "NOT_ENTITLED");

    // Tomorrow, the periodic refresh (not a license change, nor refreshEntitlements)
    // notices it.
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    app.tick().await;
    let token = app.login("admin@example.com", "admin-password").await;
    assert_eq!(entitlement(token).await, "ENTITLED");
}
