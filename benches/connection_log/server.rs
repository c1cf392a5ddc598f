//! The server under test, run as its own process so that its CPU time and peak memory
//! are its own and not the load generator's.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// A running `devplane server` child process.
pub struct Server {
    child: Child,
    /// The GraphQL endpoint.
    pub graphql: String,
    /// The Prometheus endpoint.
    pub metrics: String,
    client: reqwest::Client,
}

/// Linux reports process times in ticks of 1/100 s (USER_HZ) whatever the kernel's HZ.
const TICKS_PER_SECOND: f64 = 100.0;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Server {
    /// Starts the server binary on `database_url` and waits until it answers.
    pub async fn start(database_url: &str, keys_file: &Path, count_cap: u64) -> Server {
        let port = free_port();
        // Another build of the server (an earlier commit's, for a before/after comparison
        // in one window) runs in its place when named.
        let binary = std::env::var_os("DEVPLANE_BENCH_SERVER")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_devplane").into());
        let child = Command::new(binary)
            .args(["server", "--listen-address", &format!("127.0.0.1:{port}")])
            .args(["--database-url", database_url])
            .arg("--license-keys-file")
            .arg(keys_file)
            .args(["--connection-log-count-cap", &count_cap.to_string()])
            .args(["--log-level", "warn"])
            // The load phases open 64 connections at once from one address.
            .args(["--max-pending-connections-per-client", "256"])
            .stdout(Stdio::null())
            .spawn()
            .expect("the devplane binary starts");
        let server = Server {
            child,
            graphql: format!("http://127.0.0.1:{port}/graphql"),
            metrics: format!("http://127.0.0.1:{port}/metrics"),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(128)
                .build()
                .expect("client"),
        };
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = server.client.get(&ready).send().await
                && r.status().is_success()
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A client for the server's endpoints (shares its connection pool).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Runs a GraphQL operation; panics on a transport error, returns the body.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(&self.graphql)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request
            .send()
            .await
            .expect("sent")
            .json::<Value>()
            .await
            .expect("json")
    }

    /// Records a CPU profile of the server with `perf` for `seconds` into `path`, in the
    /// background; wait on the returned child.
    pub fn profile(&self, path: &Path, seconds: u64) -> Child {
        Command::new("perf")
            .args([
                "record",
                "-e",
                "cpu-clock",
                "-F",
                "499",
                "--call-graph",
                "dwarf,16384",
            ])
            .args(["-p", &self.child.id().to_string(), "-o"])
            .arg(path)
            .args(["--", "sleep", &seconds.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("perf starts")
    }

    /// User plus system CPU time the server has used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("/proc stat");
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the whole line.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 =
            fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
        ticks / TICKS_PER_SECOND
    }

    /// The server's peak resident memory so far, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }

    /// The server's count of successful SQL statements.
    pub async fn statements(&self) -> f64 {
        let text = self
            .client
            .get(&self.metrics)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix("devplane_db_statements_total{failed=\"false\"} "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
