//! Prebuilt workspaces end to end: the reconciler creating, replacing, draining and backing
//! off; claims through `createWorkspace`; the preset counts and metrics clients see.
//! Builds run through the real provisioner queue (completed by the test, or failed by an
//! external provisioner on demand); reconciliation cycles are run explicitly at chosen times.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use devplane::domain::prebuilds::reconciler::CycleReport;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, create_template, metric_sum, run_jobs, setup_at};

/// Sunday 1 June 2025, 12:00 UTC: outside any weekday schedule.
fn sunday_noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

/// A template whose preset `warm` wants `instances` prebuilds that expire after `ttl`
/// seconds (0: never), with extra preset blocks in `prebuild_extra`.
fn prebuild_tf(instances: i32, ttl: i32, prebuild_extra: &str) -> String {
    format!(
        r#"
data "coder_parameter" "project" {{
  name    = "project"
  type    = "string"
  default = "demo"
  mutable = true
}}

data "coder_workspace_preset" "warm" {{
  name = "warm"
  parameters = {{
    project = "demo"
  }}
  prebuilds {{
    instances = {instances}
    expiration_policy {{
      ttl = {ttl}
    }}
    {prebuild_extra}
  }}
}}

data "coder_workspace_preset" "cold" {{
  name = "cold"
  parameters = {{
    project = "other"
  }}
}}

resource "coder_agent" "main" {{
  os   = "linux"
  arch = "amd64"
}}
"#
    )
}

const PRESETS: &str = "query($id: UUID!) { presets(templateVersionId: $id) { id name prebuildStatus prebuilds { desired running eligible starting deleting } } }";

const CREATE_WORKSPACE: &str = "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id name ownerId } }";

/// A licensed server at `start` with a prebuild template: (app, owner token, org,
/// template id, version id, id of preset `warm`).
async fn prebuild_setup(
    instances: i32,
    ttl: i32,
    extra: &str,
) -> (TestApp, String, String, String, String, String) {
    prebuild_setup_tf(&prebuild_tf(instances, ttl, extra)).await
}

/// [`prebuild_setup`] with a template of its own (with a preset `warm`).
async fn prebuild_setup_tf(tf: &str) -> (TestApp, String, String, String, String, String) {
    let (app, token, org) = setup_at(sunday_noon()).await;
    app.install_premium_license(&token).await;
    let (template, version) = create_template(&app, &token, &org, "warm", tf, json!({})).await;
    let preset = preset_id(&app, &token, &version, "warm").await;
    (app, token, org, template, version, preset)
}

async fn preset_id(app: &TestApp, token: &str, version: &str, name: &str) -> String {
    presets(app, token, version)
        .await
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["id"].as_str())
        .expect("preset")
        .to_owned()
}

async fn presets(app: &TestApp, token: &str, version: &str) -> Value {
    app.gql(PRESETS, json!({ "id": version }), Some(token))
        .await
        .data()["presets"]
        .clone()
}

/// The `prebuilds` counts of preset `name`.
async fn counts(app: &TestApp, token: &str, version: &str, name: &str) -> Value {
    presets(app, token, version)
        .await
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == name)
        .expect("preset")["prebuilds"]
        .clone()
}

