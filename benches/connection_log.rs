//! The connection log benchmark (issue 5): seeds 1,000,000 entries across 10 organizations,
//! 1,000 users and 5,000 workspaces, then reports p50/p95 over 200 runs of
//! (a) the first page of 50 with `organization:X type:ssh` plus its count through GraphQL over
//! HTTP, (b) the same as raw SQL, (c) the page 10,000 entries deep by offset and by cursor,
//! and (d) ingestion throughput of `reportConnections` in batches of 100.
//!
//! Run: `cargo bench --bench connection_log` (SQLite), and with
//! `DEVPLANE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL.
//! `DEVPLANE_BENCH_ROWS` changes the number of entries (default 1,000,000).

use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use clap::Parser;
use devplane::{
    app::Application,
    clock::SystemClock,
    config::{Cli, Command},
    domain::{license, provisioner, workspace},
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

const ORGS: usize = 10;
const USERS: usize = 1_000;
const WORKSPACES: usize = 5_000;
const RUNS: usize = 200;
const TYPES: [&str; 4] = ["ssh", "vscode", "jetbrains", "workspace_app"];

fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.95))
}

async fn timed<F, Fut>(runs: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f().await;
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    percentiles(samples)
}

fn uuid_literal(db: &DatabaseConnection, id: Uuid) -> String {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        format!("'{id}'")
    } else {
        format!("X'{}'", id.simple())
    }
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {}", &sql[..sql.len().min(200)]));
}

