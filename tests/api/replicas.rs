//! Three `devplane server` processes on one PostgreSQL database, with every background job
//! on and short intervals: each piece of due work is done exactly once, and when one replica
//! is killed (SIGKILL) the other two finish everything, losing and repeating nothing.
//! PostgreSQL only: SQLite serves one process.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use chrono::Utc;
use devplane::domain::identity::PREBUILDS_SYSTEM_USER_ID;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{EXPLICIT_BACKGROUND, PG_ENV, TestApp, create_template, metric_sum, run_jobs};

/// A template whose preset `warm` wants two prebuilt workspaces.
const TEMPLATE: &str = r#"
data "coder_parameter" "project" {
  name    = "project"
  type    = "string"
  default = "demo"
  mutable = true
}

data "coder_workspace_preset" "warm" {
  name = "warm"
  parameters = {
    project = "demo"
  }
  prebuilds {
    instances = 2
  }
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}
"#;

/// How long the replicas get to converge: far above what they need (a few seconds), so
/// only a real failure hits it.
const CONVERGE: Duration = Duration::from_secs(90);

struct Replica {
    child: tokio::process::Child,
    log: PathBuf,
    address: String,
    /// The names its built-in provisioners take jobs under start with this.
    workers: String,
}

impl Drop for Replica {
    /// A failing test shows what each replica logged.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("--- {} (last lines)", self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

impl Replica {
    async fn start(dir: &Path, n: usize, database_url: &str, keys_file: &Path) -> Self {
        let log = dir.join(format!("replica-{n}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
            .args([
                "server",
                "--listen-address",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .arg("--license-keys-file")
            .arg(keys_file)
            .args([
                "--scheduler-tick",
                "200ms",
                "--autobuild-poll-interval",
                "1s",
                "--prebuilds-reconciliation-interval",
                "1s",
                "--prebuilds-backoff-interval",
                "1s",
                "--provisioner-delay",
                "300ms",
                "--provisioner-job-stale-after",
                "3s",
                "--connection-logs-retention",
                "24h",
                "--log-format",
                "json",
            ])
            .env_remove("DEVPLANE_DEMO")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("devplane starts");
        let mut replica = Self {
            child,
            log,
            address: String::new(),
            workers: String::new(),
        };
        (replica.address, replica.workers) = eventually("replica listening", || {
            let text = std::fs::read_to_string(&replica.log).unwrap_or_default();
            async move {
                let lines: Vec<Value> = text
                    .lines()
                    .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                    .collect();
                let field = |message: &str, key: &str| {
                    lines
                        .iter()
                        .find(|line| line["message"] == message)
                        .and_then(|line| line[key].as_str().map(str::to_owned))
                };
                let address = field("devplane listening", "address");
                let workers = field("built-in provisioners starting", "names");
                match (address, workers) {
                    (Some(address), Some(workers)) => Ok((
                        format!("http://{address}"),
                        workers.trim_end_matches('N').to_owned(),
                    )),
                    _ => Err("not listening yet".to_owned()),
                }
            }
        })
        .await;
        replica
    }

    /// Lines the replica logged at ERROR.
    fn errors(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(r#""level":"ERROR""#))
            .map(str::to_owned)
            .collect()
    }
}

/// The sum of the samples of counter `name` whose labels contain `labels`, on the replica at
/// `address`.
async fn counter(client: &reqwest::Client, address: &str, name: &str, labels: &str) -> f64 {
    let text = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    metric_sum(&text, name, &[labels]).unwrap_or(0.0)
}

/// Polls `check` until it succeeds; panics with its last complaint after [`CONVERGE`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = tokio::time::Instant::now();
    let deadline = started + CONVERGE;
    loop {
        match check().await {
            Ok(value) => {
                eprintln!("{what}: reached in {:?}", started.elapsed());
                return value;
            }
            Err(why) if tokio::time::Instant::now() > deadline => {
                panic!("{what}: not reached in {CONVERGE:?}: {why}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn rows(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .expect("query")
}

/// Each workspace's builds as `(transition, reason, job status)`, oldest first.
async fn builds(app: &TestApp, workspace: Uuid) -> Vec<(String, String, String)> {
    rows(
        app,
        "SELECT b.transition, b.reason, j.status FROM workspace_builds b \
         JOIN provisioner_jobs j ON j.id = b.job_id WHERE b.workspace_id = $1 ORDER BY b.build_number",
        vec![workspace.into()],
    )
    .await
    .iter()
    .map(|row| {
        let text = |c: &str| row.try_get::<String>("", c).expect(c);
        (text("transition"), text("reason"), text("status"))
    })
    .collect()
}

/// Every due workspace got exactly one autostop build, and it succeeded, except where the
/// replica running it was killed: then that one build failed as stale (Coder's rule: a hung
/// build fails, and a failed stop is not retried on its own), and nothing else happened.
async fn stopped_once(app: &TestApp, due: &[Uuid], killed_jobs: &[Uuid]) -> Result<(), String> {
    for id in due {
        let builds = builds(app, *id).await;
        let autostops: Vec<_> = builds.iter().filter(|b| b.1 == "autostop").collect();
        if autostops.len() > 1 {
            panic!("workspace {id} was stopped twice: {builds:?}");
        }
        let killed = job_of_last_build(app, *id)
            .await
            .is_some_and(|job| killed_jobs.contains(&job));
        let want = if killed { "failed" } else { "succeeded" };
        let done = autostops.len() == 1
            && builds
                .last()
                .is_some_and(|b| b.0 == "stop" && b.1 == "autostop" && b.2 == want);
        if !done {
            return Err(format!("workspace {id}: {builds:?}"));
        }
    }
    Ok(())
}

async fn job_of_last_build(app: &TestApp, workspace: Uuid) -> Option<Uuid> {
    rows(
        app,
        "SELECT job_id FROM workspace_builds WHERE workspace_id = $1 ORDER BY build_number DESC LIMIT 1",
        vec![workspace.into()],
    )
    .await
    .first()
    .map(|row| row.try_get("", "job_id").expect("job_id"))
}

/// The unclaimed prebuilds: exactly `want`, each with one successful start and nothing in
/// progress anywhere.
async fn prebuilds_settled(app: &TestApp, want: usize) -> Result<(), String> {
    let prebuilds = rows(
        app,
        "SELECT w.id FROM workspaces w WHERE w.owner_id = $1 AND NOT w.deleted",
        vec![PREBUILDS_SYSTEM_USER_ID.into()],
    )
    .await;
    if prebuilds.len() != want {
        return Err(format!("{} prebuilds", prebuilds.len()));
    }
    for row in prebuilds {
        let id: Uuid = row.try_get("", "id").expect("id");
        let builds = builds(app, id).await;
        if builds
            .last()
            .is_none_or(|b| b.0 != "start" || b.2 != "succeeded")
        {
            return Err(format!("prebuild {id}: {builds:?}"));
        }
    }
    let busy = rows(
        app,
        "SELECT count(*) AS n FROM provisioner_jobs WHERE status IN ('pending', 'running', 'canceling')",
        vec![],
    )
    .await;
    let busy: i64 = busy[0].try_get("", "n").expect("n");
    if busy != 0 {
        return Err(format!("{busy} jobs still queued or running"));
    }
    Ok(())
}

async fn create_workspaces(
    app: &TestApp,
    token: &str,
    template: &str,
    prefix: &str,
    n: usize,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        let created = app
            .gql(
                "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
                json!({ "input": { "templateId": template, "name": format!("{prefix}-{i}"), "parameters": [{ "name": "project", "value": "mine" }] } }),
                Some(token),
            )
            .await;
        let id = created.data()["createWorkspace"]["id"]
            .as_str()
            .expect("id");
        ids.push(Uuid::parse_str(id).expect("uuid"));
    }
    ids
}

/// Moves the running workspaces' deadlines into the past: the lifecycle executor is due.
async fn make_due(app: &TestApp, ids: &[Uuid]) {
    for id in ids {
        rows(
            app,
            "UPDATE workspace_builds SET deadline = now() - interval '1 minute' WHERE workspace_id = $1 RETURNING id",
            vec![(*id).into()],
        )
        .await;
    }
}

/// Connection events a day and more older than the retention, from one agent.
async fn expired_events(app: &TestApp, token: &str, workspace: Uuid, n: usize) {
    let agent = app.agent_token(token, &workspace.to_string()).await;
    let old = Utc::now() - chrono::Duration::days(3);
    let events: Vec<Value> = (0..n)
        .map(|i| json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": (old - chrono::Duration::minutes(i as i64)).to_rfc3339() }))
        .collect();
    let reported = app
        .agent_gql(
            &agent,
            "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }",
            json!({ "input": events }),
        )
        .await;
    assert_eq!(reported.data()["reportConnections"]["recorded"], n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_do_due_work_once_and_survive_a_killed_one() {
    if std::env::var(PG_ENV).unwrap_or_default().is_empty() {
        eprintln!("skipped: the three-replica proof needs PostgreSQL ({PG_ENV})");
        return;
    }
    // The state is set up through an in-process server that runs no background work.
    let app = TestApp::spawn_with(EXPLICIT_BACKGROUND).await;
    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    app.install_premium_license(&token).await;
    let (template, _version) =
        create_template(&app, &token, &org, "warm", TEMPLATE, json!({})).await;
    let due = create_workspaces(&app, &token, &template, "due", 3).await;
    run_jobs(&app).await;
    // Before the deadlines move: an agent's report counts as activity and bumps them.
    expired_events(&app, &token, due[0], 40).await;
    make_due(&app, &due).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let keys_file = dir.path().join("license-keys.json");
    std::fs::write(&keys_file, app.license_keys_json()).expect("keys");
    let mut replicas = Vec::new();
    for n in 0..3 {
        replicas.push(Replica::start(dir.path(), n, app.database_url(), &keys_file).await);
    }
    let client = reqwest::Client::new();

    // Phase 1: everything due is done once.
    eventually("due workspaces stopped", || stopped_once(&app, &due, &[])).await;
    eventually("prebuilds at the desired count", || {
        prebuilds_settled(&app, 2)
    })
    .await;
    let purged = |replicas: &Vec<Replica>| {
        let client = client.clone();
        let addresses: Vec<_> = replicas.iter().map(|r| r.address.clone()).collect();
        async move {
            let mut sum = 0.0;
            for address in addresses {
                sum += counter(
                    &client,
                    &address,
                    "devplane_purged_records_total",
                    r#"type="connection_logs""#,
                )
                .await;
            }
            sum
        }
    };
    eventually("expired connection logs purged", || {
        let purged = purged(&replicas);
        async move {
            let total = purged.await;
            if total == 40.0 {
                Ok(())
            } else {
                Err(format!("{total} purged"))
            }
        }
    })
    .await;
    // Several more cycles on every replica change nothing.
    let runs = |address: String| {
        let client = client.clone();
        async move {
            counter(
                &client,
                &address,
                "devplane_job_runs_total",
                r#"job="lifecycle-executor""#,
            )
            .await
        }
    };
    let mut before = Vec::new();
    for replica in &replicas {
        before.push(runs(replica.address.clone()).await);
    }
    for (replica, before) in replicas.iter().zip(&before) {
        eventually("three more lifecycle cycles", || async {
            let now = runs(replica.address.clone()).await;
            if now >= before + 3.0 {
                Ok(())
            } else {
                Err(format!("{now} runs"))
            }
        })
        .await;
    }
    stopped_once(&app, &due, &[])
        .await
        .expect("still stopped once");
    prebuilds_settled(&app, 2)
        .await
        .expect("still two prebuilds");
    assert_eq!(
        purged(&replicas).await,
        40.0,
        "the purge counted its rows once"
    );
    for (n, replica) in replicas.iter().enumerate() {
        assert_eq!(
            replica.errors(),
            Vec::<String>::new(),
            "replica {n} logged errors"
        );
    }

    // Phase 2: new due work, a claim that leaves the preset one short, and a replica killed
    // while all of it is in flight.
    let more = create_workspaces(&app, &token, &template, "later", 3).await;
    eventually("new workspaces started", || async {
        for id in &more {
            let builds = builds(&app, *id).await;
            if builds.last().is_none_or(|b| b.2 != "succeeded") {
                return Err(format!("{id}: {builds:?}"));
            }
        }
        Ok(())
    })
    .await;
    make_due(&app, &more).await;
    let claimed = app
        .gql(
            "query($id: UUID!) { presets(templateVersionId: $id) { id name } }",
            json!({ "id": _version }),
            Some(&token),
        )
        .await;
    let preset = claimed.data()["presets"]
        .as_array()
        .expect("presets")
        .iter()
        .find(|p| p["name"] == "warm")
        .expect("warm")["id"]
        .clone();
    let claim = app
        .gql(
            "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id ownerId } }",
            json!({ "input": { "templateId": template, "name": "claimer", "presetId": preset, "parameters": [{ "name": "project", "value": "demo" }] } }),
            Some(&token),
        )
        .await;
    let claimed_id =
        Uuid::parse_str(claim.data()["createWorkspace"]["id"].as_str().expect("id")).expect("uuid");
    // Kill the replica whose provisioner is in the middle of a build.
    let (victim, killed_jobs) = eventually("a build in progress", || async {
        let running = rows(
            &app,
            "SELECT id, worker_id FROM provisioner_jobs WHERE status = 'running'",
            vec![],
        )
        .await;
        running
            .iter()
            .find_map(|row| {
                let worker: String = row.try_get("", "worker_id").ok()?;
                let n = replicas
                    .iter()
                    .position(|r| worker.starts_with(&r.workers))?;
                let jobs: Vec<Uuid> = running
                    .iter()
                    .filter(|other| {
                        other
                            .try_get::<String>("", "worker_id")
                            .is_ok_and(|w| w.starts_with(&replicas[n].workers))
                    })
                    .map(|other| other.try_get("", "id").expect("id"))
                    .collect();
                Some((n, jobs))
            })
            .ok_or_else(|| "nothing running".to_owned())
    })
    .await;
    let mut killed = replicas.remove(victim);
    killed.child.start_kill().expect("SIGKILL");
    killed.child.wait().await.expect("reaped");

    let everything: Vec<Uuid> = due.iter().chain(&more).copied().collect();
    eventually("every due workspace stopped once", || {
        stopped_once(&app, &everything, &killed_jobs)
    })
    .await;
    eventually("the claimed prebuild replaced", || {
        prebuilds_settled(&app, 2)
    })
    .await;
    // The killed replica's builds did not vanish: each failed as stale, once.
    for job in &killed_jobs {
        let status = rows(
            &app,
            "SELECT status FROM provisioner_jobs WHERE id = $1",
            vec![(*job).into()],
        )
        .await;
        let status: String = status[0].try_get("", "status").expect("status");
        assert_eq!(status, "failed", "job {job} held by the killed replica");
    }
    let claimed_builds = builds(&app, claimed_id).await;
    assert!(
        claimed_builds
            .iter()
            .filter(|b| b.0 == "start" && b.2 == "succeeded")
            .count()
            >= 1,
        "{claimed_builds:?}"
    );
    for (n, replica) in replicas.iter().enumerate() {
        assert_eq!(
            replica.errors(),
            Vec::<String>::new(),
            "surviving replica {n} logged errors"
        );
    }
    for mut replica in replicas {
        replica.child.start_kill().ok();
        replica.child.wait().await.ok();
    }
}