/// Uploads `tf` as the template's new active version; returns its id.
async fn activate_version(app: &TestApp, token: &str, template: &Value, tf: &str) -> String {
    app.gql(
        "mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { id } }",
        json!({ "input": { "templateId": template, "activate": true, "files": [{ "path": "main.tf", "content": tf }] } }),
        Some(token),
    )
    .await
    .data()["createTemplateVersion"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Runs one reconciliation cycle at `at`.
async fn cycle(app: &TestApp, at: DateTime<Utc>) -> CycleReport {
    app.clock.set(at);
    app.prebuilds
        .run_cycle(&app.db, at)
        .await
        .expect("cycle runs")
        .expect("entitled")
}

/// Ids of the live workspaces owned by the prebuilds user.
async fn prebuild_ids(app: &TestApp) -> HashSet<Uuid> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    devplane::entity::workspace::Entity::find()
        .filter(
            devplane::entity::workspace::Column::OwnerId
                .eq(devplane::domain::identity::PREBUILDS_SYSTEM_USER_ID),
        )
        .filter(devplane::entity::workspace::Column::Deleted.eq(false))
        .all(&app.db)
        .await
        .expect("db")
        .into_iter()
        .map(|w| w.id)
        .collect()
}

#[tokio::test]
async fn reconciler_keeps_the_desired_count_and_is_idempotent() {
    let (app, token, _org, _template, version, preset) = prebuild_setup(2, 0, "").await;
    let t0 = sunday_noon();
    let first = cycle(&app, t0).await;
    assert_eq!(first.created_count(), 2, "{first:?}");
    assert_eq!(
        first
            .created
            .keys()
            .map(Uuid::to_string)
            .collect::<Vec<_>>(),
        vec![preset.clone()]
    );
    assert_eq!(
        counts(&app, &token, &version, "warm").await,
        json!({ "desired": 2, "running": 0, "eligible": 0, "starting": 2, "deleting": 0 })
    );
    // Each prebuild's build is in the audit log, started by the system.
    {
        use devplane::entity::audit_log::{self, AuditAction};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let builds = audit_log::Entity::find()
            .filter(audit_log::Column::ResourceType.eq("workspace_build"))
            .all(&app.db)
            .await
            .expect("audit rows");
        assert_eq!(builds.len(), 2, "{builds:#?}");
        for row in builds {
            assert_eq!((row.action, row.user_id), (AuditAction::Start, None));
            assert!(row.resource_target.starts_with("prebuild-"), "{row:?}");
        }
    }
    // While the builds run, nothing more is created.
    let again = cycle(&app, t0 + Duration::seconds(30)).await;
    assert_eq!((again.created_count(), again.deleted.len()), (0, 0));
    assert_eq!(run_jobs(&app).await, 2);
    let ids = prebuild_ids(&app).await;
    assert_eq!(ids.len(), 2);
    for n in 0..8 {
        let report = cycle(&app, t0 + Duration::minutes(n + 1)).await;
        assert_eq!(
            (
                report.created_count(),
                report.deleted.len(),
                report.errors.len()
            ),
            (0, 0, 0),
            "cycle {n}: {report:?}"
        );
    }
    assert_eq!(prebuild_ids(&app).await, ids);
    assert_eq!(
        counts(&app, &token, &version, "warm").await,
        json!({ "desired": 2, "running": 2, "eligible": 2, "starting": 0, "deleting": 0 })
    );
    // A preset without prebuilds has no counts.
    let cold = presets(&app, &token, &version).await;
    let cold = cold
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "cold")
        .expect("cold");
    assert_eq!(cold["prebuilds"], Value::Null);
    assert_eq!(cold["prebuildStatus"], "HEALTHY");

    // Prebuilds are named as Coder names them and carry no lifecycle settings.
    let rows = app
        .gql(
            "{ workspaces(filter: \"owner:prebuilds\") { name ttlMs autostartSchedule } }",
            json!({}),
            Some(&token),
        )
        .await;
    let listed = rows.data()["workspaces"].as_array().expect("list").clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    for ws in listed {
        let name = ws["name"].as_str().expect("name");
        assert!(name.starts_with("prebuild-") && name.len() == 24, "{name}");
        assert_eq!(ws["ttlMs"], Value::Null);
        assert_eq!(ws["autostartSchedule"], Value::Null);
    }

    // The prebuilds user joined the organization's prebuilds group.
    let groups = app
        .gql(
            "{ organizations { groups { name displayName quotaAllowance members { username } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let groups = groups.data()["organizations"][0]["groups"].clone();
    assert!(
        groups.as_array().expect("list").contains(&json!({
            "name": "coderprebuiltworkspaces",
            "displayName": "Prebuilt Workspaces",
            "quotaAllowance": 0,
            "members": [{ "username": "prebuilds" }]
        })),
        "{groups}"
    );

    let metrics = app.metrics_text().await;
    let labels = r#"organization_name="default",preset_name="warm",template_name="warm""#;
    for line in [
        format!("devplane_prebuilt_workspaces_desired{{{labels}}} 2"),
        format!("devplane_prebuilt_workspaces_running{{{labels}}} 2"),
        format!("devplane_prebuilt_workspaces_eligible{{{labels}}} 2"),
        format!("devplane_prebuilt_workspaces_created_total{{{labels}}} 2"),
        "devplane_prebuilt_workspaces_reconciliation_paused 0".to_owned(),
    ] {
        assert!(metrics.contains(&line), "{line} missing from\n{metrics}");
    }
    assert!(!metrics.contains("devplane_prebuilt_workspaces_preset_hard_limited{"));
}

#[tokio::test]
async fn nothing_happens_without_the_prebuilds_entitlement() {
    let (app, token, org) = setup_at(sunday_noon()).await;
    create_template(
        &app,
        &token,
        &org,
        "warm",
        &prebuild_tf(2, 0, ""),
        json!({}),
    )
    .await;
    let report = app
        .prebuilds
        .run_cycle(&app.db, sunday_noon())
        .await
        .expect("cycle runs");
    assert!(report.is_none());
    assert!(prebuild_ids(&app).await.is_empty());
}

#[tokio::test]
async fn a_claim_hands_over_a_ready_prebuild_once() {
    let (app, token, _org, template, version, preset) = prebuild_setup(1, 0, "").await;
    let t0 = sunday_noon();
    cycle(&app, t0).await;
    run_jobs(&app).await;
    let prebuilt: Vec<Uuid> = prebuild_ids(&app).await.into_iter().collect();
    let (member_id, member) = app.create_user(&token, "dev", &[]).await;

    let claimed = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "mine", "presetId": preset, "ttlMs": 3_600_000, "parameters": [{ "name": "project", "value": "demo" }] } }),
            Some(&member),
        )
        .await;
    let claimed = claimed.data()["createWorkspace"].clone();
    assert_eq!(
        claimed["id"],
        prebuilt[0].to_string(),
        "the prebuild was claimed"
    );
    assert_eq!(claimed["name"], "mine");
    assert_eq!(claimed["ownerId"], member_id);
    // The claim queued a start build by the new owner with the preset.
    let builds = app
        .gql(
            "query($id: UUID!) { workspace(id: $id) { ttlMs latestBuild { buildNumber transition initiator { id } } } }",
            json!({ "id": claimed["id"] }),
            Some(&member),
        )
        .await;
    assert_eq!(
        builds.data()["workspace"],
        json!({ "ttlMs": 3_600_000, "latestBuild": { "buildNumber": 2, "transition": "START", "initiator": { "id": member_id } } })
    );
    assert!(prebuild_ids(&app).await.is_empty());

    // No prebuild is ready now: the next request gets a new workspace.
    let fresh = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "second", "presetId": preset } }),
            Some(&member),
        )
        .await;
    let fresh_id = fresh.data()["createWorkspace"]["id"].clone();
    assert_ne!(fresh_id, claimed["id"]);

    // The reconciler replaces the claimed prebuild; the claim counts in the metrics.
    run_jobs(&app).await;
    let report = cycle(&app, t0 + Duration::minutes(1)).await;
    assert_eq!(report.created_count(), 1);
    run_jobs(&app).await;
    cycle(&app, t0 + Duration::minutes(2)).await;
    assert_eq!(
        counts(&app, &token, &version, "warm").await["eligible"],
        json!(1)
    );
    let metrics = app.metrics_text().await;
    let labels = r#"organization_name="default",preset_name="warm",template_name="warm""#;
    assert!(
        metrics.contains(&format!(
            "devplane_prebuilt_workspaces_claimed_total{{{labels}}} 1"
        )),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_prebuild_still_building_is_not_claimed() {
    let (app, token, _org, template, _version, preset) = prebuild_setup(1, 0, "").await;
    cycle(&app, sunday_noon()).await;
    let pending = prebuild_ids(&app).await;
    assert_eq!(pending.len(), 1);
    let created = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "mine", "presetId": preset } }),
            Some(&token),
        )
        .await;
    let id: Uuid = created.data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert!(!pending.contains(&id));
    assert_eq!(prebuild_ids(&app).await, pending);
}

