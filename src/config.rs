//! Command-line arguments and configuration. Every setting is a flag with a `DEVPLANE_*`
//! environment fallback (flag, then environment, then default), documented once here; the
//! README's configuration table mirrors these doc comments.

use std::{net::SocketAddr, num::NonZeroUsize, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::graphql::document_limits::DocumentLimits;

/// The devplane command line.
#[derive(Debug, Parser)]
#[command(
    name = "devplane",
    version,
    about = "A GraphQL control plane for cloud development workspaces"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `devplane`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server (migrates the database first).
    Server(Box<ServerConfig>),
    /// Apply or inspect database migrations.
    Migrate(MigrateArgs),
    /// Print the GraphQL schema (SDL) the server serves, or check schema.graphql against it.
    Schema(SchemaArgs),
    /// Manage the licenses of a running server.
    License(LicenseArgs),
    /// Read the connection log of a running server.
    #[command(name = "connectionlog")]
    ConnectionLog(ConnectionLogArgs),
    /// Read the audit log of a running server.
    #[command(name = "auditlog")]
    AuditLog(AuditLogArgs),
    /// Pause, resume or inspect prebuild reconciliation on a running server.
    #[command(visible_alias = "prebuild")]
    Prebuilds(PrebuildsArgs),
}

/// Arguments of `devplane prebuilds`.
#[derive(Debug, Args)]
pub struct PrebuildsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PrebuildsAction,
    /// The server.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `devplane prebuilds` subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum PrebuildsAction {
    /// Stop creating and deleting prebuilt workspaces until `resume`.
    Pause,
    /// Start reconciling prebuilt workspaces again.
    Resume,
    /// Say whether reconciliation is paused.
    Status,
}

/// Arguments of `devplane connectionlog`.
#[derive(Debug, Args)]
pub struct ConnectionLogArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConnectionLogAction,
    /// The server.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `devplane connectionlog` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConnectionLogAction {
    /// List entries, newest first.
    List {
        /// Search string, e.g. `type:ssh status:ongoing workspace_owner:me`.
        #[arg(long, default_value = "")]
        filter: String,
        /// Entries to show (1-1000).
        #[arg(long, default_value_t = 100)]
        limit: i32,
        /// table or json.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
}

/// Arguments of `devplane auditlog`.
#[derive(Debug, Args)]
pub struct AuditLogArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: AuditLogAction,
    /// The server.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `devplane auditlog` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditLogAction {
    /// List entries, newest first.
    List {
        /// Search string, e.g. `resource_type:workspace action:delete username:me`.
        #[arg(long, default_value = "")]
        filter: String,
        /// Entries to show (1-1000).
        #[arg(long, default_value_t = 100)]
        limit: i32,
        /// table or json.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
}

/// How client commands reach a running server.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The server's URL.
    #[arg(
        long,
        env = "DEVPLANE_URL",
        default_value = "http://127.0.0.1:3000",
        global = true
    )]
    pub url: url::Url,
    /// An API or session token (`devplane` sends it as `Authorization: Bearer`).
    #[arg(long, env = "DEVPLANE_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
}

/// Output format of client commands that list things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns.
    #[default]
    Table,
    /// The GraphQL data as JSON.
    Json,
}

/// Arguments of `devplane license`.
#[derive(Debug, Args)]
pub struct LicenseArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: LicenseAction,
    /// The server.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `devplane license` subcommands.
#[derive(Debug, Subcommand)]
pub enum LicenseAction {
    /// Upload a license: a file holding the JWT, or `-` for standard input.
    Add {
        /// Path of the license file, or `-`.
        file: String,
    },
    /// List the uploaded licenses with their claims.
    List {
        /// table or json.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
}

/// Arguments of `devplane migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to migrate.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// up (default): apply pending migrations; down: roll back; status: list them.
    #[arg(value_enum, default_value_t = MigrateAction::Up)]
    pub action: MigrateAction,
    /// With `down`, how many migrations to roll back (default: all).
    #[arg(long)]
    pub steps: Option<u32>,
}

/// What `devplane migrate` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back applied migrations (all, or `--steps N`).
    Down,
    /// Print each migration with its status.
    Status,
}

/// Arguments of `devplane schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Compare this file with the served schema and fail when they differ, instead of printing.
    #[arg(long)]
    pub check: bool,
    /// The SDL file that `--check` compares.
    #[arg(long, default_value = "schema.graphql")]
    pub file: PathBuf,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `postgres://user@host/db` for PostgreSQL, or `sqlite://path?mode=rwc`.
    /// Default: SQLite at ./.devplane/devplane.db (folder and file are created).
    #[arg(long, env = "DEVPLANE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Most connections in the pool. Default: 10 on PostgreSQL, 1 on SQLite (one writer;
    /// a single connection also makes SQLite transactions never fail with "database is locked").
    #[arg(long, env = "DEVPLANE_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging settings, shared by every subcommand that logs.
