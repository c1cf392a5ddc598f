//! Building and running the server: connect and migrate the database, build the schema and
//! router, bind the listener (port 0 works, for tests), and serve until told to stop.

use std::{future::Future, net::SocketAddr, sync::Arc};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    clock::Clock,
    config::ServerConfig,
    db, demo,
    domain::{
        identity::{CredentialCache, login_throttle::LoginThrottle},
        license::{
            service::{EntitlementsService, LicenseUsageCheck},
            verify::LicenseKeys,
        },
        prebuilds::{metrics::PrebuildMetrics, reconciler::ReconcilerSettings},
        provisioner::daemon::{self, DaemonSettings, Wakeup},
        template::FileCache,
        workspace::BuildCompletion,
    },
    graphql::{self, Limits},
    http::{self, HttpLimits, HttpState, metrics::Metrics, serve::ServeSettings},
    scheduler::{
        Scheduler, SchedulerHandle,
        entitlements::EntitlementsRefreshJob,
        lifecycle::LifecycleExecutor,
        metrics::JobMetrics,
        prebuilds::PrebuildsReconciler,
        purge::{self, PurgeJob},
        stale_jobs::{self, StaleJobsJob},
    },
    state::{AppState, AuthSettings},
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] db::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The license keys file is unreadable.
    #[error("license keys: {0}")]
    LicenseKeys(#[from] crate::domain::license::verify::KeysError),
    /// Metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// `--demo` could not prepare its demo.
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
}

/// A server that is bound and ready to serve.
pub struct Application {
    scheduler: SchedulerHandle,
    lifecycle: Arc<LifecycleExecutor>,
    prebuilds: Arc<PrebuildsReconciler>,
    provisioners: DaemonSettings,
    /// Where the built-in provisioners add the time their jobs take.
    provisioner_work: crate::telemetry::WorkSeconds,
    /// How often the scheduler wakes.
    scheduler_tick: std::time::Duration,
    /// What the built-in provisioners' successful builds do (whether they simulate agents).
    build_completion: BuildCompletion,
    listener: TcpListener,
    router: axum::Router,
    serve: ServeSettings,
    address: SocketAddr,
    state: AppState,
    demo_login: Option<demo::DemoLogin>,
}

