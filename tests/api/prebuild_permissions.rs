//! Who may delete a prebuilt workspace (one owned by the prebuilds system user), over HTTP:
//! template admins may (the `prebuilt_workspace` fallback), but only prebuilt workspaces;
//! organization members may not see them at all.

use devplane::{domain::identity::PREBUILDS_SYSTEM_USER_ID, entity::workspace};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, MAIN_TF, TestApp, create_template, run_jobs, setup};

const CREATE: &str =
    "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }";
const READ: &str = "query($id: UUID!) { workspace(id: $id) { id name status ownerId } }";
const DELETE: &str =
    "mutation($id: UUID!) { deleteWorkspace(id: $id) { transition status initiator { id } } }";
const MEMBER_ROLES: &str = "mutation($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { roles } }";

/// A running workspace `name` created by `token`'s user.
async fn running(app: &TestApp, token: &str, template: &str, name: &str) -> String {
    let id = app
        .gql(
            CREATE,
            json!({ "input": { "templateId": template, "name": name, "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(token),
        )
        .await
        .data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    run_jobs(app).await;
    id
}

/// Hands workspace `id` to the prebuilds system user, as the reconciler's builds own theirs
/// (nothing creates prebuilt workspaces through the API yet).
async fn make_prebuilt(app: &TestApp, id: &str) {
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::OwnerId,
            Expr::value(PREBUILDS_SYSTEM_USER_ID),
        )
        .filter(workspace::Column::Id.eq(id.parse::<uuid::Uuid>().expect("uuid")))
        .exec(&app.db)
        .await
        .expect("update");
}

async fn delete(app: &TestApp, token: &str, id: &str) -> GqlResponse {
    app.gql(DELETE, json!({ "id": id }), Some(token)).await
}

#[tokio::test]
async fn template_admins_delete_prebuilt_workspaces_and_only_those() {
    let (app, owner, org) = setup().await;
    let (template, _) = create_template(&app, &owner, &org, "docker", MAIN_TF, json!({})).await;
    let (admin_id, admin) = app.create_user(&owner, "tmpl", &["TEMPLATE_ADMIN"]).await;
    let (org_admin_id, org_admin) = app.create_user(&owner, "orgtmpl", &[]).await;
    app.gql(
        MEMBER_ROLES,
        json!({ "input": { "organizationId": org, "userId": org_admin_id, "roles": ["ORGANIZATION_TEMPLATE_ADMIN"] } }),
        Some(&owner),
    )
    .await
    .data();
    let (_, member) = app.create_user(&owner, "dev", &[]).await;
    let (_, user_admin) = app.create_user(&owner, "users", &["USER_ADMIN"]).await;

    let first = running(&app, &owner, &template, "pb-1").await;
    let second = running(&app, &owner, &template, "pb-2").await;
    make_prebuilt(&app, &first).await;
    make_prebuilt(&app, &second).await;
    let members_own = running(&app, &member, &template, "mine").await;

    // Template admins read prebuilt workspaces (they must load one to delete it).
    for token in [&admin, &org_admin] {
        let read = app.gql(READ, json!({ "id": first }), Some(token)).await;
        assert_eq!(
            read.data()["workspace"]["ownerId"],
            PREBUILDS_SYSTEM_USER_ID.to_string()
        );
    }

    // Members cannot read a prebuilt workspace, so to them it does not exist: the read
    // comes first and answers NOT_FOUND, as for anyone's workspace they may not see.
    for token in [&member, &user_admin] {
        let read = app.gql(READ, json!({ "id": first }), Some(token)).await;
        assert_eq!(read.error_code(), "NOT_FOUND");
        let refused = delete(&app, token, &first).await;
        assert_eq!(refused.error_code(), "NOT_FOUND", "{}", refused.body);
    }

    // Template admins (site-wide, or of the organization) delete prebuilt workspaces.
    for (token, user_id, id) in [
        (&admin, &admin_id, &first),
        (&org_admin, &org_admin_id, &second),
    ] {
        let deleted = delete(&app, token, id).await;
        let build = &deleted.data()["deleteWorkspace"];
        assert_eq!(build["transition"], "DELETE");
        assert_eq!(build["initiator"]["id"], Value::String(user_id.clone()));
    }
    run_jobs(&app).await;
    for id in [&first, &second] {
        let gone = app.gql(READ, json!({ "id": id }), Some(&owner)).await;
        assert_eq!(gone.error_code(), "NOT_FOUND", "{id} is deleted");
    }

    // But not a member's workspace: they may read it, so the refusal is FORBIDDEN.
    for token in [&admin, &org_admin] {
        app.gql(READ, json!({ "id": members_own }), Some(token))
            .await
            .data();
        let refused = delete(&app, token, &members_own).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
        assert_eq!(
            refused.body["errors"][0]["message"],
            "You may not delete this workspace."
        );
    }
    // Nor stop a prebuilt one: the fallback covers update and delete only.
    let third = running(&app, &owner, &template, "pb-3").await;
    make_prebuilt(&app, &third).await;
    let stop = app
        .gql(
            "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
            json!({ "id": third }),
            Some(&admin),
        )
        .await;
    assert_eq!(stop.error_code(), "FORBIDDEN", "{}", stop.body);
    // The member's own workspace is still theirs to delete.
    delete(&app, &member, &members_own).await.data();
}
