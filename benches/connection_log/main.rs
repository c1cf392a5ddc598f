//! The connection log benchmark: seeds `DEVPLANE_BENCH_ROWS` entries (default 1,000,000)
//! across 10 organizations, 1,000 users and 5,000 workspaces, starts the server as its own
//! process, and measures, interleaved in one run against the same rows, the server over
//! HTTP and the same SQL run directly on a pool:
//!
//! - for every filter key, `organization + type` and no filter: the first page of 50 (with
//!   owners and organizations) with the capped count, with the exact count, and the page
//!   10,000 entries deep by cursor without a count, p50 and p95;
//! - server CPU time per request at 8 concurrent clients, for that first page and for
//!   `{ viewer { id } }`, with SQL statements per request;
//! - the server's peak resident memory after 64 concurrent clients;
//! - the fixed costs every request pays: `{ __typename }` over HTTP against `SELECT 1`;
//! - ingestion through `reportConnections`, events sent and stored.
//!
//! Run: `cargo bench --bench connection_log` (SQLite), and with
//! `DEVPLANE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL.
//! `DEVPLANE_BENCH_KEEP=1` keeps the PostgreSQL database afterwards, for `EXPLAIN`;
//! `DEVPLANE_BENCH_SERVER=<path>` runs that `devplane` binary as the server instead of this
//! build's (an earlier commit's, to compare before and after in one window);
//! `DEVPLANE_BENCH_PERF=<dir>` records the server's CPU profile (Linux `perf`) during the
//! 8-client phases into `<dir>/first-page.perf.data`, `<dir>/viewer.perf.data` and
//! `<dir>/ingestion.perf.data`.

mod measure;
mod seed;
mod server;
#[path = "../support/setup.rs"]
mod setup;
mod workloads;

use std::{sync::Arc, time::Duration};

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use measure::{Latency, interleaved, load};
use server::Server;
use setup::{BenchDatabase, expect_data, prepare};
use workloads::{RawCount, Workload};

/// How long each pair of interleaved measurements may take, and its most runs.
const BUDGET: Duration = Duration::from_secs(4);
const MAX_RUNS: usize = 200;
/// How long each load phase runs.
const LOAD: Duration = Duration::from_secs(10);

const FIRST_PAGE: &str = "query Logs($f: String!) { connectionLogs(filter: $f, limit: 50) { \
    totalCount nodes { id connectTime type ip workspaceName agentName \
    workspaceOwner { id username } organization { id name } } pageInfo { endCursor hasNextPage } } }";
const CURSOR_PAGE: &str = "query LogsAfter($f: String!, $after: String) { \
    connectionLogs(filter: $f, first: 50, after: $after) { \
    nodes { id connectTime type ip workspaceName agentName \
    workspaceOwner { id username } organization { id name } } pageInfo { endCursor hasNextPage } } }";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

fn decode_cursor(cursor: &str) -> (DateTime<Utc>, Uuid) {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .expect("cursor");
    let raw = String::from_utf8(raw).expect("cursor text");
    let (time, id) = raw.split_once('|').expect("cursor parts");
    (
        DateTime::parse_from_rfc3339(time).expect("time").to_utc(),
        Uuid::parse_str(id).expect("id"),
    )
}

fn ms(l: Latency) -> String {
    format!("{:>7.2} {:>7.2}", l.p50, l.p95)
}

fn ratio(a: Latency, b: Latency) -> String {
    if b.p50 > 0.0 {
        format!("{:>5.2}", a.p50 / b.p50)
    } else {
        "    -".into()
    }
}

