//! The load harness: three `devplane server` replicas on one PostgreSQL database, and 64
//! concurrent clients spread over them for 60 s, each looping over a mix of
//! `connectionLogs` (a first page with its capped count), `workspaces` (a page of 50) and
//! `reportConnections` (a batch of 20 new sessions from an agent). It prints throughput,
//! p50/p99 per operation, errors, events sent against events stored, and each replica's
//! peak resident memory.
//!
//! Run: `DEVPLANE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench
//! --bench load`. `DEVPLANE_LOAD_SECONDS` (default 60), `DEVPLANE_LOAD_CLIENTS` (64) and
//! `DEVPLANE_BENCH_ROWS` (connection log rows seeded first, default 100,000) change the run.

// Shared with the connection-log benchmark, which uses all of them.
#[allow(dead_code)]
#[path = "../connection_log/seed.rs"]
mod seed;
#[allow(dead_code)]
#[path = "../connection_log/server.rs"]
mod server;
#[path = "../support/setup.rs"]
mod setup;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use server::Server;
use setup::{BenchDatabase, prepare};

const CONNECTION_LOGS: &str = "query LoadLogs($f: String!) { connectionLogs(filter: $f, limit: 50) { \
    totalCount nodes { id connectTime type ip workspaceName agentName \
    workspaceOwner { id username } organization { id name } } } }";
const WORKSPACES: &str = "query LoadWorkspaces { workspaces(limit: 50) { id name lastUsedAt owner { username } template { name } } }";
const REPORT: &str = "mutation LoadReport($input: [ReportConnectionInput!]!) { \
    reportConnections(input: $input) { recorded } }";
/// Events per `reportConnections` batch.
const BATCH: usize = 20;
/// Filters the log pages cycle through.
const FILTERS: [&str; 4] = [
    "",
    "type:ssh",
    "organization:org1 type:ssh",
    "status:ongoing",
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The three operations of the mix.
#[derive(Clone, Copy)]
enum Operation {
    ConnectionLogs,
    Workspaces,
    ReportConnections,
}

impl Operation {
    const ALL: [Operation; 3] = [
        Operation::ConnectionLogs,
        Operation::Workspaces,
        Operation::ReportConnections,
    ];

    fn name(self) -> &'static str {
        match self {
            Operation::ConnectionLogs => "connectionLogs",
            Operation::Workspaces => "workspaces",
            Operation::ReportConnections => "reportConnections",
        }
    }

    /// The operation a client runs at step `i`: two log pages, two workspace lists and one
    /// report in every five.
    fn at(i: u64) -> Operation {
        match i % 5 {
            0 | 2 => Operation::ConnectionLogs,
            1 | 3 => Operation::Workspaces,
            _ => Operation::ReportConnections,
        }
    }
}

/// What the clients saw, per operation.
#[derive(Default)]
struct Tally {
    latencies_ms: [Vec<f64>; 3],
    errors: [u64; 3],
    first_errors: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs one operation; returns an error's text when it failed in any way.
async fn run_one(
    server: &Server,
    operation: Operation,
    step: u64,
    token: &str,
    agent_token: &str,
    sent: &AtomicU64,
) -> Result<(), String> {
    let request = server.client().post(&server.graphql);
    let request = match operation {
        Operation::ConnectionLogs => request.bearer_auth(token).json(&json!({
            "query": CONNECTION_LOGS,
            "variables": { "f": FILTERS[(step / 5) as usize % FILTERS.len()] },
        })),
        Operation::Workspaces => request
            .bearer_auth(token)
            .json(&json!({ "query": WORKSPACES })),
        Operation::ReportConnections => {
            let now = Utc::now();
            let events: Vec<Value> = (0..BATCH)
                .map(|_| json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": now }))
                .collect();
            sent.fetch_add(BATCH as u64, Ordering::Relaxed);
            request
                .header("Coder-Agent-Token", agent_token)
                .json(&json!({ "query": REPORT, "variables": { "input": events } }))
        }
    };
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() || !body["errors"].is_null() {
        let mut text = format!("{status}: {body}");
        text.truncate(text.floor_char_boundary(400));
        return Err(text);
    }
    Ok(())
}

async fn count_rows(db: &sea_orm::DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT count(*) AS n FROM connection_logs",
    ))
    .await
    .expect("count")
    .and_then(|row| row.try_get("", "n").ok())
    .expect("a count")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    if std::env::var("DEVPLANE_BENCH_DATABASE_URL").is_err() {
        println!("the load harness needs PostgreSQL: set DEVPLANE_BENCH_DATABASE_URL");
        return;
    }
    let seconds = env_number("DEVPLANE_LOAD_SECONDS", 60);
    let clients = env_number("DEVPLANE_LOAD_CLIENTS", 64) as usize;
    let rows = env_number("DEVPLANE_BENCH_ROWS", 100_000) as usize;

