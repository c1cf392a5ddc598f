//! Database connections for both engines: SQLite (the embedded default, in WAL mode) and
//! PostgreSQL (production), plus running the migrations.

use std::{path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::config::DatabaseConfig;

/// Where `devplane server` keeps its data when no `--database-url` is given.
pub const DEFAULT_SQLITE_PATH: &str = ".devplane/devplane.db";

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

/// Opens a pool for `url`, tuned for its engine.
pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<DatabaseConnection, Error> {
    let is_sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        // sqlx logs every statement at INFO by default.
        .sqlx_logging(false)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_secs(1))
        .acquire_timeout(Duration::from_secs(30))
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

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), Error> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Whether the connection talks to PostgreSQL (as opposed to SQLite).
pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}
