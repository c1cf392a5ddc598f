//! What happens to build jobs when things go wrong: a provisioner that stops sending
//! heartbeats (its server died) has its job failed by the `provisioner-stale-jobs` job; a
//! server stopping during a build hands the job back; builds can be canceled. Time moves
//! with the manual clock and the scheduler is ticked explicitly.

use chrono::Duration;
use devplane::{clock::Clock, domain::workspace};
use sea_orm::{Database, EntityTrait};
use serde_json::{Value, json};

use crate::helpers::{MAIN_TF, TestApp, create_template, run_jobs, setup};

const CREATE_WORKSPACE: &str =
    "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }";
const WORKSPACE: &str = "query($id: UUID!) { workspace(id: $id) { status latestBuild { id buildNumber status job { id status error canceledAt heartbeatAt } } } }";
const START: &str =
    "mutation($id: UUID!) { startWorkspace(input: {id: $id}) { buildNumber status } }";
const CANCEL: &str = "mutation($id: UUID!) { cancelWorkspaceBuild(id: $id) { id status job { status canceledAt completedAt } } }";
const ACQUIRE: &str = "mutation { acquireProvisionerJob { job { id status heartbeatAt } } }";
const HEARTBEAT: &str =
    "mutation($id: UUID!) { heartbeatProvisionerJob(jobId: $id) { status heartbeatAt } }";
const COMPLETE: &str = "mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { status error } }";
const STALE_ERROR: &str =
    "Build job timed out: its provisioner stopped sending heartbeats (none for 5m).";

/// Creates the template `docker` and the workspace `dev` (owned by `token`'s user); returns
/// the workspace id.
async fn queued_workspace(app: &TestApp, admin: &str, owner: &str, org: &str) -> String {
    let (template, _) = create_template(app, admin, org, "docker", MAIN_TF, json!({})).await;
    let created = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(owner),
        )
        .await;
    created.data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn workspace_state(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(WORKSPACE, json!({ "id": id }), Some(token))
        .await
        .data()["workspace"]
        .clone()
}

#[tokio::test]
async fn a_stale_running_job_is_failed_and_the_workspace_can_start_again() {
    let (app, token, org) = setup().await;
    let id = queued_workspace(&app, &token, &token, &org).await;
    // A provisioner of a server that is about to die takes the build, then never sends a
    // heartbeat again.
    let taken = workspace::acquire_build_job(&app.db, app.clock.now(), "built-in-dead-0", None)
        .await
        .expect("acquire")
        .expect("a job");
    let ws = workspace_state(&app, &token, &id).await;
    assert_eq!(ws["status"], "STARTING");
    let heartbeat: chrono::DateTime<chrono::Utc> = ws["latestBuild"]["job"]["heartbeatAt"]
        .as_str()
        .expect("acquiring is a heartbeat")
        .parse()
        .expect("a time");
    assert!((heartbeat - app.clock.now()).abs() < Duration::milliseconds(1));
    // This is what users saw forever before stale jobs were detected.
    let busy = app.gql(START, json!({ "id": id }), Some(&token)).await;
    assert_eq!(busy.error_code(), "CONFLICT");
    assert_eq!(
        busy.body["errors"][0]["message"],
        "A workspace build is already active."
    );

    // Within the limit the job is left alone...
    app.clock.advance(Duration::minutes(4));
    app.tick().await;
    assert_eq!(
        workspace_state(&app, &token, &id).await["latestBuild"]["job"]["status"],
        "RUNNING"
    );
    // ...past it, it fails with the reason.
    app.clock.advance(Duration::minutes(2));
    app.tick().await;
    let ws = workspace_state(&app, &token, &id).await;
    assert_eq!(ws["status"], "FAILED");
    assert_eq!(ws["latestBuild"]["job"]["status"], "FAILED");
    assert_eq!(ws["latestBuild"]["job"]["error"], STALE_ERROR);
    assert!(
        app.metrics_text()
            .await
            .contains("devplane_provisioner_stale_jobs_total 1"),
        "the ended job is counted"
    );

    // The dead provisioner's late completion is refused: the job already ended.
    let late = workspace::complete_build_job(
        &app.db,
        app.clock.now(),
        taken.job.id,
        Some("built-in-dead-0"),
        Ok(()),
    )
    .await;
    assert!(late.is_err(), "a stale job cannot be completed afterwards");

    // The workspace can be started again, and that build runs.
    let start = app.gql(START, json!({ "id": id }), Some(&token)).await;
    assert_eq!(
        start.data()["startWorkspace"],
        json!({ "buildNumber": 2, "status": "PENDING" })
    );
    assert_eq!(run_jobs(&app).await, 1);
    assert_eq!(
        workspace_state(&app, &token, &id).await["status"],
        "RUNNING"
    );
}