#[tokio::test]
async fn concurrent_claims_never_share_a_prebuild() {
    let (app, token, _org, template, _version, preset) = prebuild_setup(3, 0, "").await;
    cycle(&app, sunday_noon()).await;
    run_jobs(&app).await;
    let prebuilt = prebuild_ids(&app).await;
    assert_eq!(prebuilt.len(), 3);
    let mut tokens = Vec::new();
    for n in 0..10 {
        tokens.push(app.create_user(&token, &format!("dev{n}"), &[]).await.1);
    }
    let requests = tokens.iter().map(|member| {
        app.gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "ws", "presetId": preset } }),
            Some(member),
        )
    });
    let responses = futures::future::join_all(requests).await;
    let ids: Vec<Uuid> = responses
        .iter()
        .map(|r| {
            r.data()["createWorkspace"]["id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid")
        })
        .collect();
    let distinct: HashSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), 10, "every request got its own workspace");
    let claimed = ids.iter().filter(|id| prebuilt.contains(id)).count();
    assert_eq!(claimed, 3, "three claims, seven new workspaces");
    assert!(prebuild_ids(&app).await.is_empty());
}

#[tokio::test]
async fn an_expired_prebuild_is_replaced_in_one_cycle() {
    let (app, _token, _org, _template, _version, _preset) = prebuild_setup(1, 3600, "").await;
    let t0 = sunday_noon();
    cycle(&app, t0).await;
    run_jobs(&app).await;
    let old = prebuild_ids(&app).await;
    // Exactly at the TTL it is not yet expired.
    let at_ttl = cycle(&app, t0 + Duration::seconds(3600)).await;
    assert_eq!((at_ttl.created_count(), at_ttl.deleted.len()), (0, 0));
    let report = cycle(&app, t0 + Duration::seconds(3601)).await;
    assert_eq!(report.deleted, old.iter().copied().collect::<Vec<_>>());
    assert_eq!(report.created_count(), 1);
    run_jobs(&app).await;
    let now = prebuild_ids(&app).await;
    assert_eq!(now.len(), 1);
    assert!(now.is_disjoint(&old));
}

