//! Templates, versions, the workspace builder and the workspace lifecycle over HTTP. The
//! built-in provisioner is off (`--provisioner-daemons 0`); tests run queued jobs
//! explicitly, so nothing waits on background work.

use devplane::clock::Clock;
use serde_json::{Value, json};

use crate::helpers::{CREATE_TEMPLATE, MAIN_TF, TestApp, create_template, run_jobs, setup};

const CREATE_WORKSPACE: &str = "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id name status latestBuild { buildNumber transition status parameters { name value } } } }";
const WORKSPACE: &str = "query($id: UUID!) { workspace(id: $id) { name status outdated deadline maxDeadline ttlMs agents { name lifecycleState } latestBuild { buildNumber transition status reason templateVersion { number } parameters { name value } } } }";

async fn create_workspace(
    app: &TestApp,
    token: &str,
    template: &str,
    name: &str,
    parameters: Value,
) -> Value {
    let response = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": name, "parameters": parameters } }),
            Some(token),
        )
        .await;
    response.data()["createWorkspace"].clone()
}

/// Creates the workspace `dev` with `ttl_ms` from `template` (MAIN_TF's parameters) and runs
/// its start build; returns its id.
async fn started_workspace_with_ttl(
    app: &TestApp,
    token: &str,
    template: &str,
    ttl_ms: u64,
) -> String {
    let created = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "dev", "ttlMs": ttl_ms, "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(token),
        )
        .await;
    let id = created.data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    run_jobs(app).await;
    id
}

#[tokio::test]
async fn templates_import_parameters_presets_and_agents() {
    let (app, token, org) = setup().await;
    let (template, version) =
        create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let response = app
        .gql(
            "query($id: UUID!) { templateVersion(id: $id) { number name importStatus agents hasAiTask
               parameters { name type defaultValue required mutable options { value } validation { min max } }
               presets { name parameters { name value } desiredInstances ttlSeconds schedulingTimezone schedules { cron instances } } } }",
            json!({ "id": version }),
            Some(&token),
        )
        .await;
    let version = &response.data()["templateVersion"];
    assert_eq!(version["number"], 1);
    assert_eq!(version["importStatus"], "SUCCEEDED");
    assert_eq!(version["agents"], json!(["main"]));
    assert_eq!(version["hasAiTask"], false);
    assert_eq!(
        version["parameters"],
        json!([
            { "name": "region", "type": "string", "defaultValue": "eu", "required": false, "mutable": false,
              "options": [{ "value": "eu" }, { "value": "us" }], "validation": null },
            { "name": "cpu", "type": "number", "defaultValue": "2", "required": false, "mutable": true,
              "options": [], "validation": { "min": "1", "max": "8" } },
            { "name": "project", "type": "string", "defaultValue": null, "required": true, "mutable": true,
              "options": [], "validation": null }
        ])
    );
    assert_eq!(
        version["presets"],
        json!([{ "name": "small", "parameters": [{ "name": "cpu", "value": "1" }, { "name": "region", "value": "us" }],
                 "desiredInstances": 1, "ttlSeconds": 3600, "schedulingTimezone": "UTC",
                 "schedules": [{ "cron": "* 9-18 * * 1-5", "instances": 3 }] }])
    );
    let listed = app
        .gql(
            "query($org: UUID!) { templates(organizationId: $org) { id name } }",
            json!({ "org": org }),
            Some(&token),
        )
        .await;
    assert_eq!(
        listed.data()["templates"],
        json!([{ "id": template, "name": "docker" }])
    );
}

#[tokio::test]
async fn import_errors_name_the_file_line_and_attribute() {
    let (app, token, org) = setup().await;
    let bad = "data \"coder_parameter\" \"x\" {\n  name    = \"x\"\n  default = timestamp()\n}\n";
    let response = app
        .gql(
            CREATE_TEMPLATE,
            json!({ "input": { "organizationId": org, "name": "bad", "files": [{ "path": "main.tf", "content": bad }] } }),
            Some(&token),
        )
        .await;
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
    let detail = response.validations()[0]["detail"]
        .as_str()
        .expect("detail");
    assert!(detail.starts_with("main.tf:3"), "{detail}");
    assert!(detail.contains("default"), "{detail}");

    let rule = "data \"coder_parameter\" \"x\" {\n  name      = \"x\"\n  default   = \"a\"\n  mutable   = false\n  ephemeral = true\n}\n";
    let response = app
        .gql(
            CREATE_TEMPLATE,
            json!({ "input": { "organizationId": org, "name": "bad", "files": [{ "path": "main.tf", "content": rule }] } }),
            Some(&token),
        )
        .await;
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        response.validations()[0]["detail"],
        "parameter can't be immutable and ephemeral"
    );
    // Nothing was stored.
    let listed = app
        .gql("{ templates { name } }", json!({}), Some(&token))
        .await;
    assert_eq!(listed.data()["templates"], json!([]));
}