/// Seeds organizations, users, templates, workspaces and `rows` connection logs with bulk
/// INSERTs; returns the organization ids.
async fn seed(db: &DatabaseConnection, rows: usize) -> Vec<Uuid> {
    let now = Utc::now();
    let ts = |t: chrono::DateTime<Utc>| {
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            format!("'{}'", t.to_rfc3339())
        } else {
            format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f+00:00"))
        }
    };
    let orgs: Vec<Uuid> = (0..ORGS).map(|_| Uuid::new_v4()).collect();
    for (i, org) in orgs.iter().enumerate() {
        exec(db, &format!(
            "INSERT INTO organizations (id, name, display_name, description, icon, is_default, created_at, updated_at) \
             VALUES ({}, 'org{i}', 'Org {i}', '', '', false, {n}, {n})", uuid_literal(db, *org), n = ts(now))).await;
    }
    let users: Vec<Uuid> = (0..USERS).map(|_| Uuid::new_v4()).collect();
    for chunk in users.chunks(500).enumerate() {
        let values: Vec<String> = chunk.1.iter().enumerate().map(|(j, u)| {
            let n = chunk.0 * 500 + j;
            format!("({}, 'user{n}@bench.test', 'user{n}', '', '', 'x', 'active', 'password', '[]', false, false, {t}, {t})", uuid_literal(db, *u), t = ts(now))
        }).collect();
        exec(db, &format!("INSERT INTO users (id, email, username, name, avatar_url, hashed_password, status, login_type, rbac_roles, is_system, deleted, created_at, updated_at) VALUES {}", values.join(","))).await;
    }
    let templates: Vec<Uuid> = orgs.iter().map(|_| Uuid::new_v4()).collect();
    for (org, tmpl) in orgs.iter().zip(&templates) {
        exec(db, &format!("INSERT INTO templates (id, organization_id, name, created_by, created_at, updated_at) VALUES ({}, {}, 'bench', {}, {t}, {t})",
            uuid_literal(db, *tmpl), uuid_literal(db, *org), uuid_literal(db, users[0]), t = ts(now))).await;
    }
    let workspaces: Vec<(Uuid, usize, usize)> = (0..WORKSPACES)
        .map(|n| (Uuid::new_v4(), n % ORGS, n % USERS))
        .collect();
    for chunk in workspaces.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(j, (id, org, owner))| {
                format!(
                    "({}, {}, {}, {}, 'ws{}', {t}, {t}, {t})",
                    uuid_literal(db, *id),
                    uuid_literal(db, orgs[*org]),
                    uuid_literal(db, users[*owner]),
                    uuid_literal(db, templates[*org]),
                    id.simple().to_string()[..8].to_owned() + &j.to_string(),
                    t = ts(now)
                )
            })
            .collect();
        exec(db, &format!("INSERT INTO workspaces (id, organization_id, owner_id, template_id, name, last_used_at, created_at, updated_at) VALUES {}", values.join(","))).await;
    }
    let start = Instant::now();
    let batch = 1_000;
    let mut n = 0;
    while n < rows {
        let values: Vec<String> = (n..(n + batch).min(rows)).map(|i| {
            let (ws, org, owner) = workspaces[i % WORKSPACES];
            // Independent of the organization (i % 10), so every organization has every type.
            let kind = TYPES[(i / 10) % TYPES.len()];
            let time = now - Duration::seconds(i64::try_from(i).unwrap_or(0));
            let (conn, user) = if kind == "workspace_app" { ("NULL".to_owned(), uuid_literal(db, users[(i * 7) % USERS])) } else { (uuid_literal(db, Uuid::new_v4()), "NULL".to_owned()) };
            format!("({}, {}, {}, {}, {}, 'ws', 'main', '{kind}', '10.0.0.1', 0, NULL, {user}, NULL, {conn}, NULL, NULL)",
                uuid_literal(db, Uuid::new_v4()), ts(time), uuid_literal(db, orgs[org]), uuid_literal(db, users[owner]), uuid_literal(db, ws))
        }).collect();
        exec(db, &format!("INSERT INTO connection_logs (id, connect_time, organization_id, workspace_owner_id, workspace_id, workspace_name, agent_name, type, ip, code, user_agent, user_id, slug_or_port, connection_id, disconnect_time, disconnect_reason) VALUES {}", values.join(","))).await;
        n += batch;
    }
    exec(db, "ANALYZE").await;
    println!(
        "seeded {rows} connection logs in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    orgs
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let rows: usize = std::env::var("DEVPLANE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("dir");
    let (url, admin_url, name) = match std::env::var("DEVPLANE_BENCH_DATABASE_URL") {
        Ok(admin) => {
            let name = format!("devplane_bench_{}", Uuid::new_v4().simple());
            let db = Database::connect(&admin).await.expect("connect");
            exec(&db, &format!("CREATE DATABASE {name}")).await;
            let mut url = url::Url::parse(&admin).expect("url");
            url.set_path(&name);
            (url.to_string(), Some(admin), name)
        }
        Err(_) => (
            format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
            None,
            String::new(),
        ),
    };
    let (secret, public) = license::generate_keypair();
    let keys = license::LicenseKeys::from_public_keys([("bench", public)]).expect("keys");
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, keys.to_json()).expect("keys");
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
        "--log-level",
        "warn",
    ];
    let Command::Server(config) = Cli::try_parse_from(args).expect("flags").command else {
        unreachable!()
    };
    let app = Application::build(&config, Arc::new(SystemClock))
        .await
        .expect("server");
    let address = format!("http://{}/graphql", app.address());
    let db = app.state().db.clone();
    let engine = if admin_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let gql = |query: &str, variables: Value, token: Option<&str>| {
        let mut request = client
            .post(&address)
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
    let first = gql("mutation { createFirstUser(input: {email: \"a@bench.test\", username: \"admin\", password: \"bench-password\"}) { token } }", json!({}), None).await;
    let token = first["data"]["createFirstUser"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let now = Utc::now();
    let claims = json!({ "iat": (now - Duration::minutes(1)).timestamp(), "nbf": (now - Duration::minutes(1)).timestamp(),
        "license_expires": (now + Duration::days(30)).timestamp(), "exp": (now + Duration::days(31)).timestamp(),
        "version": 3, "feature_set": "premium", "features": { "user_limit": 10000 } });
    let jwt = license::sign_license_payload(&claims, "bench", &secret);
    gql(
        "mutation($l: String!) { addLicense(input: {license: $l}) { id } }",
        json!({ "l": jwt }),
        Some(&token),
    )
    .await;

    // A real workspace with an agent and its token, for ingestion.
    let org_id =
        gql("{ organizations { id } }", json!({}), Some(&token)).await["data"]["organizations"][0]
            ["id"]
            .as_str()
            .expect("org")
            .to_owned();
    let tf = "resource \"coder_agent\" \"main\" {\n  os = \"linux\"\n}\n";
    let tmpl = gql("mutation($o: UUID!, $tf: String!) { createTemplate(input: {organizationId: $o, name: \"ingest\", files: [{path: \"main.tf\", content: $tf}]}) { id } }", json!({ "o": org_id, "tf": tf }), Some(&token)).await;
    let tmpl = tmpl["data"]["createTemplate"]["id"]
        .as_str()
        .expect("template")
        .to_owned();
    let ws = gql(
        "mutation($t: UUID!) { createWorkspace(input: {templateId: $t, name: \"ingest\"}) { id } }",
        json!({ "t": tmpl }),
        Some(&token),
    )
    .await;
    let ws = ws["data"]["createWorkspace"]["id"]
        .as_str()
        .expect("workspace")
        .to_owned();
    provisioner::run_pending(
        &db,
        Utc::now(),
        "bench",
        &workspace::BuildCompletion::SIMULATED_AGENTS,
    )
    .await
    .expect("provision");
    let agent = gql(
        "query($w: UUID!) { workspace(id: $w) { agents { id } } }",
        json!({ "w": ws }),
        Some(&token),
    )
    .await;
    let agent = agent["data"]["workspace"]["agents"][0]["id"]
        .as_str()
        .expect("agent")
        .to_owned();
    let issued = gql(
        "mutation($a: UUID!) { createWorkspaceAgentToken(agentId: $a) { token } }",
        json!({ "a": agent }),
        Some(&token),
    )
    .await;
    let agent_token = issued["data"]["createWorkspaceAgentToken"]["token"]
        .as_str()
        .expect("agent token")
        .to_owned();

    let orgs = seed(&db, rows).await;
    let filter = "organization:org3 type:ssh";
    let page = "query($f: String!, $limit: Int, $offset: Int, $first: Int, $after: String) { connectionLogs(filter: $f, limit: $limit, offset: $offset, first: $first, after: $after) { totalCount nodes { id connectTime type ip workspaceName } pageInfo { endCursor } } }";
    let (a50, a95) = timed(RUNS, || async {
        let r = gql(page, json!({ "f": filter, "limit": 50 }), Some(&token)).await;
        assert!(r["errors"].is_null(), "{r}");
    })
    .await;
    let org = uuid_literal(&db, orgs[3]);
    let raw_page = format!(
        "SELECT id, connect_time, type, ip, workspace_name FROM connection_logs WHERE organization_id = {org} AND type = 'ssh' ORDER BY connect_time DESC, id DESC LIMIT 50"
    );
    let raw_count = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM connection_logs WHERE organization_id = {org} AND type = 'ssh' LIMIT 2001) c"
    );
    let backend = db.get_database_backend();
    let (b50, b95) = timed(RUNS, || async {
        db.query_one_raw(Statement::from_string(backend, raw_count.clone()))
            .await
            .expect("count");
        db.query_all_raw(Statement::from_string(backend, raw_page.clone()))
            .await
            .expect("page");
    })
    .await;
    let (o50, o95) = timed(RUNS, || async {
        gql(
            page,
            json!({ "f": "", "limit": 50, "offset": 10_000 }),
            Some(&token),
        )
        .await;
    })
    .await;
    let deep = gql(
        page,
        json!({ "f": "", "limit": 1, "offset": 9_999 }),
        Some(&token),
    )
    .await;
    let cursor = deep["data"]["connectionLogs"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let (c50, c95) = timed(RUNS, || async {
        gql(
            page,
            json!({ "f": "", "first": 50, "after": cursor }),
            Some(&token),
        )
        .await;
    })
    .await;
    let (f50, f95) = timed(RUNS, || async {
        gql(page, json!({ "f": "", "first": 50 }), Some(&token)).await;
    })
    .await;

    println!(
        "connection log benchmark on {engine}, {rows} entries, {RUNS} runs each (milliseconds)"
    );
    println!("(a) GraphQL first page of 50 + count, {filter:?}: p50 {a50:.2}  p95 {a95:.2}");
    println!(
        "(b) raw SQL, same page + count:                 p50 {b50:.2}  p95 {b95:.2}  (a/b = {:.2})",
        a50 / b50
    );
    println!("(c) page 10,000 deep by offset:                 p50 {o50:.2}  p95 {o95:.2}");
    println!(
        "(c) page 10,000 deep by cursor:                 p50 {c50:.2}  p95 {c95:.2}  (first page by cursor p50 {f50:.2}, ratio {:.2})",
        c50 / f50
    );
    let _ = f95;

    // (d) ingestion: 100 batches of 100 events.
    let report = "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }";
    let batches = 100;
    let start = Instant::now();
    for _ in 0..batches {
        let events: Vec<Value> = (0..100)
            .map(|_| json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": Utc::now().to_rfc3339(), "ip": "10.0.0.9" }))
            .collect();
        let r: Value = client
            .post(&address)
            .header("Coder-Agent-Token", &agent_token)
            .json(&json!({ "query": report, "variables": { "input": events } }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert_eq!(r["data"]["reportConnections"]["recorded"], 100, "{r}");
    }
    let rate = f64::from(batches * 100) / start.elapsed().as_secs_f64();
    println!("(d) ingestion, reportConnections in batches of 100: {rate:.0} events/s");

    if let Some(admin) = admin_url {
        db.clone().close().await.ok();
        if let Ok(admin_db) = Database::connect(&admin).await {
            admin_db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
        }
    }
}