#[tokio::test]
async fn a_new_version_drains_the_old_prebuilds() {
    let (app, token, _org, template, version, _preset) = prebuild_setup(1, 0, "").await;
    let t0 = sunday_noon();
    cycle(&app, t0).await;
    run_jobs(&app).await;
    let old = prebuild_ids(&app).await;
    let new_version =
        activate_version(&app, &token, &json!(template), &prebuild_tf(1, 0, "")).await;
    let report = cycle(&app, t0 + Duration::minutes(1)).await;
    assert_eq!(report.deleted, old.iter().copied().collect::<Vec<_>>());
    assert_eq!(report.created_count(), 1);
    // The old version's preset wants none now; the new one wants one.
    assert_eq!(
        counts(&app, &token, &version, "warm").await["desired"],
        json!(0)
    );
    assert_eq!(
        counts(&app, &token, &new_version, "warm").await["desired"],
        json!(1)
    );
    run_jobs(&app).await;
    let now = prebuild_ids(&app).await;
    assert_eq!(now.len(), 1);
    assert!(now.is_disjoint(&old));
    // Idempotent from here.
    for n in 2..6 {
        let report = cycle(&app, t0 + Duration::minutes(n)).await;
        assert_eq!((report.created_count(), report.deleted.len()), (0, 0));
    }
}

#[tokio::test]
async fn a_deleted_template_drains_and_creates_nothing() {
    use sea_orm::ConnectionTrait;
    let (app, _token, _org, template, _version, _preset) = prebuild_setup(2, 0, "").await;
    let t0 = sunday_noon();
    cycle(&app, t0).await;
    run_jobs(&app).await;
    let old = prebuild_ids(&app).await;
    // There is no template deletion in the API yet; the flag is what the reconciler reads.
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            "UPDATE templates SET deleted = TRUE WHERE id = $1",
            [template.parse::<Uuid>().expect("uuid").into()],
        ))
        .await
        .expect("update");
    let report = cycle(&app, t0 + Duration::minutes(1)).await;
    let mut deleted: Vec<Uuid> = old.iter().copied().collect();
    deleted.sort();
    assert_eq!(report.deleted, deleted);
    assert_eq!(report.created_count(), 0);
    run_jobs(&app).await;
    assert!(prebuild_ids(&app).await.is_empty());
    let report = cycle(&app, t0 + Duration::minutes(2)).await;
    assert_eq!((report.created_count(), report.deleted.len()), (0, 0));
}

