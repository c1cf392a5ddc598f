//! The audit log is written by every state-changing mutation: one row per change, in the
//! change's transaction, with the actor, the resource, the request's origin and a diff of
//! the changed fields; refused attempts write a 403 row; background builds are recorded as
//! done by the system with their reason; and no secret ever appears in a row.

use std::collections::HashSet;

use chrono::{Duration, TimeZone, Utc};
use devplane::entity::audit_log::{self, AuditAction};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{MAIN_TF, TestApp, create_template, run_jobs, setup, setup_at};

/// The rows written since the last call.
struct Trail {
    seen: HashSet<Uuid>,
}

impl Trail {
    fn new() -> Self {
        Self {
            seen: HashSet::new(),
        }
    }

    async fn new_rows(&mut self, app: &TestApp) -> Vec<audit_log::Model> {
        let rows = audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Time)
            .all(&app.db)
            .await
            .expect("audit rows");
        rows.into_iter()
            .filter(|row| self.seen.insert(row.id))
            .collect()
    }

    /// The one row the last step wrote.
    async fn one(&mut self, app: &TestApp, step: &str) -> audit_log::Model {
        let mut rows = self.new_rows(app).await;
        assert_eq!(rows.len(), 1, "{step} wrote {rows:#?}");
        rows.remove(0)
    }
}

fn uuid(value: &Value) -> Uuid {
    Uuid::parse_str(value.as_str().expect("a UUID string")).expect("a UUID")
}

/// Asserts the action, resource type and actor of `row`, and that it went through.
fn assert_row(row: &audit_log::Model, action: AuditAction, kind: &str, actor: Option<Uuid>) {
    assert_eq!(row.action, action, "{row:#?}");
    assert_eq!(row.resource_type, kind, "{row:#?}");
    assert_eq!(row.user_id, actor, "{row:#?}");
    assert_eq!(row.status_code, 200, "{row:#?}");
}

fn changed(row: &audit_log::Model, field: &str) -> (Value, Value) {
    let entry = &row.diff[field];
    assert!(entry.is_object(), "{field} is not in the diff {}", row.diff);
    (entry["old"].clone(), entry["new"].clone())
}

