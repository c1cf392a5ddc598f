//! A template's schedule changes reach its running workspaces (deadlines, max deadlines,
//! dormant workspaces' deletion, the next autostart), and its advanced settings need the
//! advanced template scheduling feature.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{MAIN_TF, TestApp, create_template, setup};

const UPDATE: &str = "mutation($input: UpdateTemplateScheduleInput!) { updateTemplateSchedule(input: $input) { id } }";
const WORKSPACE: &str = "query($id: UUID!) { workspace(id: $id) { deadline maxDeadline ttlMs } }";

fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, day, h, m, 0)
        .single()
        .expect("valid time")
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

async fn deadlines(
    app: &TestApp,
    token: &str,
    id: &str,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(token)).await;
    let ws = &ws.data()["workspace"];
    (time(&ws["deadline"]), time(&ws["maxDeadline"]))
}

#[tokio::test]
async fn a_new_autostop_requirement_reaches_a_running_workspace() {
    let (app, _, _) = setup().await;
    // Monday 08:00 with a 48 h TTL and no requirement: Wednesday 08:00, no max deadline.
    let (token, template, id) = app
        .running_workspace(json!({}), Some(48 * 3_600_000), at(3, 8, 0))
        .await;
    assert_eq!(
        deadlines(&app, &token, &id).await,
        (Some(at(5, 8, 0)), None)
    );

    app.clock.set(at(3, 9, 0));
    app.gql(
        UPDATE,
        json!({ "input": { "id": template, "schedule": { "autostopRequirementDaysOfWeek": 127, "autostopRequirementWeeks": 1 } } }),
        Some(&token),
    )
    .await
    .data();
    // The next quiet hours (midnight UTC) after the build completed bound both.
    assert_eq!(
        deadlines(&app, &token, &id).await,
        (Some(at(4, 0, 0)), Some(at(4, 0, 0)))
    );
}

#[tokio::test]
async fn a_template_ttl_change_moves_running_deadlines() {
    let (app, _, _) = setup().await;
    let forced = json!({ "allowUserAutostop": false, "defaultTtlMs": 8 * 3_600_000u64 });
    let (token, template, id) = app.running_workspace(forced, None, at(3, 8, 0)).await;
    assert_eq!(
        deadlines(&app, &token, &id).await,
        (Some(at(3, 16, 0)), None)
    );

    // Longer: as if the build had completed under the new TTL.
    app.clock.set(at(3, 9, 0));
    app.gql(
        UPDATE,
        json!({ "input": { "id": template, "schedule": { "defaultTtlMs": 10 * 3_600_000u64 } } }),
        Some(&token),
    )
    .await
    .data();
    assert_eq!(
        deadlines(&app, &token, &id).await,
        (Some(at(3, 18, 0)), None)
    );

    // Shorter than the time already run: the workspace gets two hours, not an instant stop.
    app.gql(
        UPDATE,
        json!({ "input": { "id": template, "schedule": { "defaultTtlMs": 3_600_000u64 } } }),
        Some(&token),
    )
    .await
    .data();
    assert_eq!(
        deadlines(&app, &token, &id).await,
        (Some(at(3, 11, 0)), None)
    );
    let ws = app.gql(WORKSPACE, json!({ "id": id }), Some(&token)).await;
    assert_eq!(ws.data()["workspace"]["ttlMs"], 3_600_000);
}

#[tokio::test]
async fn dormant_workspaces_follow_the_auto_delete_setting_and_autostarts_the_allowed_days() {
    let (app, _, _) = setup().await;
    let (token, template, id) = app.running_workspace(json!({}), None, at(3, 8, 0)).await;
    let ws_id: Uuid = id.parse().expect("uuid");
    let row = devplane::entity::workspace::Entity::find_by_id(ws_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("workspace");
    let mut dormant: devplane::entity::workspace::ActiveModel = row.into();
    dormant.dormant_at = Set(Some(at(3, 8, 30)));
    dormant.update(&app.db).await.expect("dormant");
    // Monday 2030-06-03: a daily 09:00 autostart next fires today.
    let autostart = app
        .gql(
            "mutation($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { nextStartAt } }",
            json!({ "input": { "id": id, "schedule": "CRON_TZ=UTC 0 9 * * *" } }),
            Some(&token),
        )
        .await;
    assert_eq!(
        time(&autostart.data()["updateWorkspaceAutostart"]["nextStartAt"]),
        Some(at(3, 9, 0))
    );

    // Wednesdays only (bit 2), and a week until deletion.
    app.gql(
        UPDATE,
        json!({ "input": { "id": template, "schedule": { "timeTilDormantAutodeleteMs": 7 * 86_400_000u64, "autostartAllowedDaysOfWeek": 4 } } }),
        Some(&token),
    )
    .await
    .data();
    let row = devplane::entity::workspace::Entity::find_by_id(ws_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("workspace");
    assert_eq!(row.deleting_at, Some(at(3, 8, 30) + Duration::days(7)));
    assert_eq!(row.next_start_at, Some(at(5, 9, 0)));
}

#[tokio::test]
async fn advanced_settings_need_the_feature() {
    let (app, token, org) = setup().await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    // Plain settings need no license.
    app.gql(UPDATE, json!({ "input": { "id": template, "schedule": { "defaultTtlMs": 3_600_000, "activityBumpMs": 0, "allowUserAutostart": true, "failureTtlMs": 0 } } }), Some(&token))
        .await
        .data();
    let refused = app
        .gql(UPDATE, json!({ "input": { "id": template, "schedule": { "autostopRequirementDaysOfWeek": 127, "failureTtlMs": 60_000 } } }), Some(&token))
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["message"],
        "Advanced Template Scheduling is a licensed feature: your deployment is not entitled to it."
    );
    assert_eq!(
        refused.validations(),
        &vec![
            json!({ "field": "autostopRequirementDaysOfWeek", "detail": "needs the advanced template scheduling feature" }),
            json!({ "field": "failureTtlMs", "detail": "needs the advanced template scheduling feature" }),
        ]
    );
    let created = app
        .gql(
            "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }",
            json!({ "input": { "organizationId": org, "name": "other", "files": [{ "path": "main.tf", "content": MAIN_TF }], "schedule": { "allowUserAutostop": false } } }),
            Some(&token),
        )
        .await;
    assert_eq!(created.error_code(), "FORBIDDEN");
    assert_eq!(created.validations()[0]["field"], "allowUserAutostop");

    app.install_premium_license(&token).await;
    app.gql(UPDATE, json!({ "input": { "id": template, "schedule": { "autostopRequirementDaysOfWeek": 127, "failureTtlMs": 60_000 } } }), Some(&token))
        .await
        .data();
}