#[tokio::test]
async fn schedules_change_the_desired_count() {
    let schedule = r#"scheduling {
      timezone = "America/Los_Angeles"
      schedule {
        cron      = "* 9-13 * * 1-5"
        instances = 3
      }
    }"#;
    let (app, token, _org, _template, version, _preset) = prebuild_setup(1, 0, schedule).await;
    // Monday 2 June 2025, 16:00 UTC = 09:00 in Los Angeles.
    let monday = Utc
        .with_ymd_and_hms(2025, 6, 2, 15, 59, 0)
        .single()
        .expect("time");
    let before = cycle(&app, monday).await;
    assert_eq!(before.created_count(), 1);
    run_jobs(&app).await;
    let inside = cycle(&app, monday + Duration::minutes(1)).await;
    assert_eq!(inside.created_count(), 2);
    app.clock.set(monday + Duration::minutes(1));
    assert_eq!(
        counts(&app, &token, &version, "warm").await["desired"],
        json!(3)
    );
    run_jobs(&app).await;
    // 21:00 UTC = 14:00 in Los Angeles: back to one, the oldest surplus goes first.
    let after = cycle(&app, monday + Duration::hours(5) + Duration::minutes(1)).await;
    assert_eq!(after.deleted.len(), 2);
    assert_eq!(after.created_count(), 0);
}

const ACQUIRE: &str = "mutation { acquireProvisionerJob { job { id } } }";
const COMPLETE: &str = "mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { status } }";

/// Fails every queued job through an external provisioner; returns how many.
async fn fail_jobs(app: &TestApp, key: &str) -> usize {
    let mut failed = 0;
    loop {
        let acquired = app.as_provisioner(key, ACQUIRE, json!({})).await;
        let job = &acquired["data"]["acquireProvisionerJob"];
        if job.is_null() {
            return failed;
        }
        let id = job["job"]["id"].clone();
        let done = app
            .as_provisioner(
                key,
                COMPLETE,
                json!({ "input": { "jobId": id, "error": "terraform apply failed" } }),
            )
            .await;
        assert_eq!(
            done["data"]["completeProvisionerJob"]["status"], "FAILED",
            "{done}"
        );
        failed += 1;
    }
}