#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// Log format: text or json.
    #[arg(long, env = "DEVPLANE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, as tracing's EnvFilter: a level (`info`) or directives (`devplane=debug,info`).
    #[arg(long, env = "DEVPLANE_LOG_LEVEL", default_value = "info", value_parser = parse_log_filter)]
    pub log_level: String,
}

/// Settings of `devplane server`.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// Address the HTTP server listens on (port 0 picks a free port).
    #[arg(
        long,
        env = "DEVPLANE_LISTEN_ADDRESS",
        default_value = "127.0.0.1:3000"
    )]
    pub listen_address: SocketAddr,
    /// The URL users and agents reach this server at. Default: http://<listen address>.
    #[arg(long, env = "DEVPLANE_ACCESS_URL")]
    pub access_url: Option<url::Url>,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Logging.
    #[command(flatten)]
    pub log: LogConfig,
    /// Lifetime of a session token from `login` or `createFirstUser` (e.g. `24h`, `7d`).
    #[arg(long, env = "DEVPLANE_SESSION_DURATION", default_value = "24h", value_parser = humantime::parse_duration)]
    pub session_duration: Duration,
    /// Longest lifetime `createApiToken` accepts (e.g. `30d`, `365d`).
    #[arg(long, env = "DEVPLANE_MAX_TOKEN_LIFETIME", default_value = "365d", value_parser = humantime::parse_duration)]
    pub max_token_lifetime: Duration,
    /// How long this server remembers a token it accepted, to authenticate the same token
    /// again without a statement (at most `1m`; `0` turns this off). A deleted token, a
    /// suspension or a role change made through this server applies at once; one made
    /// through another replica, or in the database directly, applies here within this time.
    #[arg(long, env = "DEVPLANE_CREDENTIAL_CACHE_TTL", default_value = "5s", value_parser = parse_credential_cache_ttl)]
    pub credential_cache_ttl: Duration,
    /// Failed logins allowed per account and per client address in each
    /// `--login-failure-window`; beyond, logins are refused until the window ends (0: no limit).
    #[arg(long, env = "DEVPLANE_LOGIN_MAX_FAILURES", default_value_t = 10)]
    pub login_max_failures: u32,
    /// The window the failed-login limit counts over.
    #[arg(long, env = "DEVPLANE_LOGIN_FAILURE_WINDOW", default_value = "1m", value_parser = humantime::parse_duration)]
    pub login_failure_window: Duration,
    /// Hosts of the deployment's workspace proxies (comma-separated, e.g.
    /// `proxy-eu.example.com,proxy-us.example.com:8443`): the UI may frame workspace apps
    /// from them and open websockets (`wss://`) to them.
    #[arg(long, env = "DEVPLANE_PROXY_HOSTS", value_delimiter = ',', value_parser = crate::http::content_policy::parse_csp_host)]
    pub proxy_hosts: Vec<crate::http::content_policy::CspHost>,
    /// The wildcard host workspace apps are served on (e.g. `*.apps.example.com`): the UI
    /// may frame them and open websockets to them.
    #[arg(long, env = "DEVPLANE_WILDCARD_ACCESS_URL", value_parser = crate::http::content_policy::parse_csp_host)]
    pub wildcard_access_url: Option<crate::http::content_policy::CspHost>,
    /// Reverse proxies whose `X-Forwarded-For` header names the real client (comma-separated
    /// addresses or CIDR ranges, e.g. `10.0.0.0/8`). Requests from anywhere else are
    /// attributed to their own address.
    #[arg(long, env = "DEVPLANE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::http::client_address::parse_trusted_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests that take longer are answered with 408.
    #[arg(long, env = "DEVPLANE_REQUEST_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "DEVPLANE_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest a client may take to send a request's headers; the connection is closed after.
    /// It also closes keep-alive connections left idle that long between requests.
    #[arg(long, env = "DEVPLANE_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub header_read_timeout: Duration,
    /// Most connections held open at once before their first request's headers are complete;
    /// further connections are closed at once. Default 512: well under the common 1024
    /// open-files limit, leaving room for connections that are being served.
    #[arg(long, env = "DEVPLANE_MAX_PENDING_CONNECTIONS", default_value = "512")]
    pub max_pending_connections: NonZeroUsize,
    /// The same cap per client address (per /64 for IPv6), so that one client cannot take
    /// every slot. Well-behaved clients, reverse proxies included, hold a slot only for the
    /// instant it takes to send their headers.
    #[arg(
        long,
        env = "DEVPLANE_MAX_PENDING_CONNECTIONS_PER_CLIENT",
        default_value = "32"
    )]
    pub max_pending_connections_per_client: NonZeroUsize,
    /// On shutdown, how long in-flight requests may still run before their connections are
    /// cut. Default 25s: within Kubernetes' 30s termination grace, with time left to stop.
    #[arg(long, env = "DEVPLANE_SHUTDOWN_GRACE", default_value = "25s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,
    /// Deepest GraphQL selection nesting accepted.
    #[arg(long, env = "DEVPLANE_GRAPHQL_MAX_DEPTH", default_value_t = 15)]
    pub graphql_max_depth: usize,
    /// Highest GraphQL query complexity accepted (each field costs 1, lists multiply). The
    /// default lets a page of the largest size (1000) select 50 fields per item.
    #[arg(
        long,
        env = "DEVPLANE_GRAPHQL_MAX_COMPLEXITY",
        default_value_t = 50_000
    )]
    pub graphql_max_complexity: usize,
    /// Most lexical tokens in a GraphQL document (names, punctuation and values; not
    /// whitespace, commas or comments). Checked before the document is parsed.
    #[arg(long, env = "DEVPLANE_GRAPHQL_MAX_TOKENS", default_value_t = 10_000)]
    pub graphql_max_tokens: usize,
    /// Most fields a GraphQL operation may select, counting each fragment at every place it
    /// is spread.
    #[arg(long, env = "DEVPLANE_GRAPHQL_MAX_FIELDS", default_value_t = 2_000)]
    pub graphql_max_fields: u64,
    /// Most aliased fields in a GraphQL operation (fragments expanded): bounds how often one
    /// request can repeat the same field or mutation.
    #[arg(long, env = "DEVPLANE_GRAPHQL_MAX_ALIASES", default_value_t = 30)]
    pub graphql_max_aliases: u64,
    /// Most directives in a GraphQL operation (fragments expanded).
    #[arg(long, env = "DEVPLANE_GRAPHQL_MAX_DIRECTIVES", default_value_t = 50)]
    pub graphql_max_directives: u64,
    /// Most fragment spreads in a GraphQL operation (fragments expanded).
    #[arg(
        long,
        env = "DEVPLANE_GRAPHQL_MAX_FRAGMENT_SPREADS",
        default_value_t = 200
    )]
    pub graphql_max_fragment_spreads: u64,
    /// Built-in provisioners that run builds inside the server (0: only external ones).
    #[arg(long, env = "DEVPLANE_PROVISIONER_DAEMONS", default_value_t = 1)]
    pub provisioner_daemons: usize,
    /// How long the built-in provisioner takes to "apply" a build.
    #[arg(long, env = "DEVPLANE_PROVISIONER_DELAY", default_value = "1s", value_parser = humantime::parse_duration)]
    pub provisioner_delay: Duration,
    /// Whether the built-in provisioners, which run no real agent, stand in for one: the
    /// agents of the start builds they complete come up `ready` at once. With `false` they
    /// stay `created` until an agent reports its lifecycle. Builds completed by external
    /// provisioners always wait for their agents.
    #[arg(long, env = "DEVPLANE_PROVISIONER_SIMULATE_AGENTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub provisioner_simulate_agents: bool,
    /// A running provisioner job whose provisioner has sent no heartbeat for this long is
    /// failed (its server died or lost the database), so its workspace can be built again.
    /// Built-in provisioners send one every fifth of this (at most every 30s); external ones
    /// when they acquire, heartbeat or complete a job.
    #[arg(long, env = "DEVPLANE_PROVISIONER_JOB_STALE_AFTER", default_value = "5m", value_parser = parse_positive_duration)]
    pub provisioner_job_stale_after: Duration,
    /// Trusted license signing keys: a JSON file mapping key id to the standard-base64 raw
    /// 32-byte Ed25519 public key. Without it no license verifies.
    #[arg(long, env = "DEVPLANE_LICENSE_KEYS_FILE")]
    pub license_keys_file: Option<PathBuf>,
    /// How often entitlements are recomputed (they also are on every license change), by the
    /// scheduler's `entitlements-refresh` job.
    #[arg(long, env = "DEVPLANE_ENTITLEMENTS_REFRESH_INTERVAL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub entitlements_refresh_interval: Duration,
    /// How often the scheduler wakes to run the background jobs that are due; no job runs
    /// more often than this, whatever its own interval.
    #[arg(long, env = "DEVPLANE_SCHEDULER_TICK", default_value = "10s", value_parser = parse_positive_duration)]
    pub scheduler_tick: Duration,
    /// How often the lifecycle executor looks for workspaces to start, stop, mark dormant or
    /// delete; `0` turns it off in this server.
    #[arg(long, env = "DEVPLANE_AUTOBUILD_POLL_INTERVAL", default_value = "1m", value_parser = humantime::parse_duration)]
    pub autobuild_poll_interval: Duration,
    /// How often the prebuild reconciler keeps each preset's prebuilt workspaces at their
    /// desired count (while the deployment is entitled to prebuilds); `0` turns it off in
    /// this server.
    #[arg(long, env = "DEVPLANE_PREBUILDS_RECONCILIATION_INTERVAL", default_value = "1m", value_parser = humantime::parse_duration)]
    pub prebuilds_reconciliation_interval: Duration,
    /// After failed prebuild builds, a preset waits this long per recent failure (counted
    /// from its latest failed build) before creating more.
    #[arg(long, env = "DEVPLANE_PREBUILDS_BACKOFF_INTERVAL", default_value = "15s", value_parser = humantime::parse_duration)]
    pub prebuilds_backoff_interval: Duration,
    /// Failed prebuild builds older than this no longer hold a preset back.
    #[arg(long, env = "DEVPLANE_PREBUILDS_BACKOFF_LOOKBACK", default_value = "1h", value_parser = humantime::parse_duration)]
    pub prebuilds_backoff_lookback: Duration,
    /// A preset whose last this-many prebuild builds all failed is hard-limited: no more
    /// prebuilds are created for it (deletes go on); `0` disables the limit.
    #[arg(long, env = "DEVPLANE_PREBUILDS_FAILURE_HARD_LIMIT", default_value_t = 3, value_parser = clap::value_parser!(i32).range(0..=1000))]
    pub prebuilds_failure_hard_limit: i32,
    /// `connectionLogs.totalCount` counts at most this many rows plus one ("2000+"); 0
    /// counts exactly.
    #[arg(
        long,
        env = "DEVPLANE_CONNECTION_LOG_COUNT_CAP",
        default_value_t = 2000
    )]
    pub connection_log_count_cap: u64,
    /// Delete connection logs older than this (`90d`, `2w`, `72h`); `0` keeps them forever.
    #[arg(long, env = "DEVPLANE_CONNECTION_LOGS_RETENTION", default_value = "0", value_parser = parse_retention)]
    pub connection_logs_retention: Retention,
    /// `auditLogs.totalCount` counts at most this many rows plus one ("2000+"); 0 counts
    /// exactly.
    #[arg(long, env = "DEVPLANE_AUDIT_LOG_COUNT_CAP", default_value_t = 2000)]
    pub audit_log_count_cap: u64,
    /// Delete audit log entries older than this (`365d`, `2w`, `72h`); `0` keeps them
    /// forever. Connection events the audit log held before the connection log existed go
    /// after 90 days whatever this says.
    #[arg(long, env = "DEVPLANE_AUDIT_LOGS_RETENTION", default_value = "0", value_parser = parse_retention)]
    pub audit_logs_retention: Retention,
    /// Fill an empty database with a demo: an admin (its password is printed once),
    /// developers, a template, workspaces, connection history and a trial Premium license
    /// signed by a key this process alone trusts. Refused when the database has users.
    #[arg(long, env = "DEVPLANE_DEMO", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub demo: bool,
    /// Serve the GraphiQL explorer at GET /graphql to browsers.
    #[arg(long, env = "DEVPLANE_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,
    /// Where GraphiQL loads its scripts and styles from: a base URL laid out as unpkg.com
    /// (`<url>/graphiql@4/graphiql.min.js`, `<url>/react@18/umd/react.development.js`, …),
    /// for installs that cannot reach the public CDN. GraphiQL's page allows that origin.
    #[arg(
        long,
        env = "DEVPLANE_GRAPHIQL_ASSETS_URL",
        default_value = "https://unpkg.com"
    )]
    pub graphiql_assets_url: url::Url,
}