#[tokio::test]
async fn a_stale_canceling_job_ends_canceled() {
    let (app, token, org) = setup().await;
    let id = queued_workspace(&app, &token, &token, &org).await;
    workspace::acquire_build_job(&app.db, app.clock.now(), "built-in-dead-0", None)
        .await
        .expect("acquire")
        .expect("a job");
    let build = workspace_state(&app, &token, &id).await["latestBuild"]["id"].clone();
    let canceled = app.gql(CANCEL, json!({ "id": build }), Some(&token)).await;
    assert_eq!(
        canceled.data()["cancelWorkspaceBuild"]["status"],
        "CANCELING"
    );
    // The provisioner that should finish the cancel is gone too.
    app.clock.advance(Duration::minutes(6));
    app.tick().await;
    let ws = workspace_state(&app, &token, &id).await;
    assert_eq!(ws["status"], "CANCELED");
    assert_eq!(ws["latestBuild"]["job"]["error"], STALE_ERROR);
    app.gql(START, json!({ "id": id }), Some(&token))
        .await
        .data();
}

#[tokio::test]
async fn external_provisioners_heartbeat_and_complete_a_canceled_build() {
    let (app, token, org) = setup().await;
    app.install_premium_license(&token).await;
    let key = app.create_provisioner_key(&token, &org, "runner").await;
    let other = app
        .create_provisioner_key(&token, &org, "other-runner")
        .await;
    let id = queued_workspace(&app, &token, &token, &org).await;
    let acquired = app.as_provisioner(&key, ACQUIRE, json!({})).await;
    let job = acquired["data"]["acquireProvisionerJob"]["job"]["id"].clone();
    assert_eq!(
        acquired["data"]["acquireProvisionerJob"]["job"]["status"],
        "RUNNING"
    );

    // A heartbeat every few minutes keeps a long build alive past the stale limit.
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(4));
        let beat = app
            .as_provisioner(&key, HEARTBEAT, json!({ "id": job }))
            .await;
        assert_eq!(
            beat["data"]["heartbeatProvisionerJob"]["status"], "RUNNING",
            "{beat}"
        );
        app.tick().await;
    }
    assert_eq!(
        workspace_state(&app, &token, &id).await["latestBuild"]["job"]["status"],
        "RUNNING"
    );
    // Only the provisioner holding the job may heartbeat it.
    let stolen = app
        .as_provisioner(&other, HEARTBEAT, json!({ "id": job }))
        .await;
    assert_eq!(stolen["errors"][0]["extensions"]["code"], "CONFLICT");

    // Canceling a running build waits for its provisioner, which learns of it from its
    // next heartbeat.
    let build = workspace_state(&app, &token, &id).await["latestBuild"]["id"].clone();
    let canceled = app.gql(CANCEL, json!({ "id": build }), Some(&token)).await;
    let canceled = &canceled.data()["cancelWorkspaceBuild"];
    assert_eq!(canceled["status"], "CANCELING");
    assert_eq!(canceled["job"]["status"], "CANCELING");
    assert_eq!(canceled["job"]["completedAt"], Value::Null);
    let again = app.gql(CANCEL, json!({ "id": build }), Some(&token)).await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(
        again.body["errors"][0]["message"],
        "Job has already been marked as canceled!"
    );
    let beat = app
        .as_provisioner(&key, HEARTBEAT, json!({ "id": job }))
        .await;
    assert_eq!(
        beat["data"]["heartbeatProvisionerJob"]["status"],
        "CANCELING"
    );
    // Whatever the provisioner reports, the build ends canceled, without effects.
    let done = app
        .as_provisioner(&key, COMPLETE, json!({ "input": { "jobId": job } }))
        .await;
    assert_eq!(done["data"]["completeProvisionerJob"]["status"], "CANCELED");
    let ws = app
        .gql(
            "query($id: UUID!) { workspace(id: $id) { status agents { name } } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(
        ws.data()["workspace"],
        json!({ "status": "CANCELED", "agents": [] })
    );
    let start = app.gql(START, json!({ "id": id }), Some(&token)).await;
    assert_eq!(start.data()["startWorkspace"]["buildNumber"], 2);
}