#[tokio::test]
async fn failures_back_off_then_hit_the_hard_limit() {
    let (app, token, org, _template, version, preset) = prebuild_setup(1, 0, "").await;
    let key = app.create_provisioner_key(&token, &org, "failing").await;
    let t0 = sunday_noon();
    // Failure 1.
    assert_eq!(cycle(&app, t0).await.created_count(), 1);
    assert_eq!(fail_jobs(&app, &key).await, 1);
    // Held back one interval (15 s) from the failed build; not a moment less.
    let waiting = cycle(&app, t0 + Duration::seconds(15)).await;
    assert_eq!(waiting.created_count(), 0);
    assert_eq!(
        waiting.backoff.get(&preset.parse::<Uuid>().expect("uuid")),
        Some(&(t0 + Duration::seconds(15)))
    );
    // Failure 2, then two intervals from it.
    let t1 = t0 + Duration::seconds(16);
    assert_eq!(cycle(&app, t1).await.created_count(), 1);
    fail_jobs(&app, &key).await;
    assert_eq!(
        cycle(&app, t1 + Duration::seconds(30))
            .await
            .created_count(),
        0
    );
    // Failure 3: the preset is at the hard limit of three.
    let t2 = t1 + Duration::seconds(31);
    assert_eq!(cycle(&app, t2).await.created_count(), 1);
    fail_jobs(&app, &key).await;
    let limited = cycle(&app, t2 + Duration::minutes(5)).await;
    assert_eq!(limited.created_count(), 0);
    assert_eq!(limited.marked_hard_limited.len(), 1);
    let listed = presets(&app, &token, &version).await;
    let warm = listed
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "warm")
        .expect("warm");
    assert_eq!(warm["prebuildStatus"], "HARD_LIMITED");
    let metrics = app.metrics_text().await;
    let labels = r#"organization_name="default",preset_name="warm",template_name="warm""#;
    assert!(
        metrics.contains(&format!(
            "devplane_prebuilt_workspaces_preset_hard_limited{{{labels}}} 1"
        )),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "devplane_prebuilt_workspaces_failed_total{{{labels}}} 3"
    )));
    // Later cycles change nothing; the failed prebuilds are kept as evidence.
    for n in 1..5 {
        let report = cycle(&app, t2 + Duration::hours(n)).await;
        assert_eq!((report.created_count(), report.deleted.len()), (0, 0));
        assert!(report.marked_hard_limited.is_empty(), "marked once");
    }
    assert_eq!(prebuild_ids(&app).await.len(), 3);

    // A new version brings new presets: the old one's gauge goes, its status stays.
    let template = app
        .gql("{ templates { id } }", json!({}), Some(&token))
        .await
        .data()["templates"][0]["id"]
        .clone();
    activate_version(&app, &token, &template, &prebuild_tf(1, 0, "")).await;
    let fresh = cycle(&app, t2 + Duration::hours(6)).await;
    assert_eq!(
        fresh.created_count(),
        1,
        "the new version's preset is healthy"
    );
    let metrics = app.metrics_text().await;
    assert!(
        !metrics.contains("devplane_prebuilt_workspaces_preset_hard_limited{"),
        "{metrics}"
    );
    let old = presets(&app, &token, &version).await;
    let old_warm = old
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "warm")
        .expect("warm");
    assert_eq!(old_warm["prebuildStatus"], "HARD_LIMITED");
    assert_eq!(old_warm["prebuilds"]["desired"], json!(0));
}

#[tokio::test]
async fn concurrent_reconcilers_never_overlap() {
    use devplane::scheduler::Scheduler;
    let (app, _token, _org, _template, _version, _preset) = prebuild_setup(4, 0, "").await;
    app.clock.set(sunday_noon());
    // On PostgreSQL, five replicas' reconcilers (the advisory lock keeps them apart); on
    // SQLite, which has one server process, five schedulers sharing its reconciler.
    let mut replicas = Vec::new();
    if std::env::var(crate::helpers::PG_ENV).is_ok_and(|url| !url.is_empty()) {
        for _ in 0..4 {
            replicas.push(app.replica(crate::helpers::EXPLICIT_BACKGROUND).await);
        }
    }
    let reconcilers: Vec<_> = std::iter::once(app.prebuilds.clone())
        .chain(replicas.iter().map(|r| r.prebuilds.clone()))
        .cycle()
        .take(5)
        .collect();
    let ticks = reconcilers.into_iter().map(|reconciler| {
        let mut scheduler = Scheduler::new(app.db.clone());
        scheduler.register(reconciler);
        async move { scheduler.tick(sunday_noon()).await }
    });
    futures::future::join_all(ticks).await;
    // Had two cycles overlapped, each would have created four.
    assert_eq!(prebuild_ids(&app).await.len(), 4);
}

/// A version whose required parameter the preset does not set.
const REQUIRED_PARAMETER_TF: &str = r#"
data "coder_parameter" "project" {
  name    = "project"
  type    = "string"
  default = "demo"
  mutable = true
}

data "coder_parameter" "size" {
  name = "size"
  type = "string"
}

data "coder_workspace_preset" "warm" {
  name = "warm"
  parameters = {
    project = "demo"
  }
  prebuilds {
    instances = 1
  }
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}
"#;

