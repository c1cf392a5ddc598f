//! Starting up: replicas migrating one PostgreSQL database together, and an unreachable
//! database reported quickly, once, with its cause.

use std::{
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use devplane::{app::Application, clock::ManualClock};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{PG_ENV, TestDatabase, server_config};

fn on_postgres() -> bool {
    std::env::var(PG_ENV).is_ok_and(|url| !url.is_empty())
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get::<i64>("", "n").expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_on_one_postgres_database_migrate_it_once() {
    if !on_postgres() {
        eprintln!("skipped: only PostgreSQL databases are shared by replicas (set {PG_ENV})");
        return;
    }
    for round in 0..4 {
        let database = TestDatabase::create().await;
        // Every other round with a pool of one: the lock must not need a pooled connection.
        let pool: &[&str] = if round % 2 == 0 {
            &[]
        } else {
            &["--database-max-connections", "1"]
        };
        let config = server_config(database.url(), pool);
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let (first, second) = tokio::join!(
            Application::build(&config, clock.clone()),
            Application::build(&config, clock.clone()),
        );
        let first = first.unwrap_or_else(|err| panic!("round {round}, first server: {err:?}"));
        let second = second.unwrap_or_else(|err| panic!("round {round}, second server: {err:?}"));

        let db = &first.state().db;
        assert_eq!(
            count(db, "SELECT COUNT(*) AS n FROM seaql_migrations").await,
            i64::try_from(Migrator::migrations().len()).expect("few migrations"),
            "round {round}"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) AS n FROM users WHERE is_system").await,
            1,
            "round {round}: the data migrations ran once"
        );
        for app in [first, second] {
            app.state().db.clone().close().await.ok();
        }
    }
}

#[tokio::test]
async fn an_unreachable_database_fails_fast_and_names_its_cause_once() {
    let commands: [&[&str]; 2] = [&["server", "--listen-address", "127.0.0.1:0"], &["migrate"]];
    for command in commands {
        let started = Instant::now();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
            .args(command)
            .args(["--database-url", "postgres://postgres@127.0.0.1:1/x"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("devplane runs");
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("{command:?} still running after 30s"))
            .expect("output");
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{command:?} succeeded: {stderr}");
        assert!(
            took < Duration::from_secs(10),
            "{command:?} took {took:?}: {stderr}"
        );
        assert_eq!(
            stderr.matches("Connection refused").count(),
            1,
            "{command:?}: {stderr}"
        );
        assert_eq!(
            stderr.matches("127.0.0.1:1").count(),
            1,
            "{command:?}: {stderr}"
        );
        assert!(!stderr.contains("timed out"), "{command:?}: {stderr}");
    }
}
