//! Pausing and resuming prebuild reconciliation: `prebuildsSettings`, `pausePrebuilds`,
//! `resumePrebuilds` and `devplane prebuilds pause|resume|status`.

use devplane::domain::prebuilds::settings;
use serde_json::json;

use crate::helpers::setup;

const GET: &str = "{ prebuildsSettings { reconciliationPaused } }";
const PAUSE: &str = "mutation { pausePrebuilds { reconciliationPaused } }";
const RESUME: &str = "mutation { resumePrebuilds { reconciliationPaused } }";

#[tokio::test]
async fn owners_pause_and_resume_reconciliation() {
    let (app, token, _) = setup().await;
    let paused = |token: String| {
        let app = &app;
        async move {
            app.gql(GET, json!({}), Some(&token)).await.data()["prebuildsSettings"]
                ["reconciliationPaused"]
                .as_bool()
                .expect("bool")
        }
    };
    // Nothing stored: not paused.
    assert!(!paused(token.clone()).await);
    assert!(
        !settings::load(&app.db)
            .await
            .expect("load")
            .reconciliation_paused
    );

    // Pausing twice is no error; the value round-trips through the database.
    for _ in 0..2 {
        let response = app.gql(PAUSE, json!({}), Some(&token)).await;
        assert_eq!(
            response.data()["pausePrebuilds"]["reconciliationPaused"],
            true
        );
        assert!(paused(token.clone()).await);
        assert!(
            settings::load(&app.db)
                .await
                .expect("load")
                .reconciliation_paused
        );
    }
    for _ in 0..2 {
        let response = app.gql(RESUME, json!({}), Some(&token)).await;
        assert_eq!(
            response.data()["resumePrebuilds"]["reconciliationPaused"],
            false
        );
        assert!(!paused(token.clone()).await);
        assert!(
            !settings::load(&app.db)
                .await
                .expect("load")
                .reconciliation_paused
        );
    }
}

#[tokio::test]
async fn only_owners_read_or_change_the_settings() {
    let (app, token, _) = setup().await;
    app.gql(PAUSE, json!({}), Some(&token)).await.data();
    for (name, roles) in [
        ("member", &[][..]),
        ("templates", &["TEMPLATE_ADMIN"]),
        ("users", &["USER_ADMIN"]),
        ("audits", &["AUDITOR"]),
    ] {
        let (_, other) = app.create_user(&token, name, roles).await;
        for operation in [GET, PAUSE, RESUME] {
            let refused = app.gql(operation, json!({}), Some(&other)).await;
            assert_eq!(refused.error_code(), "FORBIDDEN", "{roles:?} {operation}");
        }
    }
    for operation in [GET, PAUSE, RESUME] {
        let anonymous = app.gql(operation, json!({}), None).await;
        assert_eq!(anonymous.error_code(), "UNAUTHENTICATED", "{operation}");
    }
    // Nobody but the owner changed anything.
    assert!(
        settings::load(&app.db)
            .await
            .expect("load")
            .reconciliation_paused
    );
}

#[tokio::test]
async fn the_cli_pauses_resumes_and_reports() {
    let (app, token, _) = setup().await;
    // Async, so the server (on this test's runtime) keeps serving while the CLI waits.
    let run = |args: &[&str], token: &str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
            .args(args)
            .args(["--url", &app.address, "--token", token])
            .output()
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    let status = run(&["prebuilds", "status"], &token).await.expect("runs");
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert_eq!(
        text(&status.stdout),
        "Prebuilds reconciliation is running.\n"
    );

    let paused = run(&["prebuilds", "pause"], &token).await.expect("runs");
    assert!(paused.status.success(), "{}", text(&paused.stderr));
    assert_eq!(text(&paused.stderr), "Prebuilds are now paused.\n");
    assert_eq!(text(&paused.stdout), "");
    let status = run(&["prebuilds", "status"], &token).await.expect("runs");
    assert_eq!(
        text(&status.stdout),
        "Prebuilds reconciliation is paused.\n"
    );

    // `prebuild` is an alias, as in Coder.
    let resumed = run(&["prebuild", "resume"], &token).await.expect("runs");
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert_eq!(text(&resumed.stderr), "Prebuilds are now resumed.\n");
    let status = run(&["prebuilds", "status"], &token).await.expect("runs");
    assert_eq!(
        text(&status.stdout),
        "Prebuilds reconciliation is running.\n"
    );

    // A member is refused, and the command fails saying why.
    let (_, member) = app.create_user(&token, "dev", &[]).await;
    let refused = run(&["prebuilds", "pause"], &member).await.expect("runs");
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("FORBIDDEN"),
        "{}",
        text(&refused.stderr)
    );
    assert!(
        !settings::load(&app.db)
            .await
            .expect("load")
            .reconciliation_paused
    );
}

#[tokio::test]
async fn concurrent_pauses_and_resumes_never_clash() {
    let (app, token, _) = setup().await;
    // The first writes race to create the row; every one must succeed (an upsert, not an
    // insert that a concurrent insert could turn into a unique violation).
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (address, client, token) = (app.address.clone(), app.client.clone(), token.clone());
        let operation = if n % 2 == 0 { PAUSE } else { RESUME };
        tasks.spawn(async move {
            client
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": operation }))
                .send()
                .await
                .expect("sent")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        });
    }
    while let Some(body) = tasks.join_next().await {
        let body = body.expect("task");
        assert!(body.get("errors").is_none(), "{body}");
    }
    app.gql(PAUSE, json!({}), Some(&token)).await.data();
    assert!(
        settings::load(&app.db)
            .await
            .expect("load")
            .reconciliation_paused
    );
}
