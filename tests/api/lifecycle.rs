//! The lifecycle executor over HTTP: workspaces are set up through the API, time moves on the
//! server's manual clock, the executor runs only when a test ticks it
//! ([`TestApp::lifecycle_tick`], through a scheduler as the server would), and queued builds
//! run only when a test runs them. Every case starts on Monday 2025-06-02 at 07:00 UTC.

use chrono::{DateTime, Duration, Utc};
use devplane::{
    clock::Clock,
    domain::{
        identity::PREBUILDS_SYSTEM_USER_ID,
        provisioner,
        workspace::{BuildCompletion, autobuild},
    },
    entity::workspace,
    scheduler::RunOutcome,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{EXPLICIT_BACKGROUND, MAIN_TF, TestApp, create_template, run_jobs, setup_at};

const WORKSPACE: &str = "query($id: UUID!) { workspace(id: $id) { status nextStartAt dormantAt deletingAt deadline latestBuild { buildNumber transition reason status initiator { username } templateVersion { number } parameters { name value } } } }";
const CREATE: &str =
    "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id nextStartAt } }";
const UPDATE_SCHEDULE: &str = "mutation($input: UpdateTemplateScheduleInput!) { updateTemplateSchedule(input: $input) { id } }";

/// Monday 2025-06-02, 07:00 UTC.
fn monday() -> DateTime<Utc> {
    time("2025-06-02T07:00:00Z")
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("timestamp").to_utc()
}

/// A GraphQL `DateTime` (or null) as a time.
fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().map(time)
}

/// A server at Monday 07:00 with a `docker` template (MAIN_TF) with `schedule` settings.
struct Fixture {
    app: TestApp,
    token: String,
    template: String,
}

impl Fixture {
    async fn new(schedule: Value) -> Self {
        let (app, token, org) = setup_at(monday()).await;
        // Failure cleanup, dormancy and autostart days are advanced template scheduling.
        app.install_premium_license(&token).await;
        let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, schedule).await;
        Fixture {
            app,
            token,
            template,
        }
    }

    /// Creates a workspace as `token`'s user with extra input fields (`ttlMs`,
    /// `autostartSchedule`), and runs its start build; returns its id.
    async fn workspace(&self, token: &str, name: &str, extra: Value) -> String {
        let mut input = json!({ "templateId": self.template, "name": name, "parameters": [{ "name": "project", "value": "p" }] });
        input
            .as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let created = self
            .app
            .gql(CREATE, json!({ "input": input }), Some(token))
            .await;
        let id = created.data()["createWorkspace"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        run_jobs(&self.app).await;
        id
    }

    async fn get(&self, id: &str) -> Value {
        let response = self
            .app
            .gql(WORKSPACE, json!({ "id": id }), Some(&self.token))
            .await;
        response.data()["workspace"].clone()
    }

    /// The latest build's number, transition and reason.
    async fn latest(&self, id: &str) -> (i64, String, String) {
        let ws = self.get(id).await;
        let build = &ws["latestBuild"];
        (
            build["buildNumber"].as_i64().expect("number"),
            build["transition"].as_str().expect("transition").to_owned(),
            build["reason"].as_str().expect("reason").to_owned(),
        )
    }

    async fn stop(&self, id: &str) {
        self.app
            .gql(
                "mutation($id: UUID!) { stopWorkspace(id: $id) { id } }",
                json!({ "id": id }),
                Some(&self.token),
            )
            .await
            .data();
        run_jobs(&self.app).await;
    }

    async fn update_schedule(&self, schedule: Value) {
        self.app
            .gql(
                UPDATE_SCHEDULE,
                json!({ "input": { "id": self.template, "schedule": schedule } }),
                Some(&self.token),
            )
            .await
            .data();
    }

    async fn tick(&self, at: DateTime<Utc>) {
        assert_eq!(self.app.lifecycle_tick(at).await, RunOutcome::Ran);
    }
}