#[tokio::test]
async fn uploaded_tar_archives_become_versions() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let mut builder = tar::Builder::new(Vec::new());
    let content = MAIN_TF.replace("\"eu\"\n}", "\"us\"\n}");
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "main.tf", content.as_bytes())
        .expect("tar");
    let archive = builder.into_inner().expect("tar");

    let operations = json!({
        "query": "mutation($org: UUID!, $file: Upload!) { uploadFile(organizationId: $org, file: $file) { id hash size } }",
        "variables": { "org": org, "file": null }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(archive.clone())
                .file_name("source.tar")
                .mime_str("application/x-tar")
                .expect("mime"),
        );
    let response: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let file = &response["data"]["uploadFile"];
    assert_eq!(file["size"], archive.len());
    let file_id = file["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no file in {response}"));

    let created = app
        .gql(
            "mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { number parameters { name defaultValue } } }",
            json!({ "input": { "templateId": template, "fileId": file_id, "activate": true } }),
            Some(&token),
        )
        .await;
    assert_eq!(created.data()["createTemplateVersion"]["number"], 2);
    assert_eq!(
        created.data()["createTemplateVersion"]["parameters"][0],
        json!({ "name": "region", "defaultValue": "us" })
    );
    let tmpl = app
        .gql(
            "query($id: UUID!) { template(id: $id) { activeVersion { number } } }",
            json!({ "id": template }),
            Some(&token),
        )
        .await;
    assert_eq!(tmpl.data()["template"]["activeVersion"]["number"], 2);
}

#[tokio::test]
async fn the_builder_validates_parameters_before_any_job_exists() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let response = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "cpu", "value": "99" }, { "name": "region", "value": "mars" }] } }),
            Some(&token),
        )
        .await;
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        response.body["errors"][0]["message"],
        "Unable to validate parameters"
    );
    let fields: Vec<&str> = response
        .validations()
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["cpu", "project", "region"]);
    assert!(
        response.validations()[0]["detail"]
            .as_str()
            .expect("detail")
            .contains("value 99 is more than the maximum 8")
    );
    assert_eq!(
        response.validations()[1]["detail"],
        "Required parameter not provided; Parameter \"project\" is required but not provided"
    );
    // No workspace, no job.
    assert_eq!(
        app.gql("{ workspaces { id } }", json!({}), Some(&token))
            .await
            .data()["workspaces"],
        json!([])
    );
    assert_eq!(run_jobs(&app).await, 0);
}

