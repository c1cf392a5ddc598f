//! Agent lifecycle: a start build's agents are created CREATED; the built-in provisioner
//! stands in for an agent (READY at once) unless `--provisioner-simulate-agents false`;
//! agents report their own state with `reportAgentLifecycle` and their token.

use devplane::{
    clock::Clock,
    entity::{workspace, workspace_agent::LifecycleState},
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{
    EXPLICIT_BACKGROUND, GqlResponse, MAIN_TF, TestApp, create_template, run_jobs, setup,
};

const AGENTS: &str =
    "query($id: UUID!) { workspace(id: $id) { status agents { id name lifecycleState } } }";
const REPORT: &str = "mutation($state: AgentLifecycleState!) { reportAgentLifecycle(state: $state) { id name lifecycleState } }";
const CREATE: &str =
    "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }";

async fn create_workspace(app: &TestApp, token: &str, org: &str) -> String {
    let (template, _) = create_template(app, token, org, "docker", MAIN_TF, json!({})).await;
    app.gql(
        CREATE,
        json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
        Some(token),
    )
    .await
    .data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn agents(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(AGENTS, json!({ "id": id }), Some(token))
        .await
        .data()["workspace"]
        .clone()
}

/// A server whose one built-in provisioner applies builds at once, with `extra` flags.
async fn built_in_app(extra: &[&str]) -> (TestApp, String, String) {
    let mut args = vec![
        "--provisioner-delay",
        "0s",
        "--autobuild-poll-interval",
        "0",
    ];
    args.extend_from_slice(extra);
    let app = TestApp::spawn_with(&args).await;
    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    (app, token, org)
}

async fn report(app: &TestApp, agent_token: &str, state: &str) -> GqlResponse {
    app.agent_gql(agent_token, REPORT, json!({ "state": state }))
        .await
}

#[tokio::test]
async fn the_built_in_provisioner_brings_agents_up_ready() {
    let (app, token, org) = built_in_app(&[]).await;
    let id = create_workspace(&app, &token, &org).await;
    app.wait_for_provisioners(|p| p.released >= 1).await;
    let ws = agents(&app, &token, &id).await;
    assert_eq!(ws["status"], "RUNNING");
    assert_eq!(ws["agents"][0]["lifecycleState"], "READY", "{ws}");
}

#[tokio::test]
async fn without_simulation_agents_wait_for_their_own_reports() {
    let (app, token, org) = built_in_app(&["--provisioner-simulate-agents", "false"]).await;
    let id = create_workspace(&app, &token, &org).await;
    app.wait_for_provisioners(|p| p.released >= 1).await;
    let ws = agents(&app, &token, &id).await;
    assert_eq!(ws["status"], "RUNNING");
    assert_eq!(ws["agents"][0]["lifecycleState"], "CREATED", "{ws}");

    let agent_token = app.agent_token(&token, &id).await;
    for state in ["STARTING", "READY"] {
        let reported = report(&app, &agent_token, state).await;
        assert_eq!(
            reported.data()["reportAgentLifecycle"]["lifecycleState"],
            state
        );
        assert_eq!(
            agents(&app, &token, &id).await["agents"][0]["lifecycleState"],
            state
        );
    }
    // Reporting the state it is in is no error.
    report(&app, &agent_token, "READY").await.data();
    // Stored as Coder spells it, which the prebuild readiness query relies on.
    let stored = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT lifecycle_state FROM workspace_agents",
        ))
        .await
        .expect("query")
        .expect("one agent");
    assert_eq!(
        stored
            .try_get::<String>("", "lifecycle_state")
            .expect("text"),
        "ready"
    );
}

#[tokio::test]
async fn agents_of_external_provisioners_start_created() {
    let (app, token, org) = setup().await;
    app.install_premium_license(&token).await;
    let key = app.create_provisioner_key(&token, &org, "runner").await;
    let id = create_workspace(&app, &token, &org).await;
    let acquired = app
        .as_provisioner(
            &key,
            "mutation { acquireProvisionerJob { job { id } } }",
            json!({}),
        )
        .await;
    let job = acquired["data"]["acquireProvisionerJob"]["job"]["id"].clone();
    let done = app
        .as_provisioner(
            &key,
            "mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { status } }",
            json!({ "input": { "jobId": job } }),
        )
        .await;
    assert_eq!(
        done["data"]["completeProvisionerJob"]["status"],
        "SUCCEEDED"
    );
    let ws = agents(&app, &token, &id).await;
    assert_eq!(ws["status"], "RUNNING");
    assert_eq!(ws["agents"][0]["lifecycleState"], "CREATED", "{ws}");

    let agent_token = app.agent_token(&token, &id).await;
    report(&app, &agent_token, "START_ERROR").await.data();
    assert_eq!(
        agents(&app, &token, &id).await["agents"][0]["lifecycleState"],
        "START_ERROR"
    );
}

