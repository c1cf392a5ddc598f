//! Set-up shared by the benchmarks that run the server as a process: the database of a run,
//! and a licensed deployment with a running workspace whose agent reports connections.

use std::time::Duration;

use chrono::Utc;
use devplane::domain::license;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::server::Server;

/// A fresh license-signing key pair and a keys file in `dir` that trusts it (key id
/// `bench`): the secret to sign licenses with, and the file's path.
pub fn license_keys(dir: &std::path::Path) -> ([u8; 32], std::path::PathBuf) {
    let (secret, public) = license::generate_keypair();
    let keys = license::LicenseKeys::from_public_keys([("bench", public)]).expect("keys");
    let keys_file = dir.join("keys.json");
    std::fs::write(&keys_file, keys.to_json()).expect("keys");
    (secret, keys_file)
}

/// A database for this run: a new PostgreSQL database, or a SQLite file.
pub struct BenchDatabase {
    /// The URL the server and the floor connect to.
    pub url: String,
    /// The admin URL and the database name, on PostgreSQL.
    pub admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl BenchDatabase {
    /// A new database: PostgreSQL when `DEVPLANE_BENCH_DATABASE_URL` is set, else SQLite.
    pub async fn create() -> BenchDatabase {
        let dir = tempfile::tempdir().expect("dir");
        match std::env::var("DEVPLANE_BENCH_DATABASE_URL") {
            Ok(admin) => {
                let name = format!("devplane_bench_{}", Uuid::new_v4().simple());
                let db = Database::connect(&admin).await.expect("connect");
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
                let mut url = url::Url::parse(&admin).expect("url");
                url.set_path(&name);
                BenchDatabase {
                    url: url.to_string(),
                    admin: Some((admin, name)),
                    _dir: dir,
                }
            }
            Err(_) => BenchDatabase {
                url: format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
                admin: None,
                _dir: dir,
            },
        }
    }

    /// Drops the PostgreSQL database, unless `DEVPLANE_BENCH_KEEP` is set.
    pub async fn drop_database(&self) {
        if std::env::var_os("DEVPLANE_BENCH_KEEP").is_some() {
            println!("kept the database: {}", self.url);
            return;
        }
        if let Some((admin, name)) = &self.admin
            && let Ok(db) = Database::connect(admin).await
        {
            db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
        }
    }
}

pub fn expect_data(response: &Value) -> &Value {
    assert!(response["errors"].is_null(), "{response}");
    &response["data"]
}

/// The first user, the license, and a running workspace whose agent reports connections.
pub async fn prepare(server: &Server, secret: &[u8; 32]) -> (String, Uuid, String, Uuid) {
    let first = server
        .gql(
            "mutation { createFirstUser(input: {email: \"admin@bench.test\", username: \"admin\", password: \"bench-password\"}) { token user { id } } }",
            json!({}),
            None,
        )
        .await;
    let data = expect_data(&first);
    let token = data["createFirstUser"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let admin: Uuid = data["createFirstUser"]["user"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("admin id");
    let now = Utc::now();
    let claims = json!({ "iat": (now - chrono::Duration::minutes(1)).timestamp(),
        "nbf": (now - chrono::Duration::minutes(1)).timestamp(),
        "license_expires": (now + chrono::Duration::days(30)).timestamp(),
        "exp": (now + chrono::Duration::days(31)).timestamp(),
        "version": 3, "feature_set": "premium", "features": { "user_limit": 10000 } });
    let jwt = license::sign_license_payload(&claims, "bench", secret);
    expect_data(
        &server
            .gql(
                "mutation($l: String!) { addLicense(input: {license: $l}) { id } }",
                json!({ "l": jwt }),
                Some(&token),
            )
            .await,
    );
    let orgs = server
        .gql("{ organizations { id } }", json!({}), Some(&token))
        .await;
    let org = expect_data(&orgs)["organizations"][0]["id"].clone();
    let tf = "resource \"coder_agent\" \"main\" {\n  os = \"linux\"\n}\n";
    let template = server
        .gql(
            "mutation($o: UUID!, $tf: String!) { createTemplate(input: {organizationId: $o, name: \"ingest\", files: [{path: \"main.tf\", content: $tf}]}) { id } }",
            json!({ "o": org, "tf": tf }),
            Some(&token),
        )
        .await;
    let template = expect_data(&template)["createTemplate"]["id"].clone();
    let workspace = server
        .gql(
            "mutation($t: UUID!) { createWorkspace(input: {templateId: $t, name: \"ingest\"}) { id } }",
            json!({ "t": template }),
            Some(&token),
        )
        .await;
    let workspace: Uuid = expect_data(&workspace)["createWorkspace"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("workspace id");
    // The built-in provisioner builds it; wait for its agent.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let agent = loop {
        let found = server
            .gql(
                "query($w: UUID!) { workspace(id: $w) { agents { id } } }",
                json!({ "w": workspace }),
                Some(&token),
            )
            .await;
        if let Some(id) = found["data"]["workspace"]["agents"][0]["id"].as_str() {
            break id.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no agent: {found}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let issued = server
        .gql(
            "mutation($a: UUID!) { createWorkspaceAgentToken(agentId: $a) { token } }",
            json!({ "a": agent }),
            Some(&token),
        )
        .await;
    let agent_token = expect_data(&issued)["createWorkspaceAgentToken"]["token"]
        .as_str()
        .expect("agent token")
        .to_owned();
    (token, admin, agent_token, workspace)
}
