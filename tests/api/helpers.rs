//! `TestApp`: the real server on a random port against its own database, plus a small
//! GraphQL client.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Parser;
use devplane::clock::Clock;
use devplane::{
    app::Application,
    clock::ManualClock,
    config::{Cli, Command, ServerConfig},
    domain::provisioner::daemon::{Wakeup, WorkerProgress},
    scheduler::{
        RunOutcome, Scheduler, SchedulerHandle, lifecycle::LifecycleExecutor,
        prebuilds::PrebuildsReconciler,
    },
};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

/// Set to a PostgreSQL URL (any database; tests create their own) to run on PostgreSQL.
pub const PG_ENV: &str = "DEVPLANE_TEST_DATABASE_URL";

/// A database that exists for one test.
pub enum TestDatabase {
    /// A SQLite file in a temporary folder, removed with it.
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    /// A PostgreSQL database created for the test and dropped after it.
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A fresh, empty database.
    pub async fn create() -> Self {
        match std::env::var(PG_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("devplane_test_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("valid PostgreSQL URL");
                url.set_path(&name);
                TestDatabase::Postgres {
                    url: url.to_string(),
                    admin_url,
                    name,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/devplane.db?mode=rwc", dir.path().display());
                TestDatabase::Sqlite { url, _dir: dir }
            }
        }
    }

    /// The URL the server connects to.
    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabase::Postgres {
            admin_url, name, ..
        } = self
        else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime; a separate thread with its own runtime can
        // block on the cleanup.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            });
        });
        cleanup.join().ok();
    }
}

/// A running server and a client for it.
pub struct TestApp {
    /// Base URL, such as `http://127.0.0.1:41234`.
    pub address: String,
    /// The server's clock; tests move it.
    pub clock: ManualClock,
    /// The server's database, for checks behind the API.
    pub db: DatabaseConnection,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The secret half of the license key the server trusts (key id `test-key`).
    pub license_secret: [u8; 32],
    /// The public half, which replicas trust too.
    license_public: [u8; 32],
    /// The address the server listens on, for raw TCP clients.
    pub socket_address: std::net::SocketAddr,
    /// The server's scheduler; [`TestApp::tick`] ticks it.
    pub scheduler: SchedulerHandle,
    /// Signals of the server's built-in provisioners (their progress, to wait on).
    pub provisioners: Wakeup,
    /// The server's lifecycle executor, for tests that tick it (see [`TestApp::lifecycle_tick`]).
    pub lifecycle: Arc<LifecycleExecutor>,
    /// The server's prebuild reconciler, for tests that run its cycles.
    pub prebuilds: Arc<PrebuildsReconciler>,
    /// How to sign in, when the server was started with `--demo`.
    pub demo_login: Option<devplane::demo::DemoLogin>,
    database_url: String,
    _keys_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Declared last: dropped after the server is told to stop. None for a replica, which
    // uses another server's database.
    _database: Option<TestDatabase>,
}

/// Parses `devplane server` flags (with a listen address on port 0) into its configuration.
pub fn server_config(database_url: &str, extra_args: &[&str]) -> ServerConfig {
    let mut args = vec![
        "devplane",
        "server",
        "--listen-address",
        "127.0.0.1:0",
        "--database-url",
        database_url,
    ];
    args.extend_from_slice(extra_args);
    let Command::Server(config) = Cli::try_parse_from(args).expect("valid flags").command else {
        panic!("not a server command");
    };
    *config
}

/// In Prometheus text `text`, the sum of metric `name`'s samples whose labels include every
/// one of `labels` (`source="job"`); None when no sample matches.
pub fn metric_sum(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let values: Vec<f64> = text
        .lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
                && labels.iter().all(|label| line.contains(label))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// A GraphQL response: status, and the JSON body.
pub struct GqlResponse {
    pub status: StatusCode,
    pub body: Value,
}

impl GqlResponse {
    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The `extensions.code` of the first error.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }

    /// The `extensions.validations` of the first error.
    pub fn validations(&self) -> &Vec<Value> {
        self.body["errors"][0]["extensions"]["validations"]
            .as_array()
            .unwrap_or_else(|| panic!("no validations in {}", self.body))
    }
}

impl TestApp {
    /// Starts a server with default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a server with extra `devplane server` flags.
    pub async fn spawn_with(extra_args: &[&str]) -> Self {
        let database = TestDatabase::create().await;
        let url = database.url().to_owned();
        Self::start(
            url,
            Some(database),
            ManualClock::new(Utc::now()),
            extra_args,
            devplane::domain::license::generate_keypair(),
        )
        .await
    }

