//! The prebuild reconciliation benchmark: 10 templates × 100 presets (1,000 presets, each
//! wanting 5 prebuilds, 5,000 in all), created through the API and the reconciler, their
//! builds completed, then timed:
//! (a) the first cycle, which queues all 5,000 prebuilds;
//! (b) a steady-state cycle with 1,000 presets and 5,000 running prebuilds (nothing to do);
//! (c) the snapshot alone, with the number of SQL statements it ran (from the server's own
//!     statement counter), against the same statements run directly on the pool.
//!
//! Run: `cargo bench --bench prebuilds` (SQLite), and with
//! `DEVPLANE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL.
//! `DEVPLANE_BENCH_PRESETS_PER_TEMPLATE` changes the presets per template (default 100).

// Shared with the connection-log benchmark, which uses all of them.
#[allow(dead_code)]
#[path = "connection_log/server.rs"]
mod server;
#[allow(dead_code)]
#[path = "support/setup.rs"]
mod setup;

use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use clap::Parser;
use devplane::{
    app::Application,
    clock::SystemClock,
    config::{Cli, Command},
    domain::{
        license,
        prebuilds::{
            reconciler::{self, ReconcilerSettings},
            snapshot::{self, SNAPSHOT_STATEMENTS, Scope, SnapshotParams},
        },
        provisioner, workspace,
    },
};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

