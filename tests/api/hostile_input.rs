//! Hostile text and times: NUL characters get a clear BAD_USER_INPUT naming the field on
//! both engines (PostgreSQL cannot store them), every stored string has a maximum, and
//! reported times must be sane. Text machines report is cleaned instead of refused.

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::{
    helpers::{GqlResponse, TestApp},
    helpers::{MAIN_TF, create_template, setup},
};

/// Asserts a BAD_USER_INPUT error listing `field` with `detail`.
pub fn assert_invalid(response: &GqlResponse, field: &str, detail: &str) {
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