    /// Starts a second server (another replica) on this server's database, sharing its clock
    /// and trusting the same license key, as replicas of one deployment do.
    pub async fn replica(&self, extra_args: &[&str]) -> Self {
        Self::start(
            self.database_url.clone(),
            None,
            self.clock.clone(),
            extra_args,
            (self.license_secret, self.license_public),
        )
        .await
    }

    async fn start(
        database_url: String,
        database: Option<TestDatabase>,
        clock: ManualClock,
        extra_args: &[&str],
        (license_secret, public): ([u8; 32], [u8; 32]),
    ) -> Self {
        let keys = devplane::domain::license::LicenseKeys::from_public_keys([("test-key", public)])
            .expect("keys");
        let keys_dir = tempfile::tempdir().expect("temp dir");
        let keys_file = keys_dir.path().join("license-keys.json");
        std::fs::write(&keys_file, keys.to_json()).expect("write keys");
        let keys_file = keys_file.display().to_string();
        let mut args = vec!["--license-keys-file", &keys_file];
        args.extend_from_slice(extra_args);
        let config = server_config(&database_url, &args);
        let app = Application::build(&config, Arc::new(clock.clone()))
            .await
            .expect("server starts");
        let socket_address = app.address();
        let address = format!("http://{socket_address}");
        let db = app.state().db.clone();
        let scheduler = app.scheduler();
        let provisioners = app.state().provisioner.clone();
        let lifecycle = app.lifecycle_executor();
        let prebuilds = app.prebuilds_reconciler();
        let demo_login = app.demo_login().cloned();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            stopped.await.ok();
        }));
        TestApp {
            address,
            socket_address,
            clock,
            db,
            client: reqwest::Client::new(),
            scheduler,
            provisioners,
            license_secret,
            license_public: public,
            lifecycle,
            prebuilds,
            demo_login,
            database_url,
            _keys_dir: keys_dir,
            shutdown: Some(shutdown),
            server: Some(server),
            _database: database,
        }
    }

    /// Moves the clock to `at` and runs the lifecycle executor once through a scheduler, as
    /// the server's own scheduler would (job lock included). Tests start the server with
    /// `--autobuild-poll-interval 0` so that only these ticks run it.
    pub async fn lifecycle_tick(&self, at: DateTime<Utc>) -> RunOutcome {
        self.clock.set(at);
        let mut scheduler = Scheduler::new(self.db.clone());
        scheduler.register(self.lifecycle.clone());
        let mut outcomes = scheduler.tick(at).await;
        assert_eq!(outcomes.len(), 1, "the executor was due");
        outcomes.remove(0).1
    }

    /// Tells the server to stop and waits until `run_until` has returned.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task did not panic"),
            None => Ok(()),
        }
    }

    /// Runs one scheduler tick at the clock's time: every job that is due then runs. (The
    /// server's own timer also ticks, at the same clock, so a job may already have run.)
    pub async fn tick(&self) -> Vec<(&'static str, RunOutcome)> {
        self.scheduler.tick(self.clock.now()).await
    }

    /// Waits until the built-in provisioners' progress satisfies `done` (at most a minute,
    /// then panics).
    pub async fn wait_for_provisioners(&self, done: impl FnMut(&WorkerProgress) -> bool) {
        let mut progress = self.provisioners.progress();
        tokio::time::timeout(std::time::Duration::from_secs(60), progress.wait_for(done))
            .await
            .expect("the built-in provisioners got there within a minute")
            .expect("the server is running");
    }

    /// The database's URL, to reconnect after [`TestApp::stop`] closed the server's pool.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// POSTs an operation, with a token if given.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> GqlResponse {
        let mut request = self.graphql_request(query, variables);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Self::send(request).await
    }

    /// Sends a GraphQL request as a workspace agent, with its `Coder-Agent-Token`.
    pub async fn agent_gql(&self, agent_token: &str, query: &str, variables: Value) -> GqlResponse {
        let request = self
            .graphql_request(query, variables)
            .header("Coder-Agent-Token", agent_token);
        Self::send(request).await
    }

    fn graphql_request(&self, query: &str, variables: Value) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }))
    }

    async fn send(request: reqwest::RequestBuilder) -> GqlResponse {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let body = response.json().await.expect("JSON body");
        GqlResponse { status, body }
    }

    /// Creates the first user (`admin`, owner) and returns its token.
    pub async fn create_first_user(&self) -> String {
        let response = self
            .gql(
                "mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token } }",
                json!({ "input": { "email": "admin@example.com", "username": "admin", "password": "admin-password", "name": "Admin" } }),
                None,
            )
            .await;
        response.data()["createFirstUser"]["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// The default organization's id.
    pub async fn default_org(&self, token: &str) -> String {
        let response = self
            .gql("{ organizations { id isDefault } }", json!({}), Some(token))
            .await;
        response.data()["organizations"]
            .as_array()
            .expect("list")
            .iter()
            .find(|o| o["isDefault"] == true)
            .and_then(|o| o["id"].as_str())
            .expect("default organization")
            .to_owned()
    }

    /// Creates a user with site roles (in the default organization) and logs it in.
    /// Returns (user id, token).
    pub async fn create_user(
        &self,
        admin_token: &str,
        username: &str,
        site_roles: &[&str],
    ) -> (String, String) {
        let email = format!("{username}@example.com");
        let created = self
            .gql(
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": { "email": email, "username": username, "password": "user-password", "siteRoles": site_roles } }),
                Some(admin_token),
            )
            .await;
        let id = created.data()["createUser"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let token = self.login(&email, "user-password").await;
        (id, token)
    }

    /// Logs in and returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .gql(
                "mutation($input: LoginInput!) { login(input: $input) { token } }",
                json!({ "input": { "email": email, "password": password } }),
                None,
            )
            .await;
        response.data()["login"]["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

impl TestApp {
    /// Claims of a valid v3 license around the server's now, with `features`.
    pub fn license_claims(&self, feature_set: &str, features: Value) -> Value {
        use devplane::clock::Clock;
        let now = self.clock.now();
        json!({
            "jti": Uuid::new_v4().to_string(),
            "iss": "test@testing.test",
            "iat": (now - chrono::Duration::minutes(1)).timestamp(),
            "nbf": (now - chrono::Duration::minutes(1)).timestamp(),
            "license_expires": (now + chrono::Duration::days(53)).timestamp(),
            "exp": (now + chrono::Duration::days(60)).timestamp(),
            "account_type": "salesforce",
            "account_id": "acme",
            "version": 3,
            "feature_set": feature_set,
            "features": features,
        })
    }

    /// Uploads a premium license for 100 users.
    pub async fn install_premium_license(&self, token: &str) {
        let jwt = self.sign_license(&self.license_claims("premium", json!({ "user_limit": 100 })));
        self.gql(
            "mutation($input: AddLicenseInput!) { addLicense(input: $input) { id } }",
            json!({ "input": { "license": jwt } }),
            Some(token),
        )
        .await
        .data();
    }

    /// The keys file (`--license-keys-file`) that trusts this server's license key, for
    /// server processes started beside it.
    pub fn license_keys_json(&self) -> String {
        devplane::domain::license::LicenseKeys::from_public_keys([(
            "test-key",
            self.license_public,
        )])
        .expect("keys")
        .to_json()
    }

    /// Signs license claims with the key the server trusts.
    pub fn sign_license(&self, claims: &Value) -> String {
        devplane::domain::license::sign_license_payload(claims, "test-key", &self.license_secret)
    }
}

/// A template with a variable, a local, three parameters (one required), a preset with
/// prebuild schedules and one agent.
pub const MAIN_TF: &str = r#"
terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

variable "default_region" {
  default = "eu"
}

locals {
  cpu_default = 2
}

data "coder_parameter" "region" {
  name         = "region"
  display_name = "Region"
  type         = "string"
  default      = var.default_region
  mutable      = false
  order        = 1
  option {
    name  = "Europe"
    value = "eu"
  }
  option {
    name  = "United States"
    value = "us"
  }
}

data "coder_parameter" "cpu" {
  name    = "cpu"
  type    = "number"
  default = local.cpu_default
  mutable = true
  order   = 2
  validation {
    min = 1
    max = 8
  }
}

data "coder_parameter" "project" {
  name    = "project"
  type    = "string"
  mutable = true
  order   = 3
}

data "coder_workspace_preset" "small" {
  name = "small"
  parameters = {
    region = "us"
    cpu    = "1"
  }
  prebuilds {
    instances = 1
    expiration_policy {
      ttl = 3600
    }
    scheduling {
      timezone = "UTC"
      schedule {
        cron      = "* 9-18 * * 1-5"
        instances = 3
      }
    }
  }
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}
"#;

/// Creates a template from inline files; selects its id, name and active version.
pub const CREATE_TEMPLATE: &str = "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id name activeVersion { id number } } }";

/// Flags for servers whose background work tests drive: no built-in provisioners (tests
/// call [`run_jobs`]), no scheduled lifecycle executor (tests call
/// [`TestApp::lifecycle_tick`]) and no scheduled prebuild reconciler (tests run its cycles).
pub const EXPLICIT_BACKGROUND: &[&str] = &[
    "--provisioner-daemons",
    "0",
    "--autobuild-poll-interval",
    "0",
    "--prebuilds-reconciliation-interval",
    "0",
];

/// Spawns a server without built-in provisioners or scheduled lifecycle executor and
/// creates the owner.
pub async fn setup() -> (TestApp, String, String) {
    setup_with_clock(None).await
}

/// [`setup`] with the clock set to `start` before anything is created, and sessions that
/// last 30 days, so that tests may move the clock on by days.
pub async fn setup_at(start: DateTime<Utc>) -> (TestApp, String, String) {
    setup_with_clock(Some(start)).await
}

async fn setup_with_clock(start: Option<DateTime<Utc>>) -> (TestApp, String, String) {
    let mut args = EXPLICIT_BACKGROUND.to_vec();
    if start.is_some() {
        args.extend(["--session-duration", "30d"]);
    }
    let app = TestApp::spawn_with(&args).await;
    if let Some(start) = start {
        app.clock.set(start);
    }
    let token = app.create_first_user().await;
    let org = app.default_org(&token).await;
    (app, token, org)
}

/// Creates a template from `main_tf` and returns (template id, active version id).
pub async fn create_template(
    app: &TestApp,
    token: &str,
    org: &str,
    name: &str,
    main_tf: &str,
    schedule: Value,
) -> (String, String) {
    let response = app
        .gql(
            CREATE_TEMPLATE,
            json!({ "input": { "organizationId": org, "name": name, "files": [{ "path": "main.tf", "content": main_tf }], "schedule": schedule } }),
            Some(token),
        )
        .await;
    let tmpl = &response.data()["createTemplate"];
    (
        tmpl["id"].as_str().expect("id").to_owned(),
        tmpl["activeVersion"]["id"]
            .as_str()
            .expect("version")
            .to_owned(),
    )
}

/// Runs every queued provisioner job now, as the built-in provisioner would with its
/// default settings (agents of start builds come up ready).
pub async fn run_jobs(app: &TestApp) -> usize {
    devplane::domain::provisioner::run_pending(
        &app.db,
        app.clock.now(),
        "test",
        &devplane::domain::workspace::BuildCompletion::SIMULATED_AGENTS,
    )
    .await
    .expect("jobs run")
}

impl TestApp {
    /// The Prometheus text of `GET /metrics`.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("text")
    }

    /// The `devplane_db_statements_total` counter of successful statements. Background jobs
    /// count too: a test that measures requests keeps them from running meanwhile.
    pub async fn statements(&self) -> u64 {
        let text = self.metrics_text().await;
        metric_sum(
            &text,
            "devplane_db_statements_total",
            &[r#"failed="false""#],
        )
        .expect("statement counter") as u64
    }

    /// Sends a GraphQL request as an external provisioner, with its `Coder-Provisioner-Key`.
    pub async fn as_provisioner(&self, key: &str, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("Coder-Provisioner-Key", key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json")
    }

    /// Creates a provisioner key for `org` (needs a license) and returns the key.
    pub async fn create_provisioner_key(&self, token: &str, org: &str, name: &str) -> String {
        self.gql(
            "mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }",
            json!({ "input": { "organizationId": org, "name": name } }),
            Some(token),
        )
        .await
        .data()["createProvisionerKey"]["key"]
            .as_str()
            .expect("key")
            .to_owned()
    }

    /// On a server from [`setup`]: moves the clock to `start`, installs a premium license,
    /// creates a template (MAIN_TF with `schedule`) and a started workspace `dev` with
    /// `ttl_ms`. Returns (a fresh session token, template id, workspace id).
    pub async fn running_workspace(
        &self,
        schedule: Value,
        ttl_ms: Option<u64>,
        start: DateTime<Utc>,
    ) -> (String, String, String) {
        self.clock.set(start);
        let token = self.login("admin@example.com", "admin-password").await;
        let org = self.default_org(&token).await;
        self.install_premium_license(&token).await;
        let (template, _) = create_template(self, &token, &org, "docker", MAIN_TF, schedule).await;
        let created = self
            .gql(
                "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
                json!({ "input": { "templateId": template, "name": "dev", "ttlMs": ttl_ms, "parameters": [{ "name": "project", "value": "p" }] } }),
                Some(&token),
            )
            .await;
        let id = created.data()["createWorkspace"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        run_jobs(self).await;
        (token, template, id)
    }

    /// A new agent token for the first agent of workspace `id`.
    pub async fn agent_token(&self, token: &str, id: &str) -> String {
        let agent = self
            .gql(
                "query($id: UUID!) { workspace(id: $id) { agents { id } } }",
                json!({ "id": id }),
                Some(token),
            )
            .await
            .data()["workspace"]["agents"][0]["id"]
            .clone();
        self.gql(
            "mutation($id: UUID!) { createWorkspaceAgentToken(agentId: $id) { token } }",
            json!({ "id": agent }),
            Some(token),
        )
        .await
        .data()["createWorkspaceAgentToken"]["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}