/// The cursor of the 10,000th entry the filter matches, if it matches that many.
async fn deep_cursor(server: &Server, token: &str, filter: &str) -> Option<String> {
    let r = server
        .gql(
            "query($f: String!) { connectionLogs(filter: $f, limit: 1, offset: 9999) { pageInfo { endCursor } } }",
            json!({ "f": filter }),
            Some(token),
        )
        .await;
    expect_data(&r)["connectionLogs"]["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_owned)
}

async fn page_latencies(
    capped: &Server,
    exact: &Server,
    db: &DatabaseConnection,
    token: &str,
    workload: &Workload,
) -> String {
    let gql = |server: &'static str| {
        let server = if server == "capped" { capped } else { exact };
        move || async move {
            let r = server
                .gql(FIRST_PAGE, json!({ "f": workload.filter }), Some(token))
                .await;
            expect_data(&r);
        }
    };
    let (cg, cr) = interleaved(BUDGET, MAX_RUNS, gql("capped"), || async {
        workload.raw(db, None, RawCount::Capped).await;
    })
    .await;
    let total = workload.raw(db, None, RawCount::Capped).await;
    let (eg, er) = interleaved(BUDGET, MAX_RUNS, gql("exact"), || async {
        workload.raw(db, None, RawCount::Exact).await;
    })
    .await;
    let deep = match deep_cursor(capped, token, &workload.filter).await {
        Some(cursor) => {
            let after = decode_cursor(&cursor);
            let (dg, dr) = interleaved(
                BUDGET,
                MAX_RUNS,
                || async {
                    let r = capped
                        .gql(
                            CURSOR_PAGE,
                            json!({ "f": workload.filter, "after": cursor }),
                            Some(token),
                        )
                        .await;
                    expect_data(&r);
                },
                || async {
                    workload.raw(db, Some(after), RawCount::None).await;
                },
            )
            .await;
            format!("{} {} {}", ms(dg), ms(dr), ratio(dg, dr))
        }
        None => format!("{:>37}", "fewer than 10,050 matches"),
    };
    let shown = if total > i64::try_from(workloads::CAP).unwrap_or(i64::MAX) {
        format!("{}+", workloads::CAP)
    } else {
        total.to_string()
    };
    format!(
        "{:<22} {:>6} | {} {} {} | {} {} {} | {}",
        workload.name,
        shown,
        ms(cg),
        ms(cr),
        ratio(cg, cr),
        ms(eg),
        ms(er),
        ratio(eg, er),
        deep
    )
}

