//! External provisioners: keys, acquiring and completing jobs over GraphQL, and race-free
//! acquisition with several consumers.

use std::collections::HashSet;

use devplane::clock::Clock;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{MAIN_TF, create_template, setup};

const ACQUIRE: &str = "mutation { acquireProvisionerJob { job { id status } build { transition buildNumber } workspaceName fileId } }";
const COMPLETE: &str = "mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { id status error } }";

#[tokio::test]
async fn external_provisioners_run_builds_with_a_key() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    // External provisioners are a licensed feature.
    let unlicensed = app
        .gql(
            "mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }",
            json!({ "input": { "organizationId": org, "name": "runner-1" } }),
            Some(&token),
        )
        .await;
    assert_eq!(unlicensed.error_code(), "FORBIDDEN");
    assert_eq!(
        unlicensed.body["errors"][0]["message"],
        "External Provisioner Daemons is a licensed feature: your deployment is not entitled to it."
    );
    app.install_premium_license(&token).await;
    let nowhere = app
        .gql(
            "mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }",
            json!({ "input": { "organizationId": uuid::Uuid::new_v4(), "name": "runner-1" } }),
            Some(&token),
        )
        .await;
    assert_eq!(nowhere.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        nowhere.validations()[0],
        json!({ "field": "organizationId", "detail": "no such organization" })
    );
    let key = app.create_provisioner_key(&token, &org, "runner-1").await;
    let other = app.create_provisioner_key(&token, &org, "runner-2").await;
    let (_, member) = app.create_user(&token, "dev", &[]).await;
    let denied = app
        .gql(
            "mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }",
            json!({ "input": { "organizationId": org, "name": "mine" } }),
            Some(&member),
        )
        .await;
    assert_eq!(denied.error_code(), "FORBIDDEN");

    // Nothing queued yet.
    assert_eq!(
        app.as_provisioner(&key, ACQUIRE, json!({})).await["data"]["acquireProvisionerJob"],
        Value::Null
    );
    app.gql(
        "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
        json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
        Some(&token),
    )
    .await
    .data();
    let acquired = app.as_provisioner(&key, ACQUIRE, json!({})).await;
    let assignment = &acquired["data"]["acquireProvisionerJob"];
    assert_eq!(assignment["job"]["status"], "RUNNING");
    assert_eq!(
        assignment["build"],
        json!({ "transition": "START", "buildNumber": 1 })
    );
    assert_eq!(assignment["workspaceName"], "dev");
    let job = assignment["job"]["id"].as_str().expect("job id").to_owned();

    // Only the provisioner that took the job may complete it.
    let stolen = app
        .as_provisioner(&other, COMPLETE, json!({ "input": { "jobId": job } }))
        .await;
    assert_eq!(stolen["errors"][0]["extensions"]["code"], "CONFLICT");
    let done = app
        .as_provisioner(&key, COMPLETE, json!({ "input": { "jobId": job } }))
        .await;
    assert_eq!(
        done["data"]["completeProvisionerJob"]["status"],
        "SUCCEEDED"
    );
    let ws = app
        .gql(
            "{ workspaces { status agents { name } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        ws.data()["workspaces"],
        json!([{ "status": "RUNNING", "agents": [{ "name": "main" }] }])
    );
    // Completing twice is refused.
    let again = app
        .as_provisioner(&key, COMPLETE, json!({ "input": { "jobId": job } }))
        .await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "CONFLICT");

    // Bad keys and user tokens do not work for provisioner operations.
    let bad = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Coder-Provisioner-Key", "not-a-key")
        .json(&json!({ "query": ACQUIRE }))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), reqwest::StatusCode::UNAUTHORIZED);
    let as_user = app.gql(ACQUIRE, json!({}), Some(&token)).await;
    assert_eq!(as_user.error_code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn concurrent_consumers_take_each_job_once() {
    use devplane::domain::{identity, workspace};
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    // 200 queued builds, made through the domain directly to keep the test quick.
    let admin = devplane::entity::user::Entity::find()
        .filter(devplane::entity::user::Column::Username.eq("admin"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("admin");
    let subject = identity::subject_for(&app.db, &admin)
        .await
        .expect("subject");
    let mut queued = HashSet::new();
    for n in 0..200 {
        let (_, build) = workspace::create_workspace(
            &app.db,
            &subject,
            &workspace::NoUsageCheck,
            workspace::PrebuildClaims::Disabled,
            app.clock.now(),
            workspace::CreateWorkspace {
                template_id: template.parse().expect("uuid"),
                name: format!("ws-{n}"),
                preset_id: None,
                parameters: vec![devplane::domain::parameters::BuildParameter::new(
                    "project", "p",
                )],
                ttl_ms: None,
                autostart_schedule: None,
            },
        )
        .await
        .expect("workspace");
        queued.insert(build.job_id.to_string());
    }
    app.install_premium_license(&token).await;
    let mut keys = Vec::new();
    for n in 0..4 {
        keys.push(
            app.create_provisioner_key(&token, &org, &format!("runner-{n}"))
                .await,
        );
    }
    // Four consumers race over GraphQL until the queue is empty.
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let (address, client) = (app.address.clone(), app.client.clone());
        tasks.spawn(async move {
            let call = |query: &'static str, variables: Value| {
                let (client, address, key) = (client.clone(), address.clone(), key.clone());
                async move {
                    client
                        .post(format!("{address}/graphql"))
                        .header("Coder-Provisioner-Key", key)
                        .json(&json!({ "query": query, "variables": variables }))
                        .send()
                        .await
                        .expect("sent")
                        .json::<Value>()
                        .await
                        .expect("json")
                }
            };
            let mut taken = Vec::new();
            loop {
                let acquired = call(ACQUIRE, json!({})).await;
                let assignment = &acquired["data"]["acquireProvisionerJob"];
                if assignment.is_null() {
                    assert!(acquired.get("errors").is_none(), "{acquired}");
                    break;
                }
                let job = assignment["job"]["id"].as_str().expect("job").to_owned();
                let done = call(COMPLETE, json!({ "input": { "jobId": job } })).await;
                assert_eq!(
                    done["data"]["completeProvisionerJob"]["status"], "SUCCEEDED",
                    "{done}"
                );
                taken.push(job);
            }
            taken
        });
    }
    let mut seen = Vec::new();
    while let Some(taken) = tasks.join_next().await {
        seen.extend(taken.expect("consumer"));
    }
    assert_eq!(seen.len(), 200, "every job ran, none twice");
    let unique: HashSet<String> = seen.into_iter().collect();
    assert_eq!(unique, queued, "each queued job ran exactly once");
    let running = app
        .gql(
            "{ workspaces(filter: \"status:running\", limit: 1000) { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        running.data()["workspaces"].as_array().expect("list").len(),
        200
    );
}

#[tokio::test]
async fn provisioner_errors_are_cleaned_not_refused() {
    let (app, token, org) = setup().await;
    app.install_premium_license(&token).await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let key = app.create_provisioner_key(&token, &org, "runner").await;
    app.gql(
        "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
        json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
        Some(&token),
    )
    .await
    .data();
    let acquired = app.as_provisioner(&key, ACQUIRE, json!({})).await;
    let job = acquired["data"]["acquireProvisionerJob"]["job"]["id"].clone();
    // A NUL (which PostgreSQL cannot store) and far more than the 16384 characters kept.
    let error = format!("terraform\u{0} failed: {}", "x".repeat(20_000));
    let completed = app
        .as_provisioner(
            &key,
            COMPLETE,
            json!({ "input": { "jobId": job, "error": error } }),
        )
        .await;
    let done = &completed["data"]["completeProvisionerJob"];
    assert_eq!(done["status"], "FAILED", "{completed}");
    let stored = done["error"].as_str().expect("error");
    assert!(stored.starts_with("terraform failed: xxx"));
    assert_eq!(stored.chars().count(), 16 * 1024);
}
