//! Demo mode (`devplane server --demo`): a fresh deployment filled with a living example, so
//! a newcomer sees every page with something on it. On an empty database it creates an
//! admin (whose password is printed once), developers, a template with parameters, an agent,
//! an AI task and a preset with an autoscaling prebuild schedule, a few workspaces, and a few
//! hundred connection events spread over the past two weeks. It installs a trial Premium
//! license signed by a throwaway Ed25519 key that only this process trusts: the private key
//! lives in memory for the seconds the seeding takes and is never stored, so the license
//! stops verifying once the server restarts without `--demo`'s key.
//!
//! Everything goes through the domain functions the API uses, so the demo's rows are exactly
//! what users would have made, audit log included.

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    authz::RequestOrigin,
    domain::{
        connection_log::{
            ConnectionType,
            ingest::{self, ConnectionAction, ConnectionEvent, EventTarget},
        },
        identity, license,
        parameters::BuildParameter,
        template::{self, ScheduleSettings, TemplateSource, import::SourceFile},
        workspace::{self, PrebuildClaims},
    },
    entity::workspace as workspace_entity,
    state::AppState,
};

/// The key id the demo license is signed with.
pub const DEMO_KEY_ID: &str = "devplane-demo";

/// The demo admin's email.
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.devplane.dev";

/// What went wrong preparing the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already has users: the demo only fills an empty one.
    #[error(
        "--demo needs an empty database, and this one already has users. Start without --demo, or point --database-url at a new database."
    )]
    NotEmpty,
    /// A step of the seeding failed.
    #[error("preparing the demo failed while {step}: {message}")]
    Step {
        /// What was being created.
        step: &'static str,
        /// The error.
        message: String,
    },
}

fn step<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> DemoError {
    move |err| DemoError::Step {
        step,
        message: err.to_string(),
    }
}

/// The throwaway signing key of one demo process.
pub struct DemoKey {
    secret: [u8; 32],
    /// The public half, which the process trusts.
    pub public: [u8; 32],
}

impl DemoKey {
    /// A new random key.
    pub fn generate() -> Self {
        let (secret, public) = license::verify::generate_keypair();
        Self { secret, public }
    }
}

/// How to sign in to the demo.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// The admin's email.
    pub email: String,
    /// The admin's generated password.
    pub password: String,
}

/// Refuses a database that already has users.
pub async fn check_empty(db: &DatabaseConnection) -> Result<(), DemoError> {
    if identity::has_first_user(db)
        .await
        .map_err(step("checking the database"))?
    {
        return Err(DemoError::NotEmpty);
    }
    Ok(())
}

/// The demo template: parameters, an agent, an AI task and a preset whose prebuilds scale
/// up during working hours.
const DEMO_TEMPLATE: &str = r#"terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
  }
}

data "coder_parameter" "region" {
  name         = "region"
  display_name = "Region"
  description  = "Where the workspace runs."
  type         = "string"
  default      = "eu"
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
  name         = "cpu"
  display_name = "CPU cores"
  type         = "number"
  default      = 2
  mutable      = true
  order        = 2
  validation {
    min = 1
    max = 8
  }
}

data "coder_parameter" "repo" {
  name         = "repo"
  display_name = "Repository"
  description  = "The Git repository to clone."
  type         = "string"
  default      = "https://github.com/example/app"
  mutable      = true
  order        = 3
}

data "coder_workspace_preset" "team" {
  name = "team"
  parameters = {
    region = "eu"
    cpu    = "4"
  }
  prebuilds {
    instances = 1
    expiration_policy {
      ttl = 86400
    }
    scheduling {
      timezone = "UTC"
      schedule {
        cron      = "* 8-18 * * 1-5"
        instances = 2
      }
    }
  }
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}

resource "coder_ai_task" "task" {
  count = 1
}
"#;

/// The developers the demo creates, besides the admin: (username, display name).
const DEVELOPERS: [(&str, &str); 2] = [("alice", "Alice Martin"), ("bob", "Bob Chen")];

