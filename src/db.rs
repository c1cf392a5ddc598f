//! Database connections for both engines: SQLite (the embedded default, in WAL mode) and
//! PostgreSQL (production), plus running the migrations.

use std::{future::Future, path::Path, str::FromStr, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr,
    sqlx::{
        self, Connection,
        postgres::{PgConnectOptions, PgConnection},
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
};

use crate::config::DatabaseConfig;

pub mod row_counts;

/// Where `devplane server` keeps its data when no `--database-url` is given.
pub const DEFAULT_SQLITE_PATH: &str = ".devplane/devplane.db";

/// Longest wait for the start-up connection check (TCP, TLS, authentication): a server that
/// does not answer by then is reported as such instead of waited for.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest a statement waits for a pooled connection, opening one included. Statements take
/// milliseconds, so waiting longer means the database is stuck or the pool too small, and
/// failing the request says so sooner than the request timeout would.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A PostgreSQL advisory lock id for `name` (a job, `lifecycle-executor:<workspace id>`): a
/// stable 64-bit hash of the name (FNV-1a), the same in every replica.
pub fn advisory_lock_id(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Key of the PostgreSQL advisory lock taken while migrating: "devplane" in ASCII, unlikely to
/// be another application's key in a shared database.
const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"devplane");

/// Errors while opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data folder for the default SQLite database could not be created.
    #[error("cannot create the data folder {path}")]
    DataFolder {
        /// The folder.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The PostgreSQL URL does not parse.
    #[error("invalid database URL")]
    Url(#[source] sqlx::Error),
    /// The PostgreSQL server is unreachable or refused the connection.
    #[error("cannot connect to PostgreSQL at {target}")]
    Connect {
        /// Host and port, or socket folder.
        target: String,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The PostgreSQL server did not answer in time.
    #[error("no answer from PostgreSQL at {target} within {}", humantime::format_duration(*after))]
    ConnectTimeout {
        /// Host and port, or socket folder.
        target: String,
        /// How long it was given.
        after: Duration,
    },
    /// The lock that keeps servers from migrating at the same time could not be taken.
    #[error("cannot take the migration lock")]
    MigrationLock(#[source] sqlx::Error),
    /// Connecting or migrating failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The URL to connect to: the configured one, or the default SQLite file (whose folder is
/// created here, because SQLite creates files but not folders).
pub fn resolve_url(config: &DatabaseConfig) -> Result<String, Error> {
    if let Some(url) = &config.database_url {
        return Ok(url.clone());
    }
    let path = Path::new(DEFAULT_SQLITE_PATH);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::DataFolder {
            path: parent.display().to_string(),
            source,
        })?;
    }
    Ok(format!("sqlite://{DEFAULT_SQLITE_PATH}?mode=rwc"))
}

/// How long a pooled connection may sit idle before it is checked on its next use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Opens a pool for `url`, tuned for its engine. On PostgreSQL, fails within a few seconds
/// with the cause when the server cannot be reached.
pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<DatabaseConnection, Error> {
    let is_sqlite = url.starts_with("sqlite:");
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        check_postgres(url).await?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        // sqlx logs every statement at INFO by default.
        .sqlx_logging(false)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_secs(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // The pool pings every connection it hands out by default: a round trip more for
        // each statement. Connections in steady use are known to be alive; only one idle
        // long enough for a server, proxy or firewall to have dropped it is checked.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .max_connections(max_connections.unwrap_or(if is_sqlite { 1 } else { 10 }));
    if is_sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Ok(Database::connect(options).await?)
}

/// A fresh in-memory SQLite database holding the tables `tables` makes from entities, for
/// unit tests of code that needs a few tables. It has one connection: each `sqlite::memory:`
/// connection is a database of its own.
#[cfg(test)]
pub async fn in_memory_with(
    tables: impl FnOnce(&sea_orm::Schema) -> Vec<sea_orm::sea_query::TableCreateStatement>,
) -> DatabaseConnection {
    use sea_orm::ConnectionTrait;
    let db = connect("sqlite::memory:", Some(1))
        .await
        .expect("an in-memory database");
    for table in tables(&sea_orm::Schema::new(DatabaseBackend::Sqlite)) {
        db.execute(&table).await.expect("a table");
    }
    db
}

/// Opens one connection and closes it again. The pool retries a refused connection until its
/// acquire timeout and then reports only "pool timed out"; one plain attempt reports the cause.
async fn check_postgres(url: &str) -> Result<(), Error> {
    let options = PgConnectOptions::from_str(url).map_err(Error::Url)?;
    let target = match options.get_socket() {
        Some(folder) => folder.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Ok(connection)) => {
            // The check passed; how the connection ends does not matter.
            connection.close().await.ok();
            Ok(())
        }
        Ok(Err(source)) => Err(Error::Connect { target, source }),
        Err(_) => Err(Error::ConnectTimeout {
            target,
            after: CONNECT_TIMEOUT,
        }),
    }
}

/// Applies every pending migration, one server at a time.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), Error> {
    with_migration_lock(db, Migrator::up(db, None)).await
}

/// Rolls back the last `steps` applied migrations (all with `None`), one server at a time.
pub async fn roll_back(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), Error> {
    with_migration_lock(db, Migrator::down(db, steps)).await
}

/// Runs `change` holding a PostgreSQL advisory lock. Replicas starting together would
/// otherwise run the same DDL at once and fail on duplicate catalog rows; with the lock the
/// later one waits, then finds nothing pending. The lock lives on a connection detached from
/// the pool, so `change` still has the whole pool, even a pool of one. SQLite takes no lock:
/// its database is one server's file.
async fn with_migration_lock(
    db: &DatabaseConnection,
    change: impl Future<Output = Result<(), DbErr>>,
) -> Result<(), Error> {
    if !is_postgres(db) {
        return Ok(change.await?);
    }
    let mut lock = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(Error::MigrationLock)?
        .detach();
    let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .fetch_one(&mut lock)
        .await
        .map_err(Error::MigrationLock)?;
    if !free {
        tracing::info!("another server is migrating this database; waiting for it");
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut lock)
            .await
            .map_err(Error::MigrationLock)?;
    }
    let changed = change.await;
    // Ending the session releases the lock, whether or not the change succeeded.
    lock.close().await.ok();
    Ok(changed?)
}

/// Whether the connection talks to PostgreSQL (as opposed to SQLite).
fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_lock_ids_are_stable_and_distinct() {
        assert_eq!(
            advisory_lock_id("connection-log-purge"),
            advisory_lock_id("connection-log-purge")
        );
        assert_ne!(advisory_lock_id("a"), advisory_lock_id("b"));
        // FNV-1a of the empty string is its offset basis.
        assert_eq!(advisory_lock_id(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
    }
}