#[tokio::test]
async fn pending_builds_are_canceled_at_once_by_those_who_may_update_the_workspace() {
    let (app, token, org) = setup().await;
    let (_, dev) = app.create_user(&token, "dev", &[]).await;
    let (_, other) = app.create_user(&token, "other", &[]).await;
    let (_, template_admin) = app.create_user(&token, "tadmin", &["TEMPLATE_ADMIN"]).await;
    let id = queued_workspace(&app, &token, &dev, &org).await;
    let build = workspace_state(&app, &dev, &id).await["latestBuild"]["id"].clone();

    // Another member cannot see the workspace, so not its build either.
    let hidden = app.gql(CANCEL, json!({ "id": build }), Some(&other)).await;
    assert_eq!(hidden.error_code(), "NOT_FOUND");
    // A template admin sees every workspace but may not update them.
    let refused = app
        .gql(CANCEL, json!({ "id": build }), Some(&template_admin))
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["message"],
        "You may not update this workspace."
    );
    let unknown = app
        .gql(CANCEL, json!({ "id": uuid::Uuid::new_v4() }), Some(&token))
        .await;
    assert_eq!(unknown.error_code(), "NOT_FOUND");
    assert_eq!(
        workspace_state(&app, &dev, &id).await["status"],
        "PENDING",
        "refusals change nothing"
    );

    // The owner may; a pending build has no provisioner to wait for.
    let canceled = app.gql(CANCEL, json!({ "id": build }), Some(&dev)).await;
    let canceled = &canceled.data()["cancelWorkspaceBuild"];
    assert_eq!(canceled["status"], "CANCELED");
    assert_eq!(canceled["job"]["status"], "CANCELED");
    assert!(canceled["job"]["canceledAt"].is_string());
    assert!(canceled["job"]["completedAt"].is_string());
    assert_eq!(run_jobs(&app).await, 0, "nothing is left to run");

    // A new build runs; a finished one cannot be canceled.
    app.gql(START, json!({ "id": id }), Some(&dev)).await.data();
    run_jobs(&app).await;
    let finished = workspace_state(&app, &dev, &id).await["latestBuild"]["id"].clone();
    // Organization admins (here the owner) may cancel anyone's builds; it is too late.
    let late = app
        .gql(CANCEL, json!({ "id": finished }), Some(&token))
        .await;
    assert_eq!(late.error_code(), "CONFLICT");
    assert_eq!(
        late.body["errors"][0]["message"],
        "Job has already completed!"
    );
}

/// A server whose built-in provisioner takes a whole hour per build.
async fn slow_provisioner_app() -> (TestApp, String, String) {
    let app =
        TestApp::spawn_with(&["--provisioner-daemons", "1", "--provisioner-delay", "1h"]).await;
    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    let id = queued_workspace(&app, &token, &token, &org).await;
    app.wait_for_provisioners(|p| p.taken >= 1).await;
    (app, token, id)
}

#[tokio::test]
async fn a_server_stopping_during_a_build_hands_the_job_back() {
    let (mut app, token, id) = slow_provisioner_app().await;
    let ws = workspace_state(&app, &token, &id).await;
    assert_eq!(ws["latestBuild"]["job"]["status"], "RUNNING");
    let job_id: uuid::Uuid = ws["latestBuild"]["job"]["id"]
        .as_str()
        .expect("job id")
        .parse()
        .expect("uuid");
    let job = devplane::entity::provisioner_job::Entity::find_by_id(job_id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("job");
    // Named for this server process, not `built-in-0` like every other server's.
    let worker = job.worker_id.expect("taken");
    assert!(
        worker.starts_with("built-in-") && worker.ends_with("-0") && worker != "built-in-0",
        "{worker}"
    );

    app.stop().await.expect("stopped");
    // The server closed its pool; look at the database afresh.
    let db = Database::connect(app.database_url())
        .await
        .expect("connect");
    let job = devplane::entity::provisioner_job::Entity::find_by_id(job_id)
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!(
        job.status,
        devplane::entity::provisioner_job::JobStatus::Pending,
        "the unfinished build waits for another provisioner instead of succeeding"
    );
    assert_eq!(job.worker_id, None);
    assert_eq!(job.started_at, None);
    assert_eq!(job.completed_at, None);
    db.close().await.ok();
}

#[tokio::test]
async fn the_built_in_provisioner_stops_a_canceled_build_at_once() {
    let (app, token, id) = slow_provisioner_app().await;
    let build = workspace_state(&app, &token, &id).await["latestBuild"]["id"].clone();
    let canceled = app.gql(CANCEL, json!({ "id": build }), Some(&token)).await;
    assert_eq!(
        canceled.data()["cancelWorkspaceBuild"]["status"],
        "CANCELING"
    );
    // The worker in this process is told at once; it does not wait out its hour.
    app.wait_for_provisioners(|p| p.released >= 1).await;
    let ws = workspace_state(&app, &token, &id).await;
    assert_eq!(ws["status"], "CANCELED");
    assert_eq!(ws["latestBuild"]["job"]["status"], "CANCELED");
}