/// Takes every pending provisioner job and fails it.
async fn fail_jobs(app: &TestApp) {
    let now = app.clock.now();
    while let Some(job) = provisioner::acquire(&app.db, now, "test", None)
        .await
        .expect("acquire")
    {
        provisioner::complete(
            &app.db,
            now,
            job.id,
            None,
            Err("terraform apply failed".into()),
            &BuildCompletion::SIMULATED_AGENTS,
        )
        .await
        .expect("complete");
    }
}

fn stop_autostop() -> (i64, String, String) {
    (2, "STOP".into(), "AUTOSTOP".into())
}

#[tokio::test]
async fn autostop_at_the_deadline_and_not_a_second_before() {
    let f = Fixture::new(json!({})).await;
    let id = f
        .workspace(&f.token, "dev", json!({ "ttlMs": 3_600_000 }))
        .await;
    let deadline = time_of(&f.get(&id).await["deadline"]).expect("deadline");
    assert_eq!(deadline, time("2025-06-02T08:00:00Z"));

    f.tick(deadline - Duration::seconds(1)).await;
    assert_eq!(f.latest(&id).await.0, 1, "still running a second before");

    f.tick(deadline).await;
    assert_eq!(f.latest(&id).await, stop_autostop());
    let ws = f.get(&id).await;
    assert_eq!(ws["latestBuild"]["initiator"]["username"], "admin");
    run_jobs(&f.app).await;
    assert_eq!(f.get(&id).await["status"], "STOPPED");

    // Stopped: later ticks leave it alone.
    f.tick(deadline + Duration::hours(1)).await;
    assert_eq!(f.latest(&id).await.0, 2);
}

#[tokio::test]
async fn removing_the_ttl_cancels_the_autostop() {
    let f = Fixture::new(json!({})).await;
    let id = f
        .workspace(&f.token, "dev", json!({ "ttlMs": 3_600_000 }))
        .await;
    let cleared = f
        .app
        .gql(
            "mutation($input: UpdateWorkspaceTtlInput!) { updateWorkspaceTtl(input: $input) { deadline } }",
            json!({ "input": { "id": id, "ttlMs": null } }),
            Some(&f.token),
        )
        .await;
    assert_eq!(
        cleared.data()["updateWorkspaceTtl"]["deadline"],
        Value::Null
    );
    f.tick(time("2025-06-02T08:01:00Z")).await;
    f.tick(time("2025-06-03T08:01:00Z")).await;
    assert_eq!(f.latest(&id).await.0, 1);
    assert_eq!(f.get(&id).await["status"], "RUNNING");
}