/// Fills the empty database of `state` and returns how to sign in. `key` must be trusted by
/// `state`'s entitlements (the server adds it to its keys before calling this).
pub async fn seed(state: &AppState, key: &DemoKey) -> Result<DemoLogin, DemoError> {
    let db = &state.db;
    let now = state.clock.now();
    let password = crate::domain::secrets::random_token(20);
    let (admin, _) = identity::create_first_user(
        db,
        now,
        identity::FirstUser {
            email: DEMO_ADMIN_EMAIL.to_owned(),
            username: "admin".to_owned(),
            password: password.clone(),
            name: "Demo Admin".to_owned(),
        },
        RequestOrigin::default(),
        state.auth.session_duration,
    )
    .await
    .map_err(step("creating the admin"))?;
    let admin = identity::subject_for(db, &admin)
        .await
        .map_err(step("reading the admin's roles"))?;

    let jwt = license::verify::sign_license_payload(&trial_claims(now), DEMO_KEY_ID, &key.secret);
    state
        .entitlements
        .add_license(&admin, &jwt)
        .await
        .map_err(step("installing the trial license"))?;

    let organization_id = *admin
        .org_roles
        .keys()
        .next()
        .ok_or_else(|| step("finding the default organization")("no membership"))?;
    let mut developers = Vec::new();
    for (username, name) in DEVELOPERS {
        let user = identity::create_user(
            db,
            &admin,
            now,
            identity::CreateUser {
                email: format!("{username}@demo.devplane.dev"),
                username: username.to_owned(),
                password: crate::domain::secrets::random_token(20),
                name: name.to_owned(),
                site_roles: Vec::new(),
                organization_ids: vec![organization_id],
            },
        )
        .await
        .map_err(step("creating a developer"))?;
        developers.push(
            identity::subject_for(db, &user)
                .await
                .map_err(step("reading a developer's roles"))?,
        );
    }

    let (tmpl, _) = template::create_template(
        db,
        &state.entitlements,
        &state.files,
        &admin,
        now,
        template::CreateTemplate {
            organization_id,
            name: "dev-vm".to_owned(),
            display_name: "Development VM".to_owned(),
            description: "A Linux VM with an AI coding agent.".to_owned(),
            icon: String::new(),
            source: TemplateSource::Files(vec![SourceFile {
                path: "main.tf".to_owned(),
                content: DEMO_TEMPLATE.to_owned(),
            }]),
            schedule: ScheduleSettings {
                default_ttl_ms: Some(8 * 3_600_000),
                ..ScheduleSettings::default()
            },
        },
    )
    .await
    .map_err(step("creating the template"))?;

    let owners = std::iter::once(&admin).chain(developers.iter());
    let mut workspaces = Vec::new();
    for (owner, name) in owners.zip(["admin-dev", "alice-api", "bob-web"]) {
        let (ws, _) = workspace::create_workspace(
            db,
            owner,
            state.usage.as_ref(),
            PrebuildClaims::Disabled,
            now,
            workspace::CreateWorkspace {
                template_id: tmpl.id,
                name: name.to_owned(),
                preset_id: None,
                parameters: vec![BuildParameter {
                    name: "repo".to_owned(),
                    value: format!("https://github.com/example/{name}"),
                }],
                ttl_ms: None,
                autostart_schedule: Some("CRON_TZ=UTC 0 8 * * 1-5".to_owned()),
            },
        )
        .await
        .map_err(step("creating a workspace"))?;
        workspaces.push((ws, owner.user_id));
    }
    state.provisioner.notify();

    for (n, (ws, owner)) in workspaces.iter().enumerate() {
        record_connections(db, ws, *owner, now, n)
            .await
            .map_err(step("recording connection events"))?;
    }
    Ok(DemoLogin {
        email: DEMO_ADMIN_EMAIL.to_owned(),
        password,
    })
}

/// A trial Premium license for 30 days with room for the demo's users and agents.
fn trial_claims(now: DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "jti": Uuid::new_v4().to_string(),
        "iss": "devplane demo",
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "license_expires": (now + Duration::days(30)).timestamp(),
        "exp": (now + Duration::days(37)).timestamp(),
        "account_type": "demo",
        "account_id": "demo",
        "version": 3,
        "trial": true,
        "feature_set": "premium",
        "features": {
            "user_limit": 25,
            "managed_agent_limit_soft": 8,
            "managed_agent_limit_hard": 10,
        },
    })
}

/// Sessions the demo records per workspace: spread over the past 14 days, every kind of
/// connection, most closed and a few still open.
const SESSIONS_PER_WORKSPACE: usize = 80;

/// Records the demo connection history of `ws` (the `n`th demo workspace).
async fn record_connections(
    db: &DatabaseConnection,
    ws: &workspace_entity::Model,
    owner: Uuid,
    now: DateTime<Utc>,
    n: usize,
) -> Result<(), sea_orm::DbErr> {
    let target = EventTarget {
        workspace: ws.clone(),
        agent_name: "main".to_owned(),
    };
    let mut events = Vec::new();
    for i in 0..SESSIONS_PER_WORKSPACE {
        // A deterministic spread: types in turn, times every few hours back from now.
        let kind = ConnectionType::ALL[(i + n) % ConnectionType::ALL.len()];
        let minutes_ago = i64::try_from(i * 251 + n * 37).unwrap_or(0) % (14 * 24 * 60);
        let start = now - Duration::minutes(minutes_ago + 5);
        let ip = Some(format!("10.0.{}.{}", n + 1, (i % 250) + 1));
        let web = kind.is_web();
        let base = ConnectionEvent {
            connection_id: (!web).then(Uuid::new_v4),
            action: ConnectionAction::Connect,
            connection_type: kind,
            time: start,
            ip,
            reason: None,
            code: web.then_some(200),
            user_id: web.then_some(owner),
            user_agent: web.then(|| "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0".to_owned()),
            slug_or_port: web.then(|| {
                if kind == ConnectionType::PortForwarding {
                    "8080".to_owned()
                } else {
                    "code-server".to_owned()
                }
            }),
        };
        // One SSH-like session in ten is still open.
        let still_open = !web && i % 10 == 3;
        if !web && !still_open {
            events.push(ConnectionEvent {
                action: ConnectionAction::Disconnect,
                time: start + Duration::minutes(i64::try_from(i % 90).unwrap_or(0) + 1),
                reason: Some("client disconnected".to_owned()),
                code: Some(if i % 7 == 0 { 1 } else { 0 }),
                ..base.clone()
            });
        }
        events.push(base);
    }
    ingest::record(db, &target, &events).await
}
