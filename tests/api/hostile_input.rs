//! Hostile text and times: NUL characters get a clear BAD_USER_INPUT naming the field on
//! both engines (PostgreSQL cannot store them), every stored string has a maximum, and
//! reported times must be sane. Text machines report is cleaned instead of refused.

use devplane::clock::Clock;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{GqlResponse, TestApp},
    workspaces::{MAIN_TF, create_template, run_jobs, setup},
};

fn assert_invalid(response: &GqlResponse, field: &str, detail: &str) {
    assert_eq!(response.error_code(), "BAD_USER_INPUT", "{}", response.body);
    assert!(
        response
            .validations()
            .contains(&json!({ "field": field, "detail": detail })),
        "{field}: {detail} not in {}",
        response.body
    );
}

const NUL: &str = "must not contain NUL characters";

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let login = app
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { token } }",
            json!({ "input": { "email": "a\u{0}@example.com", "password": "whatever-1" } }),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST);
    assert_invalid(&login, "$input.email", NUL);

    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    let cases = [
        (
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }",
            json!({ "input": { "name": "acme", "description": "a\u{0}b" } }),
            "$input.description",
        ),
        (
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
            json!({ "input": { "organizationId": org, "name": "devs", "displayName": "\u{0}" } }),
            "$input.displayName",
        ),
        (
            "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }",
            json!({ "input": { "organizationId": org, "name": "t\u{0}", "files": [{ "path": "main.tf", "content": MAIN_TF }] } }),
            "$input.name",
        ),
    ];
    for (query, variables, field) in cases {
        let response = app.gql(query, variables, Some(&token)).await;
        assert_invalid(&response, field, NUL);
    }
    // Written into the document instead of a variable.
    let inline = app
        .gql(
            "{ workspaces(filter: \"name:a\\u0000b\") { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_invalid(&inline, "workspaces.filter", NUL);
    let aliased = app
        .gql(
            "{ logs: connectionLogs(filter: \"workspace:\\u0000\") { totalCount } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_invalid(&aliased, "logs.filter", NUL);
    // Nothing was created.
    let orgs = app
        .gql("{ organizations { name } }", json!({}), Some(&token))
        .await;
    assert_eq!(orgs.data()["organizations"], json!([{ "name": "default" }]));
}

#[tokio::test]
async fn every_stored_string_has_a_maximum() {
    let (app, token, org) = setup().await;
    let megabyte = "a".repeat(1024 * 1024);
    let group = app
        .gql(
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
            json!({ "input": { "organizationId": org, "name": "devs", "avatarUrl": format!("https://example.com/{megabyte}") } }),
            Some(&token),
        )
        .await;
    assert_invalid(&group, "avatarUrl", "must be at most 2048 characters");
    let organization = app
        .gql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }",
            json!({ "input": { "name": "acme", "description": "d".repeat(1025) } }),
            Some(&token),
        )
        .await;
    assert_invalid(
        &organization,
        "description",
        "must be at most 1024 characters",
    );
    let email = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": format!("{}@example.com", "e".repeat(300)), "username": "long", "password": "password-1" } }),
            Some(&token),
        )
        .await;
    assert_invalid(&email, "email", "must be at most 254 characters");
    let filter = app
        .gql(
            "query($f: String!) { workspaces(filter: $f) { id } }",
            json!({ "f": "x".repeat(1025) }),
            Some(&token),
        )
        .await;
    assert_invalid(&filter, "filter", "must be at most 1024 characters");

    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let message = app
        .gql(
            "mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { id } }",
            json!({ "input": { "templateId": template, "message": "m".repeat(4097), "files": [{ "path": "main.tf", "content": MAIN_TF }] } }),
            Some(&token),
        )
        .await;
    assert_invalid(&message, "message", "must be at most 4096 characters");
    let parameter = app
        .gql(
            "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
            json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "v".repeat(16 * 1024 + 1) }] } }),
            Some(&token),
        )
        .await;
    assert_invalid(
        &parameter,
        "parameters[0].value",
        "must be at most 16384 characters",
    );
    let license = app
        .gql(
            "mutation($input: AddLicenseInput!) { addLicense(input: $input) { id } }",
            json!({ "input": { "license": "x".repeat(20_000) } }),
            Some(&token),
        )
        .await;
    assert_invalid(&license, "license", "a license is at most 16384 characters");
    assert_eq!(
        devplane::entity::group::Entity::find()
            .all(&app.db)
            .await
            .expect("groups")
            .len(),
        0
    );
}