const TEMPLATES: usize = 10;
const INSTANCES: usize = 5;
const RUNS: usize = 20;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn template_tf(presets: usize) -> String {
    let mut tf = String::from(
        "data \"coder_parameter\" \"project\" {\n  name    = \"project\"\n  type    = \"string\"\n  default = \"demo\"\n  mutable = true\n}\n\nresource \"coder_agent\" \"main\" {\n  os   = \"linux\"\n  arch = \"amd64\"\n}\n",
    );
    for p in 0..presets {
        tf.push_str(&format!(
            "\ndata \"coder_workspace_preset\" \"p{p}\" {{\n  name = \"p{p}\"\n  parameters = {{\n    project = \"p{p}\"\n  }}\n  prebuilds {{\n    instances = {INSTANCES}\n  }}\n}}\n"
        ));
    }
    tf
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let per_template: usize = std::env::var("DEVPLANE_BENCH_PRESETS_PER_TEMPLATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("dir");
    let database = setup::BenchDatabase::create().await;
    let url = database.url.clone();
    let (secret, keys_file) = setup::license_keys(dir.path());
    let keys_file = keys_file.display().to_string();
    let args = [
        "devplane",
        "server",
        "--listen-address",
        "127.0.0.1:0",
        "--database-url",
        &url,
        "--license-keys-file",
        &keys_file,
        "--provisioner-daemons",
        "0",
        "--prebuilds-reconciliation-interval",
        "0",
        "--autobuild-poll-interval",
        "0",
        "--log-level",
        "error",
    ];
    let Command::Server(config) = Cli::try_parse_from(args).expect("flags").command else {
        unreachable!()
    };
    let app = Application::build(&config, Arc::new(SystemClock))
        .await
        .expect("server");
    let base = format!("http://{}", app.address());
    let db = app.state().db.clone();
    let engine = if database.admin.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let gql = |query: &str, variables: Value, token: Option<&str>| {
        let mut request = client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        async move {
            request
                .send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let statements = || {
        let client = client.clone();
        let base = base.clone();
        async move {
            let text = client
                .get(format!("{base}/metrics"))
                .send()
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text");
            text.lines()
                .filter(|l| l.starts_with("devplane_db_statements_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        }
    };

    let first = gql("mutation { createFirstUser(input: {email: \"a@bench.test\", username: \"admin\", password: \"bench-password\"}) { token } }", json!({}), None).await;
    let token = first["data"]["createFirstUser"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let now = Utc::now();
    let claims = json!({ "iat": (now - Duration::minutes(1)).timestamp(), "nbf": (now - Duration::minutes(1)).timestamp(),
        "license_expires": (now + Duration::days(30)).timestamp(), "exp": (now + Duration::days(31)).timestamp(),
        "version": 3, "feature_set": "premium", "features": { "user_limit": 100 } });
    let jwt = license::sign_license_payload(&claims, "bench", &secret);
    gql(
        "mutation($l: String!) { addLicense(input: {license: $l}) { id } }",
        json!({ "l": jwt }),
        Some(&token),
    )
    .await;
    let org =
        gql("{ organizations { id } }", json!({}), Some(&token)).await["data"]["organizations"][0]
            ["id"]
            .clone();
    let tf = template_tf(per_template);
    let started = Instant::now();
    for t in 0..TEMPLATES {
        let created = gql(
            "mutation($o: UUID!, $n: String!, $tf: String!) { createTemplate(input: {organizationId: $o, name: $n, files: [{path: \"main.tf\", content: $tf}]}) { id } }",
            json!({ "o": org, "n": format!("t{t}"), "tf": tf }),
            Some(&token),
        )
        .await;
        assert!(created["errors"].is_null(), "{created}");
    }
    let presets = TEMPLATES * per_template;
    println!(
        "prebuilds benchmark on {engine}: {TEMPLATES} templates × {per_template} presets = {presets} presets, {INSTANCES} prebuilds each ({} in all); templates imported in {:.1} s",
        presets * INSTANCES,
        started.elapsed().as_secs_f64()
    );

    let settings = ReconcilerSettings::default();
    let usage: Arc<dyn workspace::UsageCheck> = Arc::new(workspace::NoUsageCheck);
    let started = Instant::now();
    let report = reconciler::run_cycle(&db, usage.clone(), settings, None, Utc::now())
        .await
        .expect("first cycle");
    let first_cycle = started.elapsed().as_secs_f64();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    println!(
        "(a) first cycle: {} prebuilds queued in {:.2} s ({:.2} ms each)",
        report.created_count(),
        first_cycle,
        first_cycle * 1000.0 / report.created_count().max(1) as f64
    );
    let started = Instant::now();
    let built = provisioner::run_pending(
        &db,
        Utc::now(),
        "bench",
        &workspace::BuildCompletion::SIMULATED_AGENTS,
    )
    .await
    .expect("builds");
    println!(
        "    {built} builds completed in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut cycles = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let report = reconciler::run_cycle(&db, usage.clone(), settings, None, Utc::now())
            .await
            .expect("cycle");
        cycles.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            report.created_count() + report.deleted.len(),
            0,
            "steady state"
        );
        let running: i32 = report.states.values().map(|s| s.actual).sum();
        assert_eq!(running as usize, presets * INSTANCES);
    }
    println!(
        "(b) steady-state cycle, {presets} presets and {} running prebuilds: median {:.1} ms of 5 (target < 1000 ms on PostgreSQL)",
        presets * INSTANCES,
        median(cycles)
    );

    let params = SnapshotParams {
        lookback_start: Utc::now() - Duration::hours(1),
        failure_hard_limit: 3,
    };
    let before = statements().await;
    let loaded = snapshot::load(&db, Scope::All, params)
        .await
        .expect("snapshot");
    let counted = statements().await - before;
    assert_eq!(loaded.presets.len(), presets);
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        snapshot::load(&db, Scope::All, params)
            .await
            .expect("snapshot");
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    // The floor: the same six statements in one transaction, rows fetched but not decoded.
    let mut raw = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let txn = db.begin().await.expect("begin");
        for statement in snapshot::statements(db.get_database_backend(), Scope::All, params) {
            txn.query_all_raw(statement).await.expect("raw query");
        }
        txn.commit().await.expect("commit");
        raw.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (snapshot_ms, raw_ms) = (median(samples), median(raw));
    println!(
        "(c) snapshot: median {snapshot_ms:.1} ms of {RUNS}; the same SQL run directly: {raw_ms:.1} ms (ratio {:.2}); {counted} statements counted by the server's statement counter ({SNAPSHOT_STATEMENTS} by construction), independent of the number of presets",
        snapshot_ms / raw_ms,
    );

    drop(db);
    database.drop_database().await;
}