#[tokio::test]
async fn autostart_fires_on_allowed_days_only() {
    // Autostart is allowed on Monday and Wednesday only.
    let f = Fixture::new(json!({ "autostartAllowedDaysOfWeek": 0b101 })).await;
    let id = f
        .workspace(&f.token, "dev", json!({ "autostartSchedule": "0 9 * * *" }))
        .await;
    assert_eq!(
        time_of(&f.get(&id).await["nextStartAt"]),
        Some(time("2025-06-02T09:00:00Z"))
    );
    f.stop(&id).await;

    // A missing next start is computed again; nothing starts before 09:00.
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::NextStartAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(workspace::Column::Id.eq(id.parse::<Uuid>().expect("uuid")))
        .exec(&f.app.db)
        .await
        .expect("clear next start");
    f.tick(time("2025-06-02T08:59:00Z")).await;
    let ws = f.get(&id).await;
    assert_eq!(ws["latestBuild"]["buildNumber"], 2);
    assert_eq!(
        time_of(&ws["nextStartAt"]),
        Some(time("2025-06-02T09:00:00Z"))
    );

    // Monday 09:00: started on the version it ran, with its parameters.
    f.tick(time("2025-06-02T09:00:00Z")).await;
    let ws = f.get(&id).await;
    assert_eq!(ws["latestBuild"]["transition"], "START", "{ws}");
    assert_eq!(ws["latestBuild"]["reason"], "AUTOSTART");
    assert_eq!(ws["latestBuild"]["templateVersion"]["number"], 1);
    assert!(
        ws["latestBuild"]["parameters"]
            .as_array()
            .expect("list")
            .contains(&json!({ "name": "project", "value": "p" }))
    );
    // The next allowed start is Wednesday's.
    assert_eq!(
        time_of(&ws["nextStartAt"]),
        Some(time("2025-06-04T09:00:00Z"))
    );
    run_jobs(&f.app).await;

    // Stopped again on Monday: Tuesday's 09:00 is not allowed.
    f.app.clock.set(time("2025-06-02T18:00:00Z"));
    f.stop(&id).await;
    f.tick(time("2025-06-03T09:00:00Z")).await;
    assert_eq!(f.latest(&id).await.0, 4);

    // A new active version, and a template that now requires it: Wednesday's start uses it.
    f.app
        .gql(
            "mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { number } }",
            json!({ "input": { "templateId": f.template, "files": [{ "path": "main.tf", "content": MAIN_TF }], "activate": true } }),
            Some(&f.token),
        )
        .await
        .data();
    f.update_schedule(json!({ "requireActiveVersion": true }))
        .await;
    f.tick(time("2025-06-04T09:00:00Z")).await;
    let ws = f.get(&id).await;
    assert_eq!(ws["latestBuild"]["buildNumber"], 5);
    assert_eq!(ws["latestBuild"]["reason"], "AUTOSTART");
    assert_eq!(ws["latestBuild"]["templateVersion"]["number"], 2);
}

#[tokio::test]
async fn a_template_that_forbids_autostart_starts_nothing() {
    let f = Fixture::new(json!({})).await;
    let id = f
        .workspace(&f.token, "dev", json!({ "autostartSchedule": "0 9 * * *" }))
        .await;
    f.stop(&id).await;
    f.update_schedule(json!({ "allowUserAutostart": false }))
        .await;
    f.tick(time("2025-06-02T09:00:00Z")).await;
    f.tick(time("2025-06-03T09:00:00Z")).await;
    assert_eq!(f.latest(&id).await.0, 2);
    assert_eq!(f.get(&id).await["status"], "STOPPED");
}

