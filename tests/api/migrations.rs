//! Migrations run down and up on both engines; the system user is protected by triggers.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::helpers::{TestApp, TestDatabase};

const PREBUILDS_USER: &str = "c42fdf75-3097-471c-8c33-fb52454d81c0";

async fn count_system_users(db: &impl ConnectionTrait) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users WHERE is_system",
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get::<i64>("", "n").expect("count")
}

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let database = TestDatabase::create().await;
    let db = Database::connect(database.url()).await.expect("connect");
    Migrator::up(&db, None).await.expect("up");
    assert_eq!(count_system_users(&db).await, 1);
    Migrator::down(&db, None).await.expect("down");
    let gone = db.execute_unprepared("SELECT 1 FROM users").await;
    assert!(gone.is_err(), "users table should be gone");
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(count_system_users(&db).await, 1);
    db.close().await.ok();
}

#[tokio::test]
async fn the_cli_migrates_and_reports_status() {
    let database = TestDatabase::create().await;
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
            .args(args)
            .args(["--database-url", database.url()])
            .output()
            .expect("devplane runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(run(&["migrate", "status"]).contains("m20261129_000001_identity\tPending"));
    assert!(run(&["migrate", "up"]).contains("applied"));
    assert!(run(&["migrate", "status"]).contains("m20261129_000001_identity\tApplied"));
    assert!(run(&["migrate", "down"]).contains("rolled back"));
    assert!(run(&["migrate", "status"]).contains("Pending"));
}

#[tokio::test]
async fn the_database_refuses_to_change_the_system_user() {
    let app = TestApp::spawn().await;
    let backend = app.db.get_database_backend();
    let id_literal = match backend {
        DbBackend::Postgres => format!("'{PREBUILDS_USER}'"),
        // sqlx stores UUIDs as 16-byte blobs in SQLite.
        _ => format!("X'{}'", PREBUILDS_USER.replace('-', "")),
    };
    for statement in [
        format!("UPDATE users SET name = 'hacked' WHERE id = {id_literal}"),
        format!("DELETE FROM users WHERE id = {id_literal}"),
    ] {
        let err = app
            .db
            .execute_unprepared(&statement)
            .await
            .expect_err(&statement);
        assert!(
            err.to_string()
                .contains("Cannot modify or delete system users"),
            "{statement}: {err}"
        );
    }
    assert_eq!(count_system_users(&app.db).await, 1);
    // Human users can still change.
    app.create_first_user().await;
    app.db
        .execute_unprepared("UPDATE users SET name = 'Renamed' WHERE NOT is_system")
        .await
        .expect("update humans");
}
