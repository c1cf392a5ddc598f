//! Licenses and entitlements end to end: upload, list, delete and refresh over GraphQL with
//! licenses signed in the test, entitlements with counts from the database, the
//! managed-agent limit enforced by the workspace builder, and the CLI.

use base64::Engine;
use chrono::Duration;
use devplane::clock::Clock;
use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    helpers::{MAIN_TF, create_template, run_jobs, setup},
};

const ADD: &str =
    "mutation($input: AddLicenseInput!) { addLicense(input: $input) { id uuid claims } }";
const ENTITLEMENTS: &str = "{ entitlements { hasLicense trial warnings errors features { name entitlement enabled limit actual softLimit usagePeriod { issuedAt start end } } } }";

fn claims(app: &TestApp, feature_set: &str, features: Value) -> Value {
    app.license_claims(feature_set, features)
}

fn feature<'a>(entitlements: &'a Value, name: &str) -> &'a Value {
    entitlements["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feature {name}"))
}

#[tokio::test]
async fn licenses_upload_list_delete_and_entitle() {
    let (app, token, _) = setup().await;
    app.create_user(&token, "dev", &[]).await;
    // Entitlements are cached; counts are as of the last refresh.
    app.gql(
        "mutation { refreshEntitlements { hasLicense } }",
        json!({}),
        Some(&token),
    )
    .await
    .data();
    let before = app.gql(ENTITLEMENTS, json!({}), Some(&token)).await;
    let before = &before.data()["entitlements"];
    assert_eq!(before["hasLicense"], false);
    assert_eq!(
        feature(before, "user_limit")["actual"],
        2,
        "active users count without a license"
    );
    assert_eq!(
        before["features"].as_array().expect("list").len(),
        21,
        "every feature is listed"
    );

    let license = claims(&app, "premium", json!({ "user_limit": 10 }));
    let added = app
        .gql(
            ADD,
            json!({ "input": { "license": app.sign_license(&license) } }),
            Some(&token),
        )
        .await;
    let added = &added.data()["addLicense"];
    assert_eq!(added["uuid"], license["jti"]);
    assert_eq!(added["claims"]["features"]["user_limit"], 10);
    let id = added["id"].as_i64().expect("id");

    let entitlements = app.gql(ENTITLEMENTS, json!({}), Some(&token)).await;
    let entitlements = &entitlements.data()["entitlements"];
    assert_eq!(entitlements["hasLicense"], true);
    assert_eq!(entitlements["errors"], json!([]));
    assert_eq!(feature(entitlements, "user_limit")["limit"], 10);
    assert_eq!(feature(entitlements, "user_limit")["actual"], 2);
    assert_eq!(
        feature(entitlements, "multiple_organizations")["entitlement"],
        "ENTITLED"
    );
    // The Premium default: soft 800 × users, hard 1000 × users, issued 2025-07-01.
    let managed = feature(entitlements, "managed_agent_limit");
    assert_eq!(managed["entitlement"], "ENTITLED");
    assert_eq!(managed["softLimit"], 8000);
    assert_eq!(managed["limit"], 10000);
    assert_eq!(managed["actual"], 0);
    assert_eq!(
        managed["usagePeriod"]["issuedAt"],
        "2025-07-01T00:00:00+00:00"
    );

    let listed = app
        .gql("{ licenses { id uuid claims } }", json!({}), Some(&token))
        .await;
    let listed = listed.data()["licenses"].as_array().expect("list").clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["claims"]["feature_set"], "premium");
    assert!(
        !listed[0]
            .to_string()
            .contains(&app.sign_license(&license)[..20]),
        "the JWT is never returned"
    );

    let (_, member) = app.create_user(&token, "other", &[]).await;
    let denied = app
        .gql("{ licenses { id } }", json!({}), Some(&member))
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");
    let denied = app
        .gql(
            ADD,
            json!({ "input": { "license": app.sign_license(&license) } }),
            Some(&member),
        )
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");
    // Entitlements are readable by everyone signed in.
    assert_eq!(
        app.gql(ENTITLEMENTS, json!({}), Some(&member)).await.data()["entitlements"]["hasLicense"],
        true
    );

    let unknown = app
        .gql(
            "mutation { deleteLicense(id: 4242) { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(unknown.error_code(), "NOT_FOUND");
    assert_eq!(unknown.body["errors"][0]["message"], "Unknown license ID");
    let deleted = app
        .gql(
            "mutation($id: Int!) { deleteLicense(id: $id) { id } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(deleted.data()["deleteLicense"]["id"], id);
    let after = app.gql(ENTITLEMENTS, json!({}), Some(&token)).await;
    assert_eq!(after.data()["entitlements"]["hasLicense"], false);
}

#[tokio::test]
async fn bad_licenses_are_refused_with_the_reason() {
    let (app, token, _) = setup().await;
    let detail = |response: &crate::helpers::GqlResponse| -> String {
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{}", response.body);
        assert_eq!(response.body["errors"][0]["message"], "Invalid license");
        response.validations()[0]["detail"]
            .as_str()
            .expect("detail")
            .to_owned()
    };
    let add = |jwt: String| {
        let app = &app;
        let token = token.clone();
        async move {
            app.gql(ADD, json!({ "input": { "license": jwt } }), Some(&token))
                .await
        }
    };

    let garbage = add("not.a.license".into()).await;
    detail(&garbage);

    // Signed by a key the server does not trust, under the trusted key id.
    let (other_secret, _) = devplane::domain::license::generate_keypair();
    let forged = devplane::domain::license::sign_license_payload(
        &claims(&app, "premium", json!({})),
        "test-key",
        &other_secret,
    );
    // In the upload path, a bad signature is one of "multiple issues".
    assert_eq!(
        detail(&add(forged).await),
        "license has multiple issues; contact support"
    );
    // An unknown key id.
    let unknown_kid = devplane::domain::license::sign_license_payload(
        &claims(&app, "premium", json!({})),
        "other-key",
        &other_secret,
    );
    assert_eq!(
        detail(&add(unknown_kid).await),
        "license has multiple issues; contact support"
    );

    // RS256 is refused whatever its signature.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let rs256 = format!(
        "{}.{}.{}",
        b64.encode(json!({ "alg": "RS256", "typ": "JWT", "kid": "test-key" }).to_string()),
        b64.encode(claims(&app, "premium", json!({})).to_string()),
        b64.encode([7u8; 256])
    );
    assert_eq!(
        detail(&add(rs256).await),
        "license has multiple issues; contact support"
    );

    // Claim checks, with Coder's texts.
    let mut wrong_version = claims(&app, "premium", json!({}));
    wrong_version["version"] = json!(2);
    assert_eq!(
        detail(&add(app.sign_license(&wrong_version)).await),
        "license must be version 3"
    );
    let mut expired = claims(&app, "premium", json!({}));
    expired["exp"] = json!((app.clock.now() - Duration::hours(1)).timestamp());
    assert_eq!(
        detail(&add(app.sign_license(&expired)).await),
        "license has multiple issues; contact support"
    );
    let mut direct = claims(&app, "enterprise", json!({ "managed_agent_limit": 5 }));
    direct["jti"] = json!("3c0ad1d2-4a7e-4f5e-9d7e-1a2b3c4d5e6f");
    // Accepted at upload; the entitlements report the forbidden feature.
    app.gql(
        ADD,
        json!({ "input": { "license": app.sign_license(&direct) } }),
        Some(&token),
    )
    .await
    .data();
    let errors =
        app.gql(ENTITLEMENTS, json!({}), Some(&token)).await.data()["entitlements"]["errors"]
            .clone();
    assert_eq!(
        errors,
        json!(["Feature managed_agent_limit is forbidden to be set in a license."])
    );

    // A license that starts tomorrow is accepted, and does not count yet.
    let mut future = claims(&app, "premium", json!({ "user_limit": 5 }));
    future["nbf"] = json!((app.clock.now() + Duration::days(1)).timestamp());
    app.gql(
        ADD,
        json!({ "input": { "license": app.sign_license(&future) } }),
        Some(&token),
    )
    .await
    .data();
    let ents = app.gql(ENTITLEMENTS, json!({}), Some(&token)).await;
    assert_eq!(
        feature(&ents.data()["entitlements"], "multiple_organizations")["entitlement"],
        "NOT_ENTITLED"
    );
    // ...until it starts.
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    // The day-old session expired meanwhile.
    let token = app.login("admin@example.com", "admin-password").await;
    app.gql(
        "mutation { refreshEntitlements { hasLicense } }",
        json!({}),
        Some(&token),
    )
    .await
    .data();
    let ents = app.gql(ENTITLEMENTS, json!({}), Some(&token)).await;
    assert_eq!(
        feature(&ents.data()["entitlements"], "multiple_organizations")["entitlement"],
        "ENTITLED"
    );
}

