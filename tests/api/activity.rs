//! Agent-reported activity bumps a running workspace's deadline (never past its max deadline,
//! never earlier, never for prebuilt workspaces) and keeps it from going dormant.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, setup};

const ACTIVITY: &str = "mutation { reportAgentActivity { deadline bumped } }";
const WORKSPACE: &str =
    "query($id: UUID!) { workspace(id: $id) { deadline maxDeadline lastUsedAt agents { id } } }";

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 3, h, m, 0)
        .single()
        .expect("valid time")
}

async fn workspace(app: &TestApp, id: &str) -> Value {
    let token = app.login("admin@example.com", "admin-password").await;
    app.gql(WORKSPACE, json!({ "id": id }), Some(&token))
        .await
        .data()["workspace"]
        .clone()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

#[tokio::test]
async fn activity_bumps_the_deadline_only_when_it_is_near() {
    let (app, _, _) = setup().await;
    let (token, _, id) = app
        .running_workspace(json!({}), Some(3_600_000), at(8, 0))
        .await;
    let agent = app.agent_token(&token, &id).await;
    assert_eq!(time(&workspace(&app, &id).await["deadline"]), at(9, 0));

    // Most of the hour left: nothing moves.
    app.clock.set(at(8, 2));
    let early = app.agent_gql(&agent, ACTIVITY, json!({})).await;
    assert_eq!(early.data()["reportAgentActivity"]["bumped"], false);
    assert_eq!(
        time(&early.data()["reportAgentActivity"]["deadline"]),
        at(9, 0)
    );

    // Five minutes left: an hour from now.
    app.clock.set(at(8, 55));
    let bumped = app.agent_gql(&agent, ACTIVITY, json!({})).await;
    assert_eq!(bumped.data()["reportAgentActivity"]["bumped"], true);
    let ws = workspace(&app, &id).await;
    assert_eq!(time(&ws["deadline"]), at(9, 55));
    assert_eq!(time(&ws["lastUsedAt"]), at(8, 55));

    // A connection report is activity too.
    app.clock.set(at(9, 50));
    let report = app
        .agent_gql(
            &agent,
            "mutation($input: ReportConnectionInput!) { reportConnection(input: $input) { recorded } }",
            json!({ "input": { "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": at(9, 50).to_rfc3339() } }),
        )
        .await;
    assert_eq!(report.data()["reportConnection"]["recorded"], 1);
    assert_eq!(time(&workspace(&app, &id).await["deadline"]), at(10, 50));
}

#[tokio::test]
async fn the_bump_stops_at_the_max_deadline() {
    let (app, _, _) = setup().await;
    // Every day is an autostop-requirement day: the max deadline is the next midnight UTC.
    let requirement =
        json!({ "autostopRequirementDaysOfWeek": 127, "autostopRequirementWeeks": 1 });
    let (token, _, id) = app
        .running_workspace(requirement, Some(3_600_000), at(22, 0))
        .await;
    let agent = app.agent_token(&token, &id).await;
    let ws = workspace(&app, &id).await;
    let max = time(&ws["maxDeadline"]);
    assert_eq!(max, at(0, 0) + Duration::days(1));
    assert_eq!(time(&ws["deadline"]), at(23, 0));

    app.clock.set(at(23, 30));
    let bumped = app.agent_gql(&agent, ACTIVITY, json!({})).await;
    assert_eq!(time(&bumped.data()["reportAgentActivity"]["deadline"]), max);
    // At the max deadline already: it does not move again.
    app.clock.set(at(23, 50));
    let again = app.agent_gql(&agent, ACTIVITY, json!({})).await;
    assert_eq!(again.data()["reportAgentActivity"]["bumped"], false);
    assert_eq!(time(&workspace(&app, &id).await["deadline"]), max);
}

#[tokio::test]
async fn prebuilt_workspaces_are_never_bumped() {
    let (app, _, _) = setup().await;
    let (token, _, id) = app
        .running_workspace(json!({}), Some(3_600_000), at(8, 0))
        .await;
    let agent = app.agent_token(&token, &id).await;
    let ws = devplane::entity::workspace::Entity::find_by_id(id.parse::<Uuid>().expect("uuid"))
        .one(&app.db)
        .await
        .expect("read")
        .expect("workspace");
    let mut prebuilt: devplane::entity::workspace::ActiveModel = ws.into();
    prebuilt.owner_id = Set(devplane::domain::identity::PREBUILDS_SYSTEM_USER_ID);
    prebuilt
        .update(&app.db)
        .await
        .expect("owned by the prebuilds user");

    app.clock.set(at(8, 55));
    let report = app.agent_gql(&agent, ACTIVITY, json!({})).await;
    assert_eq!(report.data()["reportAgentActivity"]["bumped"], false);
    let row = devplane::entity::workspace_build::Entity::find()
        .all(&app.db)
        .await
        .expect("builds");
    assert_eq!(row.len(), 1);
    assert_eq!(row[0].deadline, Some(at(9, 0)));
}