#[tokio::test]
async fn a_preset_missing_a_required_parameter_never_gets_prebuilds_but_old_ones_still_go() {
    let (app, token, _org, template, _version, _preset) = prebuild_setup(1, 0, "").await;
    let t0 = sunday_noon();
    cycle(&app, t0).await;
    run_jobs(&app).await;
    let old = prebuild_ids(&app).await;
    assert_eq!(old.len(), 1);
    activate_version(&app, &token, &json!(template), REQUIRED_PARAMETER_TF).await;
    for n in 1..=8 {
        let report = cycle(&app, t0 + Duration::minutes(n)).await;
        assert_eq!(report.created_count(), 0, "cycle {n}");
        if n == 1 {
            // The old version's prebuild is deleted: a delete build passes no parameters.
            assert_eq!(report.deleted, old.iter().copied().collect::<Vec<_>>());
            assert_eq!(report.errors.len(), 1, "{report:?}");
        }
        run_jobs(&app).await;
    }
    assert!(prebuild_ids(&app).await.is_empty());
}

#[tokio::test]
async fn pause_skips_the_whole_cycle_and_claims_still_work() {
    let (app, token, _org, template, _version, preset) = prebuild_setup(2, 0, "").await;
    let t0 = sunday_noon();
    cycle(&app, t0).await;
    run_jobs(&app).await;
    let paused = app
        .gql(
            "mutation { pausePrebuilds { reconciliationPaused } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        paused.data()["pausePrebuilds"]["reconciliationPaused"],
        true
    );
    // A claim does not go through the reconciler.
    let claimed = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "mine", "presetId": preset } }),
            Some(&token),
        )
        .await;
    let claimed_id: Uuid = claimed.data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(prebuild_ids(&app).await.len(), 1);
    assert!(!prebuild_ids(&app).await.contains(&claimed_id));
    for n in 1..4 {
        let report = cycle(&app, t0 + Duration::minutes(n)).await;
        assert!(report.paused);
        assert_eq!((report.presets, report.created_count()), (0, 0));
    }
    assert_eq!(prebuild_ids(&app).await.len(), 1);
    assert!(
        app.metrics_text()
            .await
            .contains("devplane_prebuilt_workspaces_reconciliation_paused 1")
    );
    app.gql(
        "mutation { resumePrebuilds { reconciliationPaused } }",
        json!({}),
        Some(&token),
    )
    .await
    .data();
    let report = cycle(&app, t0 + Duration::minutes(5)).await;
    assert!(!report.paused);
    assert_eq!(report.created_count(), 1, "the claimed one is replaced");
    assert!(
        app.metrics_text()
            .await
            .contains("devplane_prebuilt_workspaces_reconciliation_paused 0")
    );
}