impl ServerConfig {
    /// The limits every GraphQL document is checked against before it is parsed.
    pub fn document_limits(&self) -> DocumentLimits {
        DocumentLimits {
            max_tokens: self.graphql_max_tokens,
            max_fields: self.graphql_max_fields,
            max_aliases: self.graphql_max_aliases,
            max_directives: self.graphql_max_directives,
            max_fragment_spreads: self.graphql_max_fragment_spreads,
        }
    }

    /// The access URL, defaulting to the listen address.
    pub fn access_url(&self, bound: SocketAddr) -> url::Url {
        self.access_url.clone().unwrap_or_else(|| {
            url::Url::parse(&format!("http://{bound}")).unwrap_or_else(|_| {
                // A socket address always forms a valid URL; keep a safe fallback anyway.
                url::Url::parse("http://127.0.0.1/").expect("static URL parses")
            })
        })
    }
}

/// How long to keep something; `None` keeps it forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<Duration>);

fn parse_retention(value: &str) -> Result<Retention, String> {
    if value.trim() == "0" {
        return Ok(Retention(None));
    }
    let duration = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    Ok(Retention((!duration.is_zero()).then_some(duration)))
}

/// A duration above zero (a zero timeout would refuse everything).
fn parse_positive_duration(value: &str) -> Result<Duration, String> {
    match humantime::parse_duration(value) {
        Ok(duration) if duration.is_zero() => Err("must be more than 0".to_owned()),
        Ok(duration) => Ok(duration),
        Err(err) => Err(err.to_string()),
    }
}