impl Application {
    /// Opens and migrates the database, builds the router and binds the listener.
    pub async fn build(config: &ServerConfig, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let url = db::resolve_url(&config.database)?;
        let mut connection = db::connect(&url, config.database.database_max_connections).await?;
        // Before any clone: clones share the callback set on the original.
        let metrics = Metrics::new()?;
        metrics.observe_statements(&mut connection);
        db::migrate(&connection).await?;
        let listener = TcpListener::bind(config.listen_address)
            .await
            .map_err(|source| StartError::Bind {
                address: config.listen_address,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartError::Bind {
            address: config.listen_address,
            source,
        })?;
        let mut keys = match &config.license_keys_file {
            Some(path) => LicenseKeys::from_file(path)?,
            None => LicenseKeys::empty(),
        };
        // The demo's key is made, trusted and used in this process only; it is dropped once
        // the demo license is installed.
        let demo_key = if config.demo {
            demo::check_empty(&connection).await?;
            let key = demo::DemoKey::generate();
            keys = keys.with_public_key(demo::DEMO_KEY_ID, key.public)?;
            Some(key)
        } else {
            None
        };
        let entitlements = EntitlementsService::start(connection.clone(), clock.clone(), keys)
            .await
            .map_err(db::Error::from)?;
        let state = AppState {
            access_url: config.access_url(address),
            files: FileCache::new(),
            usage: Arc::new(LicenseUsageCheck(entitlements.clone())),
            entitlements,
            connection_log_count_cap: config.connection_log_count_cap,
            audit_log_count_cap: config.audit_log_count_cap,
            organization_names: Default::default(),
            organization_rows: Default::default(),
            credentials: CredentialCache::new(
                chrono::Duration::from_std(config.credential_cache_ttl)
                    .unwrap_or(chrono::Duration::zero()),
            ),
            provisioner: Wakeup::default(),
            db: connection,
            clock,
            auth: AuthSettings {
                session_duration: config.session_duration,
                max_token_lifetime: config.max_token_lifetime,
                login_throttle: LoginThrottle::new(
                    config.login_max_failures,
                    config.login_failure_window,
                ),
            },
        };
        let demo_login = match demo_key {
            Some(key) => Some(demo::seed(&state, &key).await?),
            None => None,
        };
        let schema = graphql::build_schema(
            state.clone(),
            Limits {
                max_depth: config.graphql_max_depth,
                max_complexity: config.graphql_max_complexity,
            },
        );

        let lifecycle = Arc::new(LifecycleExecutor::new(
            chrono::Duration::from_std(config.autobuild_poll_interval)
                .unwrap_or(chrono::Duration::MAX),
            state.usage.clone(),
            state.provisioner.clone(),
        ));
        let provisioner_work = metrics.work();
        let scheduler = Scheduler::new(state.db.clone())
            .with_metrics(JobMetrics::register(metrics.registry(), metrics.work())?);
        let prebuilds = Arc::new(PrebuildsReconciler {
            interval: to_chrono(config.prebuilds_reconciliation_interval),
            settings: ReconcilerSettings {
                backoff_interval: to_chrono(config.prebuilds_backoff_interval),
                backoff_lookback: to_chrono(config.prebuilds_backoff_lookback),
                failure_hard_limit: config.prebuilds_failure_hard_limit,
            },
            usage: state.usage.clone(),
            entitlements: state.entitlements.clone(),
            provisioner: state.provisioner.clone(),
            metrics: Some(PrebuildMetrics::register(metrics.registry())?),
            running: tokio::sync::Mutex::default(),
        });
        let scheduler = register_jobs(
            scheduler,
            config,
            &state,
            &lifecycle,
            &prebuilds,
            metrics.registry(),
        )?;
        let http_state = HttpState {
            app: state.clone(),
            schema,
            metrics,
            graphiql: config
                .graphiql
                .then(|| http::GraphiqlPage::new(&config.graphiql_assets_url)),
            document_limits: config.document_limits(),
            documents: Default::default(),
            trusted_proxies: config.trusted_proxies.clone(),
            app_hosts: config
                .proxy_hosts
                .iter()
                .chain(&config.wildcard_access_url)
                .cloned()
                .collect(),
        };
        let router = http::build_router(
            http_state,
            HttpLimits {
                request_timeout: config.request_timeout,
                max_body_bytes: config.max_body_bytes,
            },
        );
        Ok(Self {
            scheduler: scheduler.into_handle(),
            lifecycle,
            prebuilds,
            provisioners: DaemonSettings {
                workers: config.provisioner_daemons,
                delay: config.provisioner_delay,
                heartbeat: daemon::heartbeat_interval(config.provisioner_job_stale_after),
            },
            provisioner_work,
            scheduler_tick: config.scheduler_tick,
            build_completion: BuildCompletion {
                simulate_agents: config.provisioner_simulate_agents,
            },
            listener,
            router,
            serve: ServeSettings {
                header_read_timeout: config.header_read_timeout,
                max_pending_connections: config.max_pending_connections,
                max_pending_connections_per_client: config.max_pending_connections_per_client,
                shutdown_grace: config.shutdown_grace,
            },
            address,
            state,
            demo_login,
        })
    }

    /// How to sign in to the demo, when the server was started with `--demo`.
    pub fn demo_login(&self) -> Option<&demo::DemoLogin> {
        self.demo_login.as_ref()
    }

    /// The address actually bound (with the real port when 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The shared state, for tests and background jobs.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The scheduler with every background job registered. `run_until` ticks it every
    /// 10 seconds; tests tick it themselves with the time of their clock.
    pub fn scheduler(&self) -> SchedulerHandle {
        self.scheduler.clone()
    }

    /// The lifecycle executor the scheduler runs, for tests that drive it at chosen times
    /// (with `--autobuild-poll-interval 0` the scheduler leaves it to them).
    pub fn lifecycle_executor(&self) -> Arc<LifecycleExecutor> {
        self.lifecycle.clone()
    }

    /// The prebuild reconciler the scheduler runs, for tests that drive it at chosen times
    /// (with `--prebuilds-reconciliation-interval 0` the scheduler leaves it to them).
    pub fn prebuilds_reconciler(&self) -> Arc<PrebuildsReconciler> {
        self.prebuilds.clone()
    }

    /// Serves until SIGTERM or ctrl-c, then finishes in-flight requests (within the grace
    /// period).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests (within the grace
    /// period) and stops the background work.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(
            address = %self.address,
            access_url = %self.state.access_url,
            "devplane listening"
        );
        let stop = CancellationToken::new();
        // The one background worker outside the scheduler; daemon.rs says why.
        let mut workers = daemon::spawn(
            self.state.db.clone(),
            self.state.clock.clone(),
            self.provisioners,
            self.provisioner_work,
            self.state.provisioner.clone(),
            Arc::new(self.build_completion),
            stop.clone(),
        );
        let scheduler =
            self.scheduler
                .spawn(self.state.clock.clone(), self.scheduler_tick, stop.clone());
        http::serve::serve(self.listener, self.router, self.serve, shutdown).await;
        // Let the background work finish what it is doing, then close the pool.
        stop.cancel();
        scheduler.await.ok();
        while workers.join_next().await.is_some() {}
        self.state.db.clone().close().await.ok();
        tracing::info!("devplane stopped");
        Ok(())
    }
}

/// Registers every scheduler job; their metrics go to `registry`.
fn register_jobs(
    mut scheduler: Scheduler,
    config: &ServerConfig,
    state: &AppState,
    lifecycle: &Arc<LifecycleExecutor>,
    prebuilds: &Arc<PrebuildsReconciler>,
    registry: &prometheus::Registry,
) -> Result<Scheduler, StartError> {
    scheduler.register(Arc::new(PurgeJob {
        connection_log_retention: config
            .connection_logs_retention
            .0
            .and_then(|d| chrono::Duration::from_std(d).ok()),
        audit_log_retention: config
            .audit_logs_retention
            .0
            .and_then(|d| chrono::Duration::from_std(d).ok()),
        purged: purge::purged_counter(registry)?,
    }));
    scheduler.register(Arc::new(EntitlementsRefreshJob {
        service: state.entitlements.clone(),
        interval: chrono::Duration::from_std(config.entitlements_refresh_interval)
            .unwrap_or(chrono::Duration::MAX),
    }));
    // 0 turns the executor off (tests drive it themselves).
    if !config.autobuild_poll_interval.is_zero() {
        scheduler.register(lifecycle.clone());
    }
    if !config.prebuilds_reconciliation_interval.is_zero() {
        scheduler.register(prebuilds.clone());
    }
    scheduler.register(Arc::new(StaleJobsJob {
        stale_after: config.provisioner_job_stale_after,
        ended: stale_jobs::stale_counter(registry)?,
    }));
    Ok(scheduler)
}

/// A configured duration as the scheduler's; one too long to represent never comes.
fn to_chrono(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