#[tokio::test]
async fn quota_exhaustion_fails_prebuilds_until_their_group_gets_an_allowance() {
    let tf = format!(
        "{}{}",
        prebuild_tf(1, 0, ""),
        r#"
resource "coder_metadata" "cost" {
  resource_id = coder_agent.main.id
  daily_cost  = 5
  item {
    key   = "size"
    value = "small"
  }
}
"#
    );
    let (app, token, org, _template, _version, preset) = prebuild_setup_tf(&tf).await;
    let t0 = sunday_noon();
    assert_eq!(cycle(&app, t0).await.created_count(), 1);
    run_jobs(&app).await;
    // The prebuilds group exists with an allowance of 0: the build failed on quota.
    let quota = "query($o: UUID!, $u: UUID!) { workspaceQuota(organizationId: $o, userId: $u) { allowance consumed } }";
    let prebuilds_user = devplane::domain::identity::PREBUILDS_SYSTEM_USER_ID.to_string();
    let q = app
        .gql(
            quota,
            json!({ "o": org, "u": prebuilds_user }),
            Some(&token),
        )
        .await;
    assert_eq!(
        q.data()["workspaceQuota"],
        json!({ "allowance": 0, "consumed": 0 })
    );
    let waiting = cycle(&app, t0 + Duration::seconds(5)).await;
    assert_eq!(waiting.created_count(), 0);
    assert!(
        waiting
            .backoff
            .contains_key(&preset.parse::<Uuid>().expect("uuid"))
    );

    let groups = app
        .gql(
            "{ organizations { groups { id name } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let group = groups.data()["organizations"][0]["groups"]
        .as_array()
        .expect("list")
        .iter()
        .find(|g| g["name"] == "coderprebuiltworkspaces")
        .expect("the prebuilds group")["id"]
        .clone();
    app.gql(
        "mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { quotaAllowance } }",
        json!({ "input": { "id": group, "quotaAllowance": 10 } }),
        Some(&token),
    )
    .await
    .data();
    let retried = cycle(&app, t0 + Duration::seconds(16)).await;
    assert_eq!(retried.created_count(), 1);
    run_jobs(&app).await;
    let q = app
        .gql(
            quota,
            json!({ "o": org, "u": prebuilds_user }),
            Some(&token),
        )
        .await;
    assert_eq!(
        q.data()["workspaceQuota"],
        json!({ "allowance": 10, "consumed": 5 })
    );
    let steady = cycle(&app, t0 + Duration::minutes(5)).await;
    assert_eq!((steady.created_count(), steady.deleted.len()), (0, 0));
}

#[tokio::test]
async fn agents_must_be_ready_before_a_prebuild_is_claimable() {
    let (app, token, org, template, version, preset) = prebuild_setup(1, 0, "").await;
    let key = app
        .create_provisioner_key(&token, &org, "real-agents")
        .await;
    cycle(&app, sunday_noon()).await;
    // An external provisioner runs a real agent: it starts `created`.
    let acquired = app
        .as_provisioner(
            &key,
            "mutation { acquireProvisionerJob { job { id } } }",
            json!({}),
        )
        .await;
    let job = acquired["data"]["acquireProvisionerJob"]["job"]["id"].clone();
    app.as_provisioner(key.as_str(), COMPLETE, json!({ "input": { "jobId": job } }))
        .await;
    let prebuild = prebuild_ids(&app)
        .await
        .into_iter()
        .next()
        .expect("a prebuild");
    assert_eq!(
        counts(&app, &token, &version, "warm").await,
        json!({ "desired": 1, "running": 1, "eligible": 0, "starting": 0, "deleting": 0 })
    );
    let first = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "early", "presetId": preset } }),
            Some(&token),
        )
        .await;
    assert_ne!(first.data()["createWorkspace"]["id"], prebuild.to_string());
    // The agent reports ready: now it is claimable.
    let agent_token = app.agent_token(&token, &prebuild.to_string()).await;
    app.agent_gql(
        &agent_token,
        "mutation { reportAgentLifecycle(state: READY) { lifecycleState } }",
        json!({}),
    )
    .await
    .data();
    assert_eq!(
        counts(&app, &token, &version, "warm").await["eligible"],
        json!(1)
    );
    let second = app
        .gql(
            CREATE_WORKSPACE,
            json!({ "input": { "templateId": template, "name": "late", "presetId": preset } }),
            Some(&token),
        )
        .await;
    assert_eq!(second.data()["createWorkspace"]["id"], prebuild.to_string());
}

#[tokio::test]
async fn the_built_in_provisioner_makes_prebuilds_claimable() {
    // Built-in provisioners on (simulating agents), the reconciler driven by the test.
    let app = TestApp::spawn_with(&[
        "--autobuild-poll-interval",
        "0",
        "--prebuilds-reconciliation-interval",
        "0",
        "--provisioner-delay",
        "0s",
    ])
    .await;
    app.clock.set(sunday_noon());
    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    app.install_premium_license(&token).await;
    let (_template, version) = create_template(
        &app,
        &token,
        &org,
        "warm",
        &prebuild_tf(2, 0, ""),
        json!({}),
    )
    .await;
    let report = cycle(&app, sunday_noon()).await;
    assert_eq!(report.created_count(), 2);
    app.wait_for_provisioners(|p| p.released >= 2).await;
    assert_eq!(
        counts(&app, &token, &version, "warm").await,
        json!({ "desired": 2, "running": 2, "eligible": 2, "starting": 0, "deleting": 0 })
    );
    // The provisioners' work is counted as a job's, apart from the requests'.
    let metrics = app.metrics_text().await;
    let provisioner_seconds = metric_sum(
        &metrics,
        "devplane_work_seconds_total",
        &[r#"name="provisioner""#, r#"source="job""#],
    );
    assert!(
        provisioner_seconds.is_some_and(|seconds| seconds > 0.0),
        "{metrics}"
    );
}