/// A running workspace's agent token, on a licensed deployment.
async fn agent_token(app: &TestApp, token: &str, org: &str) -> String {
    app.install_premium_license(token).await;
    let (template, _) = create_template(app, token, org, "docker", MAIN_TF, json!({})).await;
    let created = app
        .gql(
            "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
            json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(token),
        )
        .await;
    let ws = created.data()["createWorkspace"]["id"].clone();
    run_jobs(app).await;
    let agents = app
        .gql(
            "query($id: UUID!) { workspace(id: $id) { agents { id } } }",
            json!({ "id": ws }),
            Some(token),
        )
        .await;
    let agent = agents.data()["workspace"]["agents"][0]["id"].clone();
    let issued = app
        .gql(
            "mutation($id: UUID!) { createWorkspaceAgentToken(agentId: $id) { token } }",
            json!({ "id": agent }),
            Some(token),
        )
        .await;
    issued.data()["createWorkspaceAgentToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

#[tokio::test]
async fn agents_reports_are_cleaned_and_their_times_checked() {
    let (app, token, org) = setup().await;
    let agent = agent_token(&app, &token, &org).await;
    let batch = "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }";
    let now = app.clock.now();
    let (nul, long) = (Uuid::new_v4(), Uuid::new_v4());
    let event = |id: Uuid, action: &str, reason: &str| json!({ "connectionId": id, "action": action, "type": "SSH", "time": now.to_rfc3339(), "reason": reason });
    let recorded = app
        .agent_gql(
            &agent,
            batch,
            json!({ "input": [
                event(nul, "CONNECT", ""),
                event(nul, "DISCONNECT", "exit\u{0}ed"),
                event(long, "CONNECT", ""),
                event(long, "DISCONNECT", &"r".repeat(1024 * 1024)),
            ] }),
        )
        .await;
    assert_eq!(recorded.data()["reportConnections"]["recorded"], 4);
    let rows = devplane::entity::connection_log::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let reason = |id: Uuid| {
        rows.iter()
            .find(|r| r.connection_id == Some(id))
            .and_then(|r| r.disconnect_reason.clone())
            .expect("closed row")
    };
    assert_eq!(reason(nul), "exited");
    assert_eq!(reason(long), "r".repeat(1024));

    for time in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
        let refused = app
            .agent_gql(
                &agent,
                batch,
                json!({ "input": [{ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": time }] }),
            )
            .await;
        assert_invalid(
            &refused,
            "input[0].time",
            "must be after 2000-01-01T00:00:00Z and at most a day ahead of the server's clock",
        );
    }
    let rows_after = devplane::entity::connection_log::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows_after.len(), 2);
}

#[tokio::test]
async fn provisioner_errors_are_cleaned() {
    let (app, token, org) = setup().await;
    app.install_premium_license(&token).await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let key = app
        .gql(
            "mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }",
            json!({ "input": { "organizationId": org, "name": "runner" } }),
            Some(&token),
        )
        .await
        .data()["createProvisionerKey"]["key"]
        .as_str()
        .expect("key")
        .to_owned();
    app.gql(
        "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
        json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
        Some(&token),
    )
    .await
    .data();
    let as_provisioner = |query: &'static str, variables: Value| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("Coder-Provisioner-Key", &key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let acquired: Value = as_provisioner(
        "mutation { acquireProvisionerJob { job { id } } }",
        json!({}),
    )
    .await
    .expect("sent")
    .json()
    .await
    .expect("json");
    let job = acquired["data"]["acquireProvisionerJob"]["job"]["id"].clone();
    let error = format!("terraform\u{0} failed: {}", "x".repeat(20_000));
    let completed: Value = as_provisioner(
        "mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { status error } }",
        json!({ "input": { "jobId": job, "error": error } }),
    )
    .await
    .expect("sent")
    .json()
    .await
    .expect("json");
    let done = &completed["data"]["completeProvisionerJob"];
    assert_eq!(done["status"], "FAILED", "{completed}");
    let stored = done["error"].as_str().expect("error");
    assert!(
        stored.starts_with("terraform failed: xxx"),
        "{}",
        &stored[..40]
    );
    assert_eq!(stored.chars().count(), 16 * 1024);
}
