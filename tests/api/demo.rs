//! `devplane server --demo`: an empty database is filled with a working example (an admin
//! who can sign in, a licensed deployment, a template with parameters and a prebuild
//! preset, workspaces, connection history), and a database with users is refused.

use std::sync::Arc;

use devplane::{app::Application, clock::ManualClock};
use serde_json::json;

use crate::helpers::{EXPLICIT_BACKGROUND, TestApp, run_jobs, server_config};

#[tokio::test]
async fn demo_fills_an_empty_database_with_a_living_example() {
    let mut args = EXPLICIT_BACKGROUND.to_vec();
    args.push("--demo");
    let app = TestApp::spawn_with(&args).await;
    let login = app.demo_login.clone().expect("a demo login");
    assert_eq!(login.email, devplane::demo::DEMO_ADMIN_EMAIL);
    assert!(login.password.len() >= 16, "a generated password");
    let token = app.login(&login.email, &login.password).await;

    let entitlements = app
        .gql(
            "{ entitlements { hasLicense trial features { name enabled } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let entitlements = &entitlements.data()["entitlements"];
    assert_eq!(
        (&entitlements["hasLicense"], &entitlements["trial"]),
        (&json!(true), &json!(true))
    );
    for feature in ["connection_log", "audit_log", "workspace_prebuilds"] {
        let enabled = entitlements["features"]
            .as_array()
            .expect("features")
            .iter()
            .any(|f| f["name"] == feature && f["enabled"] == true);
        assert!(enabled, "{feature} is enabled by the trial license");
    }

    let users = app
        .gql("{ users { username } }", json!({}), Some(&token))
        .await;
    let mut names: Vec<String> = users.data()["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(names, ["admin", "alice", "bob"]);

    let org = app.default_org(&token).await;
    let templates = app
        .gql(
            "query($org: UUID!) { templates(organizationId: $org) { name activeVersion { id } } }",
            json!({ "org": org }),
            Some(&token),
        )
        .await;
    let template = &templates.data()["templates"][0];
    assert_eq!(template["name"], "dev-vm");
    let presets = app
        .gql(
            "query($id: UUID!) { presets(templateVersionId: $id) { name prebuilds { desired } } }",
            json!({ "id": template["activeVersion"]["id"] }),
            Some(&token),
        )
        .await;
    assert_eq!(presets.data()["presets"][0]["name"], "team");

    assert_eq!(run_jobs(&app).await, 3, "three workspaces are building");
    let workspaces = app
        .gql("{ workspaces { name status } }", json!({}), Some(&token))
        .await;
    let workspaces = workspaces.data()["workspaces"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(workspaces.len(), 3, "{workspaces:?}");
    assert!(
        workspaces.iter().all(|w| w["status"] == "RUNNING"),
        "{workspaces:?}"
    );

    let logs = app
        .gql(
            "{ connectionLogs(limit: 1) { totalCount } ssh: connectionLogs(filter: \"type:ssh\", limit: 1) { totalCount } open: connectionLogs(filter: \"status:ongoing\", limit: 1) { totalCount } }",
            json!({}),
            Some(&token),
        )
        .await;
    let logs = logs.data();
    assert_eq!(logs["connectionLogs"]["totalCount"], 240);
    assert_eq!(logs["ssh"]["totalCount"], 40, "the types take turns");
    assert!(
        logs["open"]["totalCount"].as_i64().unwrap_or(0) > 0,
        "some sessions are open"
    );

    let audit = app
        .gql(
            "{ auditLogs(filter: \"action:register\") { totalCount } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(audit.data()["auditLogs"]["totalCount"], 1);
}

#[tokio::test]
async fn demo_refuses_a_database_that_has_users() {
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    app.create_first_user().await;
    let config = server_config(app.database_url(), &["--demo"]);
    let refused = Application::build(&config, Arc::new(ManualClock::new(chrono::Utc::now())))
        .await
        .err()
        .expect("refused");
    assert!(
        refused
            .to_string()
            .contains("--demo needs an empty database"),
        "{refused}"
    );
}