#[tokio::test]
async fn each_mutation_writes_one_row_with_its_actor_resource_and_diff() {
    let (app, admin, org) = setup().await;
    let mut trail = Trail::new();
    let mut secrets = vec![admin.clone()];
    let rows = trail.new_rows(&app).await;
    let admin_id = rows
        .iter()
        .find(|r| r.action == AuditAction::Register)
        .and_then(|r| r.user_id)
        .expect("the first user's sign-up is recorded with its account");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].resource_id, Some(admin_id));
    assert_eq!(rows[0].resource_target, "admin");
    let login = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "mutation($input: LoginInput!) { login(input: $input) { token } }",
                json!({ "input": { "email": email, "password": password } }),
                None,
            )
            .await
        }
    };

    // Logins, good and bad.
    let session = login("admin@example.com", "admin-password").await;
    secrets.push(
        session.data()["login"]["token"]
            .as_str()
            .expect("token")
            .to_owned(),
    );
    let row = trail.one(&app, "login").await;
    assert_row(&row, AuditAction::Login, "api_key", Some(admin_id));
    let refused = login("admin@example.com", "wrong-password").await;
    assert_eq!(refused.error_code(), "UNAUTHENTICATED");
    let row = trail.one(&app, "failed login").await;
    assert_eq!(
        (row.action, row.status_code, row.user_id),
        (AuditAction::Login, 401, Some(admin_id))
    );
    login("nobody@example.com", "whatever-password").await;
    let row = trail.one(&app, "login of an unknown account").await;
    assert_eq!((row.status_code, row.user_id), (401, None));
    assert_eq!(row.resource_target, "nobody@example.com");
    // What a caller types is stored no longer than an email can be.
    let long = app
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { token } }",
            json!({ "input": { "email": format!("{}@example.com", "x".repeat(100_000)), "password": "whatever-password" } }),
            None,
        )
        .await;
    assert_eq!(long.error_code(), "UNAUTHENTICATED");
    let row = trail.one(&app, "login with a huge email").await;
    assert_eq!(row.resource_target.chars().count(), 254);

    // Tokens.
    let created = app
        .gql(
            "mutation { createApiToken(input: {name: \"ci\", lifetimeSeconds: 3600}) { token apiKey { id } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let api_token = created.data()["createApiToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    secrets.push(api_token.clone());
    let row = trail.one(&app, "createApiToken").await;
    assert_row(&row, AuditAction::Create, "api_key", Some(admin_id));
    assert_eq!(row.resource_target, "ci");
    assert_eq!(changed(&row, "token_name").1, "ci");
    let key_id = created.data()["createApiToken"]["apiKey"]["id"].clone();
    app.gql(
        "mutation($id: String!) { deleteApiToken(id: $id) { id } }",
        json!({ "id": key_id }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "deleteApiToken").await;
    assert_row(&row, AuditAction::Delete, "api_key", Some(admin_id));

    // Users.
    let (dev_id, dev_token) = app.create_user(&admin, "dev", &[]).await;
    secrets.push(dev_token.clone());
    let dev_id = Uuid::parse_str(&dev_id).expect("id");
    let mut rows = trail.new_rows(&app).await;
    // Both happened at the same instant of the test clock: order them by what they did.
    rows.sort_by_key(|row| row.action != AuditAction::Create);
    assert_eq!(
        rows.len(),
        2,
        "createUser, then the new user's login: {rows:#?}"
    );
    assert_row(&rows[0], AuditAction::Create, "user", Some(admin_id));
    assert_eq!(rows[0].resource_id, Some(dev_id));
    assert_eq!(changed(&rows[0], "username").1, "dev");
    assert_row(&rows[1], AuditAction::Login, "api_key", Some(dev_id));
    app.gql(
        "mutation($input: UpdateUserRolesInput!) { updateUserRoles(input: $input) { id } }",
        json!({ "input": { "id": dev_id, "siteRoles": ["TEMPLATE_ADMIN"] } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateUserRoles").await;
    assert_row(&row, AuditAction::Write, "user", Some(admin_id));
    assert_eq!(
        changed(&row, "rbac_roles"),
        (json!([]), json!(["template-admin"]))
    );
    assert_eq!(
        row.diff.as_object().map(|d| d.len()),
        Some(1),
        "only the changed field: {}",
        row.diff
    );
    app.gql(
        "mutation($input: UpdateUserStatusInput!) { updateUserStatus(input: $input) { status } }",
        json!({ "input": { "id": dev_id, "status": "SUSPENDED" } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateUserStatus").await;
    assert_eq!(
        changed(&row, "status"),
        (json!("active"), json!("suspended"))
    );

    // Organizations, members, groups.
    let created = app
        .gql(
            "mutation { createOrganization(input: {name: \"acme\"}) { id } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let acme = uuid(&created.data()["createOrganization"]["id"]);
    let row = trail.one(&app, "createOrganization").await;
    assert_row(&row, AuditAction::Create, "organization", Some(admin_id));
    assert_eq!(
        (row.resource_id, row.organization_id),
        (Some(acme), Some(acme))
    );
    let (ops_id, _) = app.create_user(&admin, "ops", &[]).await;
    trail.new_rows(&app).await;
    let member = json!({ "organizationId": acme, "userId": ops_id, "roles": [] });
    app.gql(
        "mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { roles } }",
        json!({ "input": member }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "addOrganizationMember").await;
    assert_row(
        &row,
        AuditAction::Create,
        "organization_member",
        Some(admin_id),
    );
    assert_eq!(row.resource_target, "ops");
    assert_eq!(row.organization_id, Some(acme));
    app.gql(
        "mutation($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { roles } }",
        json!({ "input": { "organizationId": acme, "userId": ops_id, "roles": ["ORGANIZATION_AUDITOR"] } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateOrganizationMemberRoles").await;
    assert_eq!(
        changed(&row, "roles"),
        (json!([]), json!(["organization-auditor"]))
    );
    app.gql(
        "mutation($input: RemoveOrganizationMemberInput!) { removeOrganizationMember(input: $input) { userId } }",
        json!({ "input": { "organizationId": acme, "userId": ops_id } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "removeOrganizationMember").await;
    assert_row(
        &row,
        AuditAction::Delete,
        "organization_member",
        Some(admin_id),
    );
    let group = app
        .gql(
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
            json!({ "input": { "organizationId": org, "name": "devs" } }),
            Some(&admin),
        )
        .await;
    let group = group.data()["createGroup"]["id"].clone();
    let row = trail.one(&app, "createGroup").await;
    assert_row(&row, AuditAction::Create, "group", Some(admin_id));
    app.gql(
        "mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { name } }",
        json!({ "input": { "id": group, "quotaAllowance": 5, "addUsers": [admin_id] } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateGroup").await;
    assert_eq!(changed(&row, "quota_allowance"), (json!(0), json!(5)));
    assert_eq!(changed(&row, "add_users").1, json!([admin_id]));

    // Licenses.
    let jwt = app.sign_license(&app.license_claims("premium", json!({ "user_limit": 100 })));
    secrets.push(jwt.clone());
    let added = app
        .gql(
            "mutation($input: AddLicenseInput!) { addLicense(input: $input) { id uuid } }",
            json!({ "input": { "license": jwt } }),
            Some(&admin),
        )
        .await;
    let license_uuid = uuid(&added.data()["addLicense"]["uuid"]);
    let row = trail.one(&app, "addLicense").await;
    assert_row(&row, AuditAction::Create, "license", Some(admin_id));
    assert_eq!(row.resource_id, Some(license_uuid));

    // Templates.
    let (template, first_version) =
        create_template(&app, &admin, &org, "docker", MAIN_TF, json!({})).await;
    let row = trail.one(&app, "createTemplate").await;
    assert_row(&row, AuditAction::Create, "template", Some(admin_id));
    assert_eq!(row.resource_target, "docker");
    app.gql(
        "mutation($input: UpdateTemplateScheduleInput!) { updateTemplateSchedule(input: $input) { id } }",
        json!({ "input": { "id": template, "schedule": { "defaultTtlMs": 7_200_000 } } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateTemplateSchedule").await;
    assert_eq!(
        changed(&row, "default_ttl_ms"),
        (json!(0), json!(7_200_000))
    );

    // Workspaces and their builds.
    let created = app
        .gql(
            "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
            json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(&admin),
        )
        .await;
    let ws = created.data()["createWorkspace"]["id"].clone();
    let row = trail.one(&app, "createWorkspace").await;
    assert_row(&row, AuditAction::Create, "workspace", Some(admin_id));
    assert_eq!(row.resource_id, Some(uuid(&ws)));
    assert_eq!(changed(&row, "template_version_id").1, first_version);
    run_jobs(&app).await;
    assert!(
        trail.new_rows(&app).await.is_empty(),
        "finishing a job is not a change of anyone's"
    );
    for (mutation, action) in [
        (
            "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
            AuditAction::Stop,
        ),
        (
            "mutation($id: UUID!) { startWorkspace(input: { id: $id }) { id } }",
            AuditAction::Start,
        ),
    ] {
        app.gql(mutation, json!({ "id": ws }), Some(&admin))
            .await
            .data();
        let row = trail.one(&app, mutation).await;
        assert_row(&row, action, "workspace_build", Some(admin_id));
        assert_eq!(
            row.build_reason,
            Some(devplane::entity::workspace_build::BuildReason::Initiator)
        );
        assert_eq!(row.resource_target, "dev");
        run_jobs(&app).await;
    }
    app.gql(
        "mutation($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { id } }",
        json!({ "input": { "id": ws, "ttlMs": 3_600_000 } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateWorkspaceTtl").await;
    assert_eq!(
        changed(&row, "ttl_ms"),
        (json!(7_200_000), json!(3_600_000))
    );
    app.gql(
        "mutation($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { id } }",
        json!({ "input": { "id": ws, "schedule": "CRON_TZ=UTC 30 9 * * 1-5" } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateWorkspaceAutostart").await;
    assert_eq!(
        changed(&row, "autostart_schedule"),
        (Value::Null, json!("CRON_TZ=UTC 30 9 * * 1-5"))
    );
    let version = app
        .gql(
            "mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { id } }",
            json!({ "input": { "templateId": template, "activate": true, "message": "v2", "files": [{ "path": "main.tf", "content": MAIN_TF }] } }),
            Some(&admin),
        )
        .await;
    let second_version = version.data()["createTemplateVersion"]["id"].clone();
    let row = trail.one(&app, "createTemplateVersion").await;
    assert_row(
        &row,
        AuditAction::Create,
        "template_version",
        Some(admin_id),
    );
    assert_eq!(changed(&row, "activated"), (json!(false), json!(true)));
    app.gql(
        "mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { __typename } }",
        json!({ "input": { "id": ws } }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "updateWorkspace").await;
    assert_row(&row, AuditAction::Write, "workspace", Some(admin_id));
    assert_eq!(
        changed(&row, "template_version_id"),
        (json!(first_version), second_version)
    );
    run_jobs(&app).await;
    // The stop finished; the start the update asked for is built by the system.
    let rows = trail.new_rows(&app).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(
        (rows[0].action, rows[0].user_id),
        (AuditAction::Start, None)
    );
    run_jobs(&app).await;
    app.gql(
        "mutation($id: UUID!) { deleteWorkspace(id: $id) { id } }",
        json!({ "id": ws }),
        Some(&admin),
    )
    .await
    .data();
    let row = trail.one(&app, "deleteWorkspace").await;
    assert_row(&row, AuditAction::Delete, "workspace_build", Some(admin_id));

    // Prebuild settings: a change is recorded; setting the same value again is not.
    for (mutation, new) in [("pausePrebuilds", true), ("resumePrebuilds", false)] {
        let query = format!("mutation {{ {mutation} {{ reconciliationPaused }} }}");
        app.gql(&query, json!({}), Some(&admin)).await.data();
        let row = trail.one(&app, mutation).await;
        assert_row(
            &row,
            AuditAction::Write,
            "prebuilds_settings",
            Some(admin_id),
        );
        assert_eq!(
            changed(&row, "reconciliation_paused"),
            (json!(!new), json!(new))
        );
    }
    app.gql(
        "mutation { resumePrebuilds { reconciliationPaused } }",
        json!({}),
        Some(&admin),
    )
    .await
    .data();
    assert!(trail.new_rows(&app).await.is_empty());

    // Logout.
    app.gql("mutation { logout { id } }", json!({}), Some(&admin))
        .await
        .data();
    let row = trail.one(&app, "logout").await;
    assert_row(&row, AuditAction::Logout, "api_key", Some(admin_id));

    // No secret anywhere: not the tokens, not their secret halves, not a password hash,
    // not the license.
    let mut needles: Vec<String> = Vec::new();
    for secret in &secrets {
        needles.push(secret.clone());
        if let Some((_, half)) = secret.split_once('-') {
            needles.push(half.to_owned());
        }
    }
    let users = devplane::entity::user::Entity::find()
        .all(&app.db)
        .await
        .expect("users");
    needles.extend(
        users
            .into_iter()
            .map(|u| u.hashed_password)
            .filter(|h| !h.is_empty()),
    );
    let rows = audit_log::Entity::find().all(&app.db).await.expect("rows");
    assert!(rows.len() > 30);
    for row in rows {
        for key in ["hashed_password", "hashed_secret", "token_hash", "jwt"] {
            assert!(row.diff.get(key).is_none(), "{key} in {}", row.diff);
        }
        let text = format!(
            "{} {} {} {}",
            row.diff, row.resource_target, row.user_agent, row.request_id
        );
        for needle in &needles {
            assert!(!text.contains(needle.as_str()), "{needle:?} in {text}");
        }
    }
}

#[tokio::test]
async fn a_refused_mutation_writes_a_row_with_status_403_and_where_it_came_from() {
    let (app, admin, _) = setup().await;
    let (member_id, member) = app.create_user(&admin, "mallory", &[]).await;
    let (victim_id, _) = app.create_user(&admin, "victim", &[]).await;
    let mut trail = Trail::new();
    trail.new_rows(&app).await;

    let refused = app
        .gql(
            "mutation($input: UpdateUserRolesInput!) { updateUserRoles(input: $input) { id } }",
            json!({ "input": { "id": victim_id, "siteRoles": ["OWNER"] } }),
            Some(&member),
        )
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let row = trail.one(&app, "refused updateUserRoles").await;
    assert_eq!(row.status_code, 403);
    assert_eq!(row.action, AuditAction::Write);
    assert_eq!(row.resource_type, "user");
    assert_eq!(row.user_id, Some(Uuid::parse_str(&member_id).expect("id")));
    assert_eq!(
        row.resource_id,
        Some(Uuid::parse_str(&victim_id).expect("id"))
    );
    assert_eq!(row.diff, json!({}), "a refusal changed nothing");
    assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
    assert!(
        Uuid::parse_str(&row.request_id).is_ok(),
        "the request id the server gave the request: {:?}",
        row.request_id
    );

    // Nothing else was written: the roles are as they were.
    let victim =
        devplane::entity::user::Entity::find_by_id(Uuid::parse_str(&victim_id).expect("id"))
            .one(&app.db)
            .await
            .expect("read")
            .expect("victim");
    assert_eq!(victim.rbac_roles, json!([]));

    // An organization the member may not create is refused and recorded too; a refusal for
    // a missing token is not an attempt by anyone, and writes nothing.
    let refused = app
        .gql(
            "mutation { createOrganization(input: {name: \"evil\"}) { id } }",
            json!({}),
            Some(&member),
        )
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let row = trail.one(&app, "refused createOrganization").await;
    assert_eq!((row.status_code, row.action), (403, AuditAction::Create));
    app.gql(
        "mutation { createOrganization(input: {name: \"evil\"}) { id } }",
        json!({}),
        None,
    )
    .await;
    assert!(trail.new_rows(&app).await.is_empty());
}

#[tokio::test]
async fn background_builds_are_recorded_as_the_system_with_their_reason() {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .single()
        .expect("time");
    let (app, _, _) = setup_at(start).await;
    let (_, _, ws) = app
        .running_workspace(json!({}), Some(3_600_000), start)
        .await;
    let mut trail = Trail::new();
    trail.new_rows(&app).await;

    app.lifecycle_tick(start + Duration::hours(2)).await;
    let row = trail.one(&app, "autostop").await;
    assert_eq!(row.action, AuditAction::Stop);
    assert_eq!(row.resource_type, "workspace_build");
    assert_eq!(row.user_id, None, "the system acted");
    assert_eq!(
        row.build_reason,
        Some(devplane::entity::workspace_build::BuildReason::Autostop)
    );
    assert_eq!(row.resource_target, "dev");
    let build =
        devplane::entity::workspace_build::Entity::find_by_id(row.resource_id.expect("the build"))
            .one(&app.db)
            .await
            .expect("read")
            .expect("build");
    assert_eq!(build.workspace_id.to_string(), ws);
}