#[tokio::test]
async fn failed_starts_stop_after_the_failure_ttl() {
    let f = Fixture::new(json!({ "failureTtlMs": 1_800_000 })).await;
    let created = f
        .app
        .gql(
            CREATE,
            json!({ "input": { "templateId": f.template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(&f.token),
        )
        .await;
    let id = created.data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    fail_jobs(&f.app).await;
    assert_eq!(f.get(&id).await["status"], "FAILED");

    f.tick(time("2025-06-02T07:30:00Z")).await;
    assert_eq!(f.latest(&id).await.0, 1, "not before the TTL has passed");
    f.tick(time("2025-06-02T07:31:00Z")).await;
    assert_eq!(f.latest(&id).await, stop_autostop());
}

#[tokio::test]
async fn idle_workspaces_turn_dormant_then_are_deleted() {
    let f = Fixture::new(
        json!({ "timeTilDormantMs": 7_200_000, "timeTilDormantAutodeleteMs": 86_400_000 }),
    )
    .await;
    let id = f.workspace(&f.token, "dev", json!({})).await;

    f.tick(time("2025-06-02T09:00:00Z")).await;
    assert_eq!(f.latest(&id).await.0, 1, "idle exactly the threshold");

    f.tick(time("2025-06-02T09:01:00Z")).await;
    let ws = f.get(&id).await;
    assert_eq!(ws["latestBuild"]["transition"], "STOP");
    assert_eq!(ws["latestBuild"]["reason"], "DORMANCY");
    assert_eq!(
        time_of(&ws["dormantAt"]),
        Some(time("2025-06-02T09:01:00Z"))
    );
    assert_eq!(
        time_of(&ws["deletingAt"]),
        Some(time("2025-06-03T09:01:00Z"))
    );
    run_jobs(&f.app).await;

    f.tick(time("2025-06-03T09:01:00Z")).await;
    assert_eq!(
        f.latest(&id).await.0,
        2,
        "not deleted at its deletion time itself"
    );
    f.tick(time("2025-06-03T09:02:00Z")).await;
    assert_eq!(
        f.latest(&id).await,
        (3, "DELETE".into(), "AUTODELETE".into())
    );
    run_jobs(&f.app).await;
    let gone = f
        .app
        .gql(WORKSPACE, json!({ "id": id }), Some(&f.token))
        .await;
    assert_eq!(gone.error_code(), "NOT_FOUND");
}

#[tokio::test]
async fn a_suspended_owners_workspace_is_stopped() {
    let f = Fixture::new(json!({})).await;
    let (user_id, user_token) = f.app.create_user(&f.token, "dev", &[]).await;
    let id = f.workspace(&user_token, "dev", json!({})).await;
    f.tick(time("2025-06-02T07:01:00Z")).await;
    assert_eq!(f.latest(&id).await.0, 1);
    f.app
        .gql(
            "mutation($input: UpdateUserStatusInput!) { updateUserStatus(input: $input) { status } }",
            json!({ "input": { "id": user_id, "status": "SUSPENDED" } }),
            Some(&f.token),
        )
        .await
        .data();
    f.tick(time("2025-06-02T07:02:00Z")).await;
    assert_eq!(f.latest(&id).await, stop_autostop());
    // The owner's build, though the executor made it.
    assert_eq!(
        f.get(&id).await["latestBuild"]["initiator"]["username"],
        "dev"
    );
}

/// Five workspaces, each due for one rule at Tuesday 12:00: a deadline passed, a schedule
/// due, a failed start past the failure TTL, idleness past the dormancy threshold, and a
/// dormant workspace past its deletion time (every one is also long idle). A prebuilt twin of
/// each (owned by the prebuilds system user) is left alone by every rule.
#[tokio::test]
async fn prebuilt_workspaces_are_left_alone() {
    let f = Fixture::new(json!({
        "failureTtlMs": 60_000,
        "timeTilDormantMs": 3_600_000,
        "timeTilDormantAutodeleteMs": 3_600_000,
    }))
    .await;
    let mut pairs = Vec::new();
    for (kind, extra) in [
        ("deadline", json!({ "ttlMs": 3_600_000 })),
        ("schedule", json!({ "autostartSchedule": "0 9 * * *" })),
        ("failed", json!({})),
        ("idle", json!({})),
        ("dormant", json!({})),
    ] {
        let mut ids = Vec::new();
        for prefix in ["user", "pb"] {
            let name = format!("{prefix}-{kind}");
            let id = if kind == "failed" {
                let created = f
                    .app
                    .gql(
                        CREATE,
                        json!({ "input": { "templateId": f.template, "name": name, "parameters": [{ "name": "project", "value": "p" }] } }),
                        Some(&f.token),
                    )
                    .await;
                fail_jobs(&f.app).await;
                created.data()["createWorkspace"]["id"]
                    .as_str()
                    .expect("id")
                    .to_owned()
            } else {
                f.workspace(&f.token, &name, extra.clone()).await
            };
            if kind == "schedule" {
                f.stop(&id).await;
            }
            ids.push(id.parse::<Uuid>().expect("uuid"));
        }
        pairs.push((kind, ids[0], ids[1]));
    }
    let dormant: Vec<Uuid> = pairs
        .iter()
        .filter(|(kind, ..)| *kind == "dormant")
        .flat_map(|(_, user, pb)| [*user, *pb])
        .collect();
    // Dormant since Monday 08:00, to be deleted at 09:00 (both are stopped first).
    for id in &dormant {
        f.stop(&id.to_string()).await;
    }
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::DormantAt,
            Expr::value(Some(time("2025-06-02T08:00:00Z"))),
        )
        .col_expr(
            workspace::Column::DeletingAt,
            Expr::value(Some(time("2025-06-02T09:00:00Z"))),
        )
        .filter(workspace::Column::Id.is_in(dormant.clone()))
        .exec(&f.app.db)
        .await
        .expect("mark dormant");
    let prebuilt: Vec<Uuid> = pairs.iter().map(|(_, _, pb)| *pb).collect();
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::OwnerId,
            Expr::value(PREBUILDS_SYSTEM_USER_ID),
        )
        .filter(workspace::Column::Id.is_in(prebuilt.clone()))
        .exec(&f.app.db)
        .await
        .expect("hand to the prebuilds user");

    let tick = time("2025-06-03T12:00:00Z");
    f.app.clock.set(tick);
    // The selecting query never returns them...
    let eligible = autobuild::eligible_workspaces(&f.app.db, tick)
        .await
        .expect("query");
    let users: Vec<Uuid> = pairs.iter().map(|(_, user, _)| *user).collect();
    let mut expected = users.clone();
    expected.sort();
    assert_eq!(eligible, expected);
    // ...and asked directly, the executor leaves them unchanged too.
    for id in &prebuilt {
        let outcome = autobuild::act_on_workspace(
            &f.app.db,
            &devplane::domain::workspace::NoUsageCheck,
            &std::sync::Arc::default(),
            tick,
            tick,
            *id,
        )
        .await
        .expect("no error");
        assert_eq!(outcome, autobuild::Outcome::Unchanged);
    }

    let stats = f
        .app
        .lifecycle
        .run_cycle(&f.app.db, tick)
        .await
        .expect("cycle");
    let reasons: Vec<(&str, String)> = pairs
        .iter()
        .map(|(kind, user, _)| {
            let (transition, reason) = stats.transitions.get(user).expect("a build");
            (*kind, format!("{transition:?} {reason:?}"))
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("deadline", "Stop Autostop".to_owned()),
            ("schedule", "Start Autostart".to_owned()),
            ("failed", "Stop Autostop".to_owned()),
            ("idle", "Stop Dormancy".to_owned()),
            ("dormant", "Delete Autodelete".to_owned()),
        ]
    );
    assert_eq!(stats.transitions.len(), 5, "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
    for id in &prebuilt {
        let builds = devplane::entity::workspace_build::Entity::find()
            .filter(devplane::entity::workspace_build::Column::WorkspaceId.eq(*id))
            .count(&f.app.db)
            .await
            .expect("count");
        let ws = workspace::Entity::find_by_id(*id)
            .one(&f.app.db)
            .await
            .expect("query")
            .expect("workspace");
        let stopped_before = pairs
            .iter()
            .any(|(kind, _, pb)| pb == id && matches!(*kind, "schedule" | "dormant"));
        assert_eq!(builds, if stopped_before { 2 } else { 1 }, "{id}");
        assert_eq!(
            ws.dormant_at.is_some(),
            dormant.contains(id),
            "no dormancy mark on {id}"
        );
    }
}

#[tokio::test]
async fn next_start_at_skips_days_the_template_blocks() {
    // Set at creation, by updateWorkspaceAutostart, and again when the template's days change.
    // Wednesday only; every day at 08:58, set on a Monday.
    let f = Fixture::new(json!({ "autostartAllowedDaysOfWeek": 0b100 })).await;
    let wednesday = time("2025-06-04T08:58:00Z");
    let created = f
        .app
        .gql(
            CREATE,
            json!({ "input": { "templateId": f.template, "name": "dev", "autostartSchedule": "58 8 * * *", "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(&f.token),
        )
        .await;
    let created = &created.data()["createWorkspace"];
    assert_eq!(time_of(&created["nextStartAt"]), Some(wednesday));

    let set = f
        .app
        .gql(
            "mutation($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { nextStartAt } }",
            json!({ "input": { "id": created["id"], "schedule": "58 8 * * *" } }),
            Some(&f.token),
        )
        .await;
    assert_eq!(
        time_of(&set.data()["updateWorkspaceAutostart"]["nextStartAt"]),
        Some(wednesday)
    );
    // A schedule that never fires on an allowed day has no next start.
    let never = f
        .app
        .gql(
            "mutation($input: UpdateWorkspaceAutostartInput!) { updateWorkspaceAutostart(input: $input) { nextStartAt } }",
            json!({ "input": { "id": created["id"], "schedule": "0 9 * * 1,5" } }),
            Some(&f.token),
        )
        .await;
    assert_eq!(
        never.data()["updateWorkspaceAutostart"]["nextStartAt"],
        Value::Null
    );
    // Allowing every day moves it to the schedule's next firing, today.
    f.update_schedule(json!({ "autostartAllowedDaysOfWeek": 0b111_1111 }))
        .await;
    let ws = f.get(created["id"].as_str().expect("id")).await;
    assert_eq!(
        time_of(&ws["nextStartAt"]),
        Some(time("2025-06-02T09:00:00Z"))
    );
}

/// Two servers on one PostgreSQL database tick together: every due workspace gets exactly
/// one stop, whether the replicas meet at the job's lock (through their schedulers) or at
/// each workspace's lock (running cycles directly, side by side).
#[tokio::test]
async fn two_replicas_make_one_transition_per_workspace() {
    if std::env::var(crate::helpers::PG_ENV).is_ok_and(|url| !url.is_empty()) {
        // PostgreSQL: continue below.
    } else {
        return;
    }
    let f = Fixture::new(json!({})).await;
    let replica = f.app.replica(EXPLICIT_BACKGROUND).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let id = f
            .workspace(&f.token, &format!("dev-{n}"), json!({ "ttlMs": 3_600_000 }))
            .await;
        ids.push(id.parse::<Uuid>().expect("uuid"));
    }
    let stops = |ids: Vec<Uuid>| {
        let db = f.app.db.clone();
        async move {
            let mut counts = Vec::new();
            for id in ids {
                let stops = devplane::entity::workspace_build::Entity::find()
                    .filter(devplane::entity::workspace_build::Column::WorkspaceId.eq(id))
                    .filter(
                        devplane::entity::workspace_build::Column::Transition
                            .eq(devplane::entity::workspace_build::Transition::Stop),
                    )
                    .count(&db)
                    .await
                    .expect("count");
                counts.push(stops);
            }
            counts
        }
    };

    // Through both schedulers at once: the job's lock lets one replica run the cycle.
    let at = time("2025-06-02T08:00:00Z");
    let (a, b) = tokio::join!(f.app.lifecycle_tick(at), replica.lifecycle_tick(at));
    assert!(
        matches!(
            (&a, &b),
            (RunOutcome::Ran, RunOutcome::Ran | RunOutcome::Skipped)
                | (RunOutcome::Skipped, RunOutcome::Ran)
        ),
        "{a:?} {b:?}"
    );
    assert_eq!(stops(ids.clone()).await, vec![1; ids.len()]);

    // Start them again, then run two cycles side by side without the job's lock: the
    // per-workspace locks (and the re-read) leave one stop each.
    run_jobs(&f.app).await;
    for id in &ids {
        f.app
            .gql(
                "mutation($id: UUID!) { startWorkspace(input: {id: $id}) { id } }",
                json!({ "id": id }),
                Some(&f.token),
            )
            .await
            .data();
    }
    run_jobs(&f.app).await;
    let at = time("2025-06-02T09:00:00Z");
    f.app.clock.set(at);
    let (a, b) = tokio::join!(
        f.app.lifecycle.run_cycle(&f.app.db, at),
        replica.lifecycle.run_cycle(&replica.db, at)
    );
    let (a, b) = (a.expect("cycle a"), b.expect("cycle b"));
    assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
    assert_eq!(
        a.transitions.len() + b.transitions.len(),
        ids.len(),
        "{a:?} {b:?}"
    );
    assert!(
        a.transitions
            .keys()
            .all(|id| !b.transitions.contains_key(id))
    );
    assert_eq!(stops(ids.clone()).await, vec![2; ids.len()]);
}