/// The longest a server may trust a token without reading it again.
const MAX_CREDENTIAL_CACHE_TTL: Duration = Duration::from_secs(60);

fn parse_credential_cache_ttl(value: &str) -> Result<Duration, String> {
    match humantime::parse_duration(value) {
        Ok(duration) if duration > MAX_CREDENTIAL_CACHE_TTL => Err("must be at most 1m".to_owned()),
        Ok(duration) => Ok(duration),
        Err(err) => Err(err.to_string()),
    }
}

/// Accepts only filters tracing understands, so a typo fails at start rather than silently.
fn parse_log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_credential_cache_lives_at_most_a_minute() {
        assert_eq!(parse_credential_cache_ttl("0"), Ok(Duration::ZERO));
        assert_eq!(
            parse_credential_cache_ttl("1m"),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            parse_credential_cache_ttl("61s"),
            Err("must be at most 1m".to_owned())
        );
        assert!(parse_credential_cache_ttl("soon").is_err());
    }

    #[test]
    fn retention_accepts_days_weeks_hours_and_zero() {
        assert_eq!(parse_retention("0"), Ok(Retention(None)));
        assert_eq!(
            parse_retention("90d"),
            Ok(Retention(Some(Duration::from_secs(90 * 86_400))))
        );
        assert_eq!(
            parse_retention("2w"),
            Ok(Retention(Some(Duration::from_secs(14 * 86_400))))
        );
        assert_eq!(
            parse_retention("72h"),
            Ok(Retention(Some(Duration::from_secs(72 * 3600))))
        );
        assert!(parse_retention("soon").is_err());
    }

    #[test]
    fn server_defaults() {
        let cli = Cli::try_parse_from(["devplane", "server"]).expect("parses");
        let Command::Server(config) = cli.command else {
            panic!("expected server");
        };
        assert_eq!(config.listen_address.to_string(), "127.0.0.1:3000");
        assert_eq!(config.session_duration, Duration::from_secs(24 * 3600));
        assert_eq!(config.credential_cache_ttl, Duration::from_secs(5));
        assert_eq!(config.log.log_format, LogFormat::Text);
        assert!(config.graphiql);
        assert_eq!(config.graphql_max_tokens, 10_000);
        assert_eq!(config.graphql_max_aliases, 30);
        assert_eq!(config.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.shutdown_grace, Duration::from_secs(25));
        assert_eq!(config.max_pending_connections.get(), 512);
        assert_eq!(config.max_pending_connections_per_client.get(), 32);
        assert_eq!(config.provisioner_job_stale_after, Duration::from_secs(300));
        assert_eq!(config.autobuild_poll_interval, Duration::from_secs(60));
        assert_eq!(config.audit_log_count_cap, 2000);
        assert_eq!(config.audit_logs_retention, Retention(None));
    }

    #[test]
    fn autobuild_poll_interval_zero_turns_the_executor_off() {
        let cli = Cli::try_parse_from(["devplane", "server", "--autobuild-poll-interval", "0"])
            .expect("parses");
        let Command::Server(config) = cli.command else {
            panic!("expected server");
        };
        assert!(config.autobuild_poll_interval.is_zero());
    }

    #[test]
    fn timeouts_and_caps_refuse_zero() {
        for flag in [
            "--header-read-timeout=0s",
            "--max-pending-connections=0",
            "--max-pending-connections-per-client=0",
            "--provisioner-job-stale-after=0s",
        ] {
            assert!(
                Cli::try_parse_from(["devplane", "server", flag]).is_err(),
                "{flag}"
            );
        }
    }
}