#[tokio::test]
async fn refresh_is_limited_to_once_a_minute() {
    let (app, token, _) = setup().await;
    let refresh = "mutation { refreshEntitlements { refreshedAt } }";
    app.gql(refresh, json!({}), Some(&token)).await.data();
    let again = app.gql(refresh, json!({}), Some(&token)).await;
    assert_eq!(again.error_code(), "BAD_USER_INPUT");
    let message = again.body["errors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.starts_with("Entitlements already recently refreshed, please wait 60 seconds"),
        "{message}"
    );
    app.clock.advance(Duration::seconds(61));
    app.gql(refresh, json!({}), Some(&token)).await.data();
}

/// MAIN_TF with an AI task.
fn ai_template() -> String {
    format!("{MAIN_TF}\nresource \"coder_ai_task\" \"task\" {{\n  count = 1\n}}\n")
}

#[tokio::test]
async fn the_hard_limit_stops_ai_builds_only() {
    let (app, token, org) = setup().await;
    let (ai, _) = create_template(&app, &token, &org, "ai", &ai_template(), json!({})).await;
    let (plain, _) = create_template(&app, &token, &org, "plain", MAIN_TF, json!({})).await;
    let create = "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id latestBuild { hasAiTask } } }";
    let input = |template: &str, name: &str| json!({ "input": { "templateId": template, "name": name, "parameters": [{ "name": "project", "value": "p" }] } });

    // Unlicensed: AI builds are unlimited.
    let first = app.gql(create, input(&ai, "ai-1"), Some(&token)).await;
    assert_eq!(
        first.data()["createWorkspace"]["latestBuild"]["hasAiTask"],
        true
    );
    run_jobs(&app).await;

    // A license with a hard limit of 2 AI builds in its period: the one above counts.
    let mut license = claims(
        &app,
        "premium",
        json!({ "user_limit": 10, "managed_agent_limit_soft": 1, "managed_agent_limit_hard": 2 }),
    );
    license["iat"] = json!(app.clock.now().timestamp() - 30);
    license["nbf"] = json!((app.clock.now() - Duration::hours(1)).timestamp());
    app.gql(
        ADD,
        json!({ "input": { "license": app.sign_license(&license) } }),
        Some(&token),
    )
    .await
    .data();
    let managed = app.gql(ENTITLEMENTS, json!({}), Some(&token)).await;
    let managed_feature = feature(&managed.data()["entitlements"], "managed_agent_limit").clone();
    assert_eq!(managed_feature["limit"], 2);
    assert_eq!(managed_feature["softLimit"], 1);
    assert_eq!(managed_feature["actual"], 1);
    // At the soft limit: a warning, but builds go on.
    assert!(
        managed.data()["entitlements"]["warnings"]
            .as_array()
            .expect("list")
            .iter()
            .any(|w| w
                .as_str()
                .is_some_and(|w| w.starts_with("You are approaching the managed agent limit")))
    );
    app.gql(create, input(&ai, "ai-2"), Some(&token))
        .await
        .data();

    // At the hard limit the next AI build is refused; other templates still build.
    let refused = app.gql(create, input(&ai, "ai-3"), Some(&token)).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["message"],
        "Build is not permitted: You have breached the managed agent limit in your license. Please contact sales to continue using managed agents."
    );
    app.gql(create, input(&plain, "plain-1"), Some(&token))
        .await
        .data();
    let names = app
        .gql("{ workspaces { name } }", json!({}), Some(&token))
        .await;
    assert_eq!(
        names.data()["workspaces"],
        json!([{ "name": "ai-1" }, { "name": "ai-2" }, { "name": "plain-1" }])
    );

    // An enterprise license has no managed-agent entitlement at all.
    let licenses = app
        .gql("{ licenses { id } }", json!({}), Some(&token))
        .await;
    let id = licenses.data()["licenses"][0]["id"].clone();
    app.gql(
        "mutation($id: Int!) { deleteLicense(id: $id) { id } }",
        json!({ "id": id }),
        Some(&token),
    )
    .await
    .data();
    app.gql(ADD, json!({ "input": { "license": app.sign_license(&claims(&app, "enterprise", json!({ "user_limit": 10 }))) } }), Some(&token))
        .await
        .data();
    let refused = app.gql(create, input(&ai, "ai-4"), Some(&token)).await;
    assert_eq!(
        refused.body["errors"][0]["message"],
        "Build is not permitted: Your license is not entitled to managed agents. Please contact sales to continue using managed agents."
    );
}