    let database = BenchDatabase::create().await;
    let keys_dir = tempfile::tempdir().expect("dir");
    let (secret, keys_file) = setup::license_keys(keys_dir.path());

    let first = Server::start(&database.url, &keys_file, 2000).await;
    let (token, admin, agent_token, _workspace) = prepare(&first, &secret).await;
    let db = Database::connect(database.url.as_str())
        .await
        .expect("bench pool");
    println!("seeding {rows} connection log entries");
    seed::seed(&db, rows, admin).await;
    let replicas = Arc::new(vec![
        first,
        Server::start(&database.url, &keys_file, 2000).await,
        Server::start(&database.url, &keys_file, 2000).await,
    ]);
    let stored_before = count_rows(&db).await;

    println!("{clients} clients over 3 replicas for {seconds} s");
    let tally = Arc::new(Mutex::new(Tally::default()));
    let sent = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (replicas, tally, sent) = (replicas.clone(), tally.clone(), sent.clone());
            let (token, agent_token) = (token.clone(), agent_token.clone());
            tokio::spawn(async move {
                let server = &replicas[client % replicas.len()];
                let mut step = client as u64;
                let mut latencies: [Vec<f64>; 3] = Default::default();
                while Instant::now() < deadline {
                    let operation = Operation::at(step);
                    let began = Instant::now();
                    let outcome =
                        run_one(server, operation, step, &token, &agent_token, &sent).await;
                    let ms = began.elapsed().as_secs_f64() * 1000.0;
                    latencies[operation as usize].push(ms);
                    if let Err(error) = outcome {
                        let mut tally = tally.lock().expect("tally");
                        tally.errors[operation as usize] += 1;
                        if tally.first_errors.len() < 5 {
                            tally.first_errors.push(error);
                        }
                    }
                    step += 1;
                }
                let mut tally = tally.lock().expect("tally");
                for (all, mine) in tally.latencies_ms.iter_mut().zip(latencies) {
                    all.extend(mine);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("client");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stored = count_rows(&db).await - stored_before;

    let mut tally = std::mem::take(&mut *tally.lock().expect("tally"));
    let total: usize = tally.latencies_ms.iter().map(Vec::len).sum();
    println!();
    println!(
        "{:<18} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "operation", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for operation in Operation::ALL {
        let i = operation as usize;
        let samples = &mut tally.latencies_ms[i];
        samples.sort_by(f64::total_cmp);
        println!(
            "{:<18} {:>9} {:>9.1} {:>9.2} {:>9.2} {:>7}",
            operation.name(),
            samples.len(),
            samples.len() as f64 / elapsed,
            percentile(samples, 0.50),
            percentile(samples, 0.99),
            tally.errors[i]
        );
    }
    println!("{:<18} {:>9} {:>9.1}", "all", total, total as f64 / elapsed);
    println!();
    println!(
        "events sent {}, stored {stored}",
        sent.load(Ordering::Relaxed)
    );
    for (n, replica) in replicas.iter().enumerate() {
        println!(
            "replica {n}: peak RSS {:.1} MiB, CPU {:.1} s",
            replica.peak_rss_mib(),
            replica.cpu_seconds()
        );
    }
    for error in &tally.first_errors {
        println!("error: {error}");
    }
    drop(replicas);
    database.drop_database().await;
}