async fn run() {
    let rows: usize = std::env::var("DEVPLANE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let database = BenchDatabase::create().await;
    let keys_dir = tempfile::tempdir().expect("dir");
    let (secret, keys_file) = setup::license_keys(keys_dir.path());

    let capped = Server::start(&database.url, &keys_file, workloads::CAP).await;
    let (token, admin, agent_token, ingest_workspace) = prepare(&capped, &secret).await;
    // The floor's pool is configured as the server's: no ping before each statement.
    let mut options = sea_orm::ConnectOptions::new(database.url.clone());
    options
        .sqlx_logging(false)
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    let db = Database::connect(options).await.expect("bench pool");
    let engine = if database.admin.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let seeded = seed::seed(&db, rows, admin).await;
    let exact = Server::start(&database.url, &keys_file, 0).await;
    let connection_id: Uuid = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT connection_id FROM connection_logs WHERE connection_id IS NOT NULL \
             ORDER BY connect_time DESC, id DESC LIMIT 1 OFFSET 5000",
        ))
        .await
        .expect("connection id")
        .and_then(|r| r.try_get("", "connection_id").ok())
        .expect("a connection id");

    // What any request costs before its own work: the HTTP round trip with authentication
    // and an empty GraphQL selection, against a database round trip.
    let (http, round_trip) = interleaved(
        BUDGET,
        MAX_RUNS,
        || async {
            let r = capped.gql("{ __typename }", json!({}), Some(&token)).await;
            expect_data(&r);
        },
        || async {
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT 1",
            ))
            .await
            .expect("SELECT 1");
        },
    )
    .await;
    println!(
        "\nfixed costs, 1 client, ms p50 p95: `{{ __typename }}` over HTTP {}; `SELECT 1` on the pool {}",
        ms(http),
        ms(round_trip)
    );
    println!(
        "\nconnection log on {engine}, {rows} entries; milliseconds p50 p95 of the server over HTTP \
         (GraphQL) and of the same SQL run directly (SQL), interleaved; ratio = GraphQL p50 / SQL p50"
    );
    println!(
        "{:<22} {:>6} | {:^37} | {:^37} | {:^37}",
        "filter",
        "total",
        "first page + capped count",
        "first page + exact count",
        "page 10,000 deep by cursor"
    );
    println!(
        "{:<22} {:>6} | {:>15} {:>15} {:>5} | {:>15} {:>15} {:>5} | {:>15} {:>15} {:>5}",
        "", "", "GraphQL", "SQL", "ratio", "GraphQL", "SQL", "ratio", "GraphQL", "SQL", "ratio"
    );
    for workload in workloads::all(&seeded, rows, connection_id) {
        println!(
            "{}",
            page_latencies(&capped, &exact, &db, &token, &workload).await
        );
    }
    drop(exact);

    // Server CPU per request at 8 clients, and statements per request.
    let capped = Arc::new(capped);
    let token = Arc::new(token);
    for (label, query, variables) in [
        (
            "first page + capped count, organization+type",
            FIRST_PAGE,
            json!({ "f": "organization:org3 type:ssh" }),
        ),
        (
            "{ viewer { id } }",
            "query Viewer { viewer { id } }",
            json!({}),
        ),
    ] {
        let (server, token2) = (capped.clone(), token.clone());
        let statements = capped.statements().await;
        let cpu = capped.cpu_seconds();
        let profile = std::env::var_os("DEVPLANE_BENCH_PERF").map(|dir| {
            let name = if query == FIRST_PAGE {
                "first-page"
            } else {
                "viewer"
            };
            capped.profile(
                &std::path::Path::new(&dir).join(format!("{name}.perf.data")),
                LOAD.as_secs() - 1,
            )
        });
        let done = load(8, LOAD, move || {
            let (server, token, variables) = (server.clone(), token2.clone(), variables.clone());
            async move {
                let r = server.gql(query, variables, Some(&token)).await;
                expect_data(&r);
            }
        })
        .await;
        let cpu = capped.cpu_seconds() - cpu;
        let statements = capped.statements().await - statements;
        if let Some(mut perf) = profile {
            perf.wait().ok();
        }
        println!(
            "8 clients, {label}: {:.0} requests/s, server CPU {:.3} ms per request, {:.2} SQL statements per request",
            done as f64 / LOAD.as_secs_f64(),
            cpu * 1000.0 / done as f64,
            statements / done as f64
        );
    }

    // Peak memory after 64 clients reading pages.
    let (server, token2) = (capped.clone(), token.clone());
    let done = load(64, LOAD, move || {
        let (server, token) = (server.clone(), token2.clone());
        async move {
            let r = server
                .gql(FIRST_PAGE, json!({ "f": "type:ssh" }), Some(&token))
                .await;
            expect_data(&r);
        }
    })
    .await;
    println!(
        "64 clients, first page + capped count of type:ssh: {:.0} requests/s; server peak RSS {:.1} MiB",
        done as f64 / LOAD.as_secs_f64(),
        capped.peak_rss_mib()
    );

    // Ingestion: 8 clients sending batches of 500 events.
    let report = "mutation Report($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }";
    let (server, agent_token) = (capped.clone(), Arc::new(agent_token));
    let batch = 500;
    let cpu = capped.cpu_seconds();
    let profile = std::env::var_os("DEVPLANE_BENCH_PERF").map(|dir| {
        capped.profile(
            &std::path::Path::new(&dir).join("ingestion.perf.data"),
            LOAD.as_secs() - 1,
        )
    });
    let start = std::time::Instant::now();
    let done = load(8, LOAD, move || {
        let (server, agent_token) = (server.clone(), agent_token.clone());
        async move {
            let events: Vec<Value> = (0..batch)
                .map(|_| json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": Utc::now().to_rfc3339(), "ip": "10.0.0.9" }))
                .collect();
            let r: Value = server
                .client()
                .post(&server.graphql)
                .header("Coder-Agent-Token", agent_token.as_str())
                .json(&json!({ "query": report, "variables": { "input": events } }))
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            assert_eq!(r["data"]["reportConnections"]["recorded"], batch, "{r}");
        }
    })
    .await;
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = capped.cpu_seconds() - cpu;
    if let Some(mut perf) = profile {
        perf.wait().ok();
    }
    let stored: i64 = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM connection_logs WHERE workspace_id = $1",
            [ingest_workspace.into()],
        ))
        .await
        .expect("stored")
        .and_then(|r| r.try_get("", "n").ok())
        .unwrap_or(0);
    let sent = done * u64::try_from(batch).unwrap_or(0);
    println!(
        "ingestion, 8 clients, reportConnections batches of {batch}: {:.0} events/s, server CPU {:.1} µs per event; {sent} sent, {stored} stored",
        sent as f64 / elapsed,
        cpu * 1e6 / sent.max(1) as f64
    );

    drop(capped);
    db.close().await.ok();
    database.drop_database().await;
}