#[tokio::test]
async fn the_cli_adds_and_lists_licenses() {
    let (app, token, _) = setup().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("license.jwt");
    let license = claims(&app, "premium", json!({ "user_limit": 3 }));
    std::fs::write(&file, app.sign_license(&license)).expect("write");
    // Async, so the server (on this test's runtime) keeps serving while the CLI waits.
    let run = |args: &[&str]| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
            .args(args)
            .args(["--url", &app.address, "--token", &token])
            .output()
    };
    let added = run(&["license", "add", &file.display().to_string()])
        .await
        .expect("runs");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stdout).starts_with("License #1 added"));
    let listed = run(&["license", "list"]).await.expect("runs");
    let table = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(table.starts_with("ID  UUID"), "{table}");
    assert!(
        table.contains(license["jti"].as_str().expect("jti")) && table.contains("premium"),
        "{table}"
    );
    let json_out = run(&["license", "list", "--output", "json"])
        .await
        .expect("runs");
    let parsed: Value = serde_json::from_slice(&json_out.stdout).expect("json");
    assert_eq!(parsed[0]["claims"]["features"]["user_limit"], 3);

    std::fs::write(&file, "garbage").expect("write");
    let bad = run(&["license", "add", &file.display().to_string()])
        .await
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("BAD_USER_INPUT: Invalid license"));
}