#[tokio::test]
async fn workspaces_start_stop_and_delete_through_the_provisioner() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let created = create_workspace(
        &app,
        &token,
        &template,
        "dev",
        json!([{ "name": "project", "value": "devplane" }]),
    )
    .await;
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["latestBuild"]["buildNumber"], 1);
    // Defaults are stored with the first build.
    assert_eq!(
        created["latestBuild"]["parameters"],
        json!([{ "name": "region", "value": "eu" }, { "name": "cpu", "value": "2" }, { "name": "project", "value": "devplane" }])
    );
    let id = created["id"].as_str().expect("id").to_owned();

    // A second build while the first is queued is refused.
    let busy = app
        .gql(
            "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(busy.error_code(), "CONFLICT");
    assert_eq!(
        busy.body["errors"][0]["message"],
        "A workspace build is already active."
    );

    assert_eq!(run_jobs(&app).await, 1);
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    let ws = &ws.data()["workspace"];
    assert_eq!(ws["status"], "RUNNING");
    assert_eq!(ws["outdated"], false);
    assert_eq!(
        ws["agents"],
        json!([{ "name": "main", "lifecycleState": "READY" }])
    );

    let stop = app
        .gql(
            "mutation($id: UUID!) { stopWorkspace(id: $id) { buildNumber transition status } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(
        stop.data()["stopWorkspace"],
        json!({ "buildNumber": 2, "transition": "STOP", "status": "PENDING" })
    );
    run_jobs(&app).await;
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    assert_eq!(ws.data()["workspace"]["status"], "STOPPED");
    assert_eq!(ws.data()["workspace"]["agents"], json!([]));

    let start = app
        .gql(
            "mutation($id: UUID!) { startWorkspace(input: {id: $id}) { buildNumber } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(start.data()["startWorkspace"]["buildNumber"], 3);
    run_jobs(&app).await;
    let delete = app
        .gql(
            "mutation($id: UUID!) { deleteWorkspace(id: $id) { transition } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(delete.data()["deleteWorkspace"]["transition"], "DELETE");
    run_jobs(&app).await;
    let gone = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    assert_eq!(gone.error_code(), "NOT_FOUND");
    let deleted = app
        .gql(
            "{ workspaces(filter: \"status:deleted\") { name } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(deleted.data()["workspaces"], json!([{ "name": "dev" }]));
    // The name is free again.
    create_workspace(
        &app,
        &token,
        &template,
        "dev",
        json!([{ "name": "project", "value": "x" }]),
    )
    .await;
}

#[tokio::test]
async fn workspace_filters_and_visibility() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let (_, member) = app.create_user(&token, "dev", &[]).await;
    let (_, template_admin) = app.create_user(&token, "tadmin", &["TEMPLATE_ADMIN"]).await;
    let project = json!([{ "name": "project", "value": "p" }]);
    let mine = create_workspace(&app, &token, &template, "alpha", project.clone()).await;
    create_workspace(&app, &member, &template, "beta", project.clone()).await;
    run_jobs(&app).await;
    app.gql(
        "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
        json!({ "id": mine["id"] }),
        Some(&token),
    )
    .await
    .data();

    let names = |v: &Value| -> Vec<String> {
        v["workspaces"]
            .as_array()
            .expect("list")
            .iter()
            .map(|w| w["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let query = "query($f: String!) { workspaces(filter: $f) { name } }";
    let list = |f: &'static str, t: String| {
        let app = &app;
        async move { names(app.gql(query, json!({ "f": f }), Some(&t)).await.data()) }
    };
    assert_eq!(list("", token.clone()).await, ["alpha", "beta"]);
    assert_eq!(list("owner:me", token.clone()).await, ["alpha"]);
    assert_eq!(list("owner:dev", token.clone()).await, ["beta"]);
    assert_eq!(
        list("template:docker name:bet", token.clone()).await,
        ["beta"]
    );
    assert_eq!(list("status:running", token.clone()).await, ["beta"]);
    assert_eq!(list("status:pending", token.clone()).await, ["alpha"]);
    // Members see their own; template admins see everyone's.
    assert_eq!(list("", member.clone()).await, ["beta"]);
    assert_eq!(list("", template_admin.clone()).await, ["alpha", "beta"]);
    let hidden = app
        .gql(WORKSPACE, json!({ "id": mine["id"] }), Some(&member))
        .await;
    assert_eq!(hidden.error_code(), "NOT_FOUND");
    let stop = app
        .gql(
            "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
            json!({ "id": mine["id"] }),
            Some(&member),
        )
        .await;
    assert_eq!(stop.error_code(), "NOT_FOUND");

    let bad = app
        .gql(
            query,
            json!({ "f": "colour:blue status:sleepy" }),
            Some(&token),
        )
        .await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    let fields: Vec<&str> = bad
        .validations()
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["colour", "status"]);
}

#[tokio::test]
async fn update_stops_then_starts_on_the_active_version() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let ws = create_workspace(
        &app,
        &token,
        &template,
        "dev",
        json!([{ "name": "project", "value": "p" }]),
    )
    .await;
    let id = ws["id"].as_str().expect("id").to_owned();
    run_jobs(&app).await;

    let up_to_date = app
        .gql(
            "mutation($id: UUID!) { updateWorkspace(input: {id: $id}) { upToDate builds { id } } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(
        up_to_date.data()["updateWorkspace"],
        json!({ "upToDate": true, "builds": [] })
    );

    // Version 2 adds a required parameter.
    let v2 = MAIN_TF.replace(
        "resource \"coder_agent\"",
        "data \"coder_parameter\" \"size\" {\n  name = \"size\"\n  type = \"number\"\n  mutable = true\n}\n\nresource \"coder_agent\"",
    );
    app.gql(
        "mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { number } }",
        json!({ "input": { "templateId": template, "files": [{ "path": "main.tf", "content": v2 }], "activate": true } }),
        Some(&token),
    )
    .await
    .data();
    assert_eq!(
        app.gql(WORKSPACE, json!({ "id": id }), Some(&token))
            .await
            .data()["workspace"]["outdated"],
        true
    );

    let update = "mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { upToDate builds { buildNumber transition } } }";
    let missing = app
        .gql(update, json!({ "input": { "id": id } }), Some(&token))
        .await;
    assert_eq!(missing.error_code(), "BAD_USER_INPUT");
    assert_eq!(missing.validations()[0]["field"], "size");
    let immutable = app
        .gql(update, json!({ "input": { "id": id, "parameters": [{ "name": "size", "value": "3" }, { "name": "region", "value": "us" }] } }), Some(&token))
        .await;
    assert_eq!(immutable.error_code(), "BAD_USER_INPUT");
    assert_eq!(immutable.validations()[0]["field"], "region");
    // Nothing was queued by the refused requests.
    assert_eq!(run_jobs(&app).await, 0);

    let ok = app
        .gql(
            update,
            json!({ "input": { "id": id, "parameters": [{ "name": "size", "value": "3" }] } }),
            Some(&token),
        )
        .await;
    assert_eq!(
        ok.data()["updateWorkspace"],
        json!({ "upToDate": false, "builds": [{ "buildNumber": 2, "transition": "STOP" }] })
    );
    // Nothing can slip in while the stop is queued.
    let start = app
        .gql(
            "mutation($id: UUID!) { startWorkspace(input: {id: $id}) { id } }",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    assert_eq!(start.error_code(), "CONFLICT");
    // The stop's completion queues the start; both run.
    assert_eq!(run_jobs(&app).await, 2);
    let after = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    let after = &after.data()["workspace"];
    assert_eq!(after["status"], "RUNNING");
    assert_eq!(after["outdated"], false);
    assert_eq!(after["latestBuild"]["buildNumber"], 3);
    assert_eq!(after["latestBuild"]["transition"], "START");
    assert_eq!(after["latestBuild"]["templateVersion"]["number"], 2);
    let params = after["latestBuild"]["parameters"].as_array().expect("list");
    assert!(
        params.contains(&json!({ "name": "size", "value": "3" })),
        "{params:?}"
    );
    assert!(
        params.contains(&json!({ "name": "project", "value": "p" })),
        "{params:?}"
    );
}

#[tokio::test]
async fn ttl_removal_falls_back_to_the_max_deadline() {
    let (app, token, org) = setup().await;
    // The autostop requirement is advanced template scheduling, a licensed feature.
    app.install_premium_license(&token).await;
    // Every day is an autostop-requirement day, so started builds get a max deadline at the
    // next quiet hours (midnight UTC).
    let (template, _) = create_template(
        &app,
        &token,
        &org,
        "docker",
        MAIN_TF,
        json!({ "autostopRequirementDaysOfWeek": 127, "autostopRequirementWeeks": 1 }),
    )
    .await;
    let id = started_workspace_with_ttl(&app, &token, &template, 3_600_000).await;
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    let max = ws.data()["workspace"]["maxDeadline"]
        .as_str()
        .expect("max deadline set")
        .to_owned();
    assert!(ws.data()["workspace"]["deadline"].as_str().is_some());
    assert_eq!(ws.data()["workspace"]["ttlMs"], 3_600_000);

    let ttl = "mutation($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { ttlMs deadline maxDeadline } }";
    let cleared = app
        .gql(
            ttl,
            json!({ "input": { "id": id, "ttlMs": null } }),
            Some(&token),
        )
        .await;
    let cleared = &cleared.data()["updateWorkspaceTtl"];
    assert_eq!(cleared["ttlMs"], Value::Null);
    assert_eq!(
        cleared["deadline"].as_str(),
        Some(max.as_str()),
        "deadline falls back to the max deadline"
    );
    assert_eq!(cleared["maxDeadline"].as_str(), Some(max.as_str()));

    let too_short = app
        .gql(
            ttl,
            json!({ "input": { "id": id, "ttlMs": 30_000 } }),
            Some(&token),
        )
        .await;
    assert_eq!(too_short.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        too_short.validations()[0]["detail"],
        "time until shutdown must be at least one minute"
    );

    let autostart = "mutation($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { autostartSchedule nextStartAt } }";
    let set = app
        .gql(
            autostart,
            json!({ "input": { "id": id, "schedule": "30 9 * * 1-5" } }),
            Some(&token),
        )
        .await;
    assert_eq!(
        set.data()["updateWorkspaceAutostart"]["autostartSchedule"],
        "CRON_TZ=UTC 30 9 * * 1-5"
    );
    assert!(
        set.data()["updateWorkspaceAutostart"]["nextStartAt"]
            .as_str()
            .is_some()
    );
    let bad = app
        .gql(
            autostart,
            json!({ "input": { "id": id, "schedule": "30 9 * * 7" } }),
            Some(&token),
        )
        .await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    assert_eq!(bad.validations()[0]["field"], "schedule");
}

#[tokio::test]
async fn parameter_preview_uses_the_builder_rules() {
    let (app, token, org) = setup().await;
    let (_, version) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let response = app
        .gql(
            "query($v: UUID!, $values: [ParameterInput!]!) { previewParameters(templateVersionId: $v, values: $values) { name value source diagnostics { summary detail } } }",
            json!({ "v": version, "values": [{ "name": "cpu", "value": "0" }] }),
            Some(&token),
        )
        .await;
    let previews = response.data()["previewParameters"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(
        previews[0],
        json!({ "name": "region", "value": "eu", "source": "DEFAULT", "diagnostics": [] })
    );
    assert_eq!(previews[1]["source"], "USER");
    assert!(
        previews[1]["diagnostics"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("value 0 is less than the minimum 1")
    );
    assert_eq!(previews[2]["source"], "NONE");
    assert_eq!(
        previews[2]["diagnostics"][0]["detail"],
        "Parameter \"project\" is required but not provided"
    );
}

#[tokio::test]
async fn the_deadline_constraint_maps_to_a_typed_error() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    create_workspace(
        &app,
        &token,
        &template,
        "dev",
        json!([{ "name": "project", "value": "p" }]),
    )
    .await;
    let build = devplane::entity::workspace_build::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("a build");
    let now = app.clock.now();
    let mut active: devplane::entity::workspace_build::ActiveModel = build.into();
    active.deadline = Set(Some(now + chrono::Duration::hours(2)));
    active.max_deadline = Set(Some(now + chrono::Duration::hours(1)));
    let err = active
        .update(&app.db)
        .await
        .expect_err("the CHECK refuses a deadline after the max");
    match devplane::domain::workspace::map_constraint(err) {
        devplane::domain::workspace::Error::Invalid(fields) => {
            assert_eq!(fields[0].field, "deadline")
        }
        other => panic!("expected a typed error, got {other:?}"),
    }
}

#[tokio::test]
async fn ttl_removal_without_a_max_deadline_clears_the_deadline() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let id = started_workspace_with_ttl(&app, &token, &template, 7_200_000).await;
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    let deadline = ws.data()["workspace"]["deadline"]
        .as_str()
        .expect("deadline")
        .to_owned();
    let expected = (app.clock.now() + chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(
        deadline[..16],
        expected[..16],
        "running with a deadline two hours out"
    );
    assert_eq!(ws.data()["workspace"]["maxDeadline"], Value::Null);

    let cleared = app
        .gql("mutation($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { deadline maxDeadline } }", json!({ "input": { "id": id, "ttlMs": 0 } }), Some(&token))
        .await;
    assert_eq!(
        cleared.data()["updateWorkspaceTtl"],
        json!({ "deadline": null, "maxDeadline": null })
    );
}

#[tokio::test]
async fn template_ttl_zero_reaches_existing_workspaces() {
    let (app, token, org) = setup().await;
    // Turning user autostop off is advanced template scheduling, a licensed feature.
    app.install_premium_license(&token).await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let id = started_workspace_with_ttl(&app, &token, &template, 3_600_000).await;
    let update = "mutation($input: UpdateTemplateScheduleInput!) { updateTemplateSchedule(input: $input) { allowUserAutostop defaultTtlMs } }";

    // Users keep their TTL while they may set it.
    app.gql(
        update,
        json!({ "input": { "id": template, "schedule": { "defaultTtlMs": 1_800_000 } } }),
        Some(&token),
    )
    .await
    .data();
    assert_eq!(
        app.gql(WORKSPACE, json!({ "id": id }), Some(&token))
            .await
            .data()["workspace"]["ttlMs"],
        3_600_000
    );

    // Forbidding user autostop imposes the template default...
    let forced = app
        .gql(update, json!({ "input": { "id": template, "schedule": { "allowUserAutostop": false, "defaultTtlMs": 5_400_000u64 } } }), Some(&token))
        .await;
    assert_eq!(
        forced.data()["updateTemplateSchedule"],
        json!({ "allowUserAutostop": false, "defaultTtlMs": 5_400_000 })
    );
    assert_eq!(
        app.gql(WORKSPACE, json!({ "id": id }), Some(&token))
            .await
            .data()["workspace"]["ttlMs"],
        5_400_000
    );
    // ...and a default of zero removes the TTL and the running build's deadline (no max here).
    app.gql(
        update,
        json!({ "input": { "id": template, "schedule": { "defaultTtlMs": 0 } } }),
        Some(&token),
    )
    .await
    .data();
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    assert_eq!(ws.data()["workspace"]["ttlMs"], Value::Null);
    assert_eq!(ws.data()["workspace"]["deadline"], Value::Null);

    let bad = app
        .gql(update, json!({ "input": { "id": template, "schedule": { "autostopRequirementWeeks": 17, "autostopRequirementDaysOfWeek": 128 } } }), Some(&token))
        .await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    assert_eq!(bad.validations().len(), 2);
    // Users may not set a TTL on this template any more.
    let refused = app
        .gql("mutation($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { ttlMs } }", json!({ "input": { "id": id, "ttlMs": 3_600_000u64 } }), Some(&token))
        .await;
    assert_eq!(
        refused.validations()[0]["detail"],
        "Custom autostop TTL is not allowed for workspaces using this template."
    );
}

#[tokio::test]
async fn prebuilt_workspaces_refuse_ttl_and_autostart_updates() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let ws = create_workspace(
        &app,
        &token,
        &template,
        "pb",
        json!([{ "name": "project", "value": "p" }]),
    )
    .await;
    let id: uuid::Uuid = ws["id"].as_str().expect("id").parse().expect("uuid");
    // Hand the workspace to the prebuilds system user, as the reconciler's builds would own it.
    devplane::entity::workspace::Entity::update_many()
        .col_expr(
            devplane::entity::workspace::Column::OwnerId,
            Expr::value(devplane::domain::identity::PREBUILDS_SYSTEM_USER_ID),
        )
        .filter(devplane::entity::workspace::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("update");
    let ttl = app
        .gql("mutation($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { ttlMs } }", json!({ "input": { "id": id, "ttlMs": 3_600_000u64 } }), Some(&token))
        .await;
    assert_eq!(ttl.error_code(), "CONFLICT");
    assert_eq!(
        ttl.body["errors"][0]["message"],
        "TTL updates are not supported for prebuilt workspaces"
    );
    let autostart = app
        .gql("mutation($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { id } }", json!({ "input": { "id": id, "schedule": "0 9 * * *" } }), Some(&token))
        .await;
    assert_eq!(autostart.error_code(), "CONFLICT");
}

#[tokio::test]
async fn preset_schedules_are_validated_at_import() {
    let (app, token, org) = setup().await;
    let import = |from: &str, to: &str| {
        let source = MAIN_TF.replace(from, to);
        app.gql(
            CREATE_TEMPLATE,
            json!({ "input": { "organizationId": org, "name": "bad", "files": [{ "path": "main.tf", "content": source }] } }),
            Some(&token),
        )
    };
    let detail = |response: &crate::helpers::GqlResponse| {
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{}", response.body);
        response.validations()[0]["detail"]
            .as_str()
            .expect("detail")
            .to_owned()
    };
    for (cron, expected) in [("30 9 * * 1-5", "minute"), ("* 9-18 * * 7", "7")] {
        let response = import("* 9-18 * * 1-5", cron).await;
        assert!(
            detail(&response).contains(expected),
            "{cron}: {}",
            response.body
        );
        assert_eq!(
            response.validations()[0]["field"],
            "preset.small.schedule[0]"
        );
    }
    // Negative desired instances are an import error at their line, not a database error.
    for (from, to) in [
        ("instances = 1", "instances = -1"),
        ("instances = 3", "instances = -3"),
    ] {
        let detail = detail(&import(from, to).await);
        assert!(
            detail.starts_with("main.tf:") && detail.contains("is out of range"),
            "{detail}"
        );
    }
}