#[tokio::test]
async fn reports_need_a_valid_agent_token_and_a_known_state() {
    let (app, token, org) = setup().await;
    let id = create_workspace(&app, &token, &org).await;
    run_jobs(&app).await;
    let agent_token = app.agent_token(&token, &id).await;

    // No agent token: the field's error.
    let anonymous = app.gql(REPORT, json!({ "state": "READY" }), None).await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
    // A user's token is not an agent's.
    let user = app
        .gql(REPORT, json!({ "state": "READY" }), Some(&token))
        .await;
    assert_eq!(user.error_code(), "UNAUTHENTICATED");
    // A wrong agent token is refused before anything runs.
    let wrong = report(&app, "not-a-token", "READY").await;
    assert_eq!(wrong.status, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error_code(), "UNAUTHENTICATED");

    // Values outside Coder's states do not fit the schema: a validation error, not a 500.
    let unknown = report(&app, &agent_token, "SLEEPING").await;
    assert_eq!(unknown.error_code(), "GRAPHQL_VALIDATION_FAILED");
    let lower = app
        .agent_gql(
            &agent_token,
            "mutation { reportAgentLifecycle(state: ready) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(lower.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(
        agents(&app, &token, &id).await["agents"][0]["lifecycleState"],
        "READY"
    );
}

#[tokio::test]
async fn agents_of_an_outdated_build_or_a_deleted_workspace_are_refused() {
    let (app, token, org) = setup().await;
    let id = create_workspace(&app, &token, &org).await;
    run_jobs(&app).await;
    let agent_token = app.agent_token(&token, &id).await;

    // A stop is queued: the running agents belong to a build that is no longer the latest.
    app.gql(
        "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
        json!({ "id": id }),
        Some(&token),
    )
    .await
    .data();
    let outdated = report(&app, &agent_token, "SHUTTING_DOWN").await;
    assert_eq!(outdated.error_code(), "CONFLICT", "{}", outdated.body);
    assert_eq!(
        outdated.body["errors"][0]["message"],
        "The agent belongs to an outdated build of its workspace: only agents of the latest build may report."
    );

    // When the stop completes the agents are gone, and so is their token.
    run_jobs(&app).await;
    let stopped = report(&app, &agent_token, "OFF").await;
    assert_eq!(stopped.error_code(), "UNAUTHENTICATED", "{}", stopped.body);

    // A deleted workspace's agents: their tokens are refused at the door, and a report that
    // got past it just before the deletion is refused by the report itself.
    app.gql(
        "mutation($id: UUID!) { startWorkspace(input: { id: $id }) { id } }",
        json!({ "id": id }),
        Some(&token),
    )
    .await
    .data();
    run_jobs(&app).await;
    let agent_token = app.agent_token(&token, &id).await;
    let agent_id: uuid::Uuid =
        report(&app, &agent_token, "READY").await.data()["reportAgentLifecycle"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");
    workspace::Entity::update_many()
        .col_expr(workspace::Column::Deleted, Expr::value(true))
        .filter(workspace::Column::Id.eq(id.parse::<uuid::Uuid>().expect("uuid")))
        .exec(&app.db)
        .await
        .expect("mark deleted");
    let deleted = report(&app, &agent_token, "OFF").await;
    assert_eq!(deleted.status, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(deleted.error_code(), "UNAUTHENTICATED");
    let err = devplane::domain::workspace::report_agent_lifecycle(
        &app.db,
        app.clock.now(),
        agent_id,
        LifecycleState::Off,
    )
    .await
    .expect_err("the workspace is deleted");
    assert_eq!(err.to_string(), "The agent's workspace has been deleted.");
}

/// The flag's environment variable and its default, as the README documents them.
#[test]
fn simulation_is_on_by_default_and_can_be_turned_off() {
    let default = crate::helpers::server_config("sqlite::memory:", EXPLICIT_BACKGROUND);
    assert!(default.provisioner_simulate_agents);
    let off = crate::helpers::server_config(
        "sqlite::memory:",
        &["--provisioner-simulate-agents", "false"],
    );
    assert!(!off.provisioner_simulate_agents);
}
