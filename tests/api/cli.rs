//! The binary as a newcomer runs it, and the README as the reference of every flag.

use std::{
    net::TcpListener,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use clap::CommandFactory;
use devplane::config::Cli;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test]
async fn server_starts_on_a_fresh_folder_and_stops_gracefully_on_sigterm() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_devplane"))
        .args([
            "server",
            "--listen-address",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .env_remove("DEVPLANE_DATABASE_URL")
        .current_dir(cwd.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");

    // Wait for the listener (bounded); this is process start-up, not background work.
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            break response.status().is_success();
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(ready);
    assert!(
        cwd.path().join(".devplane/devplane.db").exists(),
        "default SQLite database created"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = child.wait_with_output().expect("output");
    let logs = String::from_utf8_lossy(&output.stdout);
    assert!(status.success(), "exit {status}: {logs}");
    assert!(logs.contains("\"message\":\"devplane stopped\""), "{logs}");
}

#[test]
fn readme_documents_every_flag_and_environment_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let mut missing = Vec::new();
    let mut commands = vec![Cli::command()];
    while let Some(command) = commands.pop() {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long()
                && !matches!(long, "help" | "version")
                && !readme.contains(&format!("`--{long}`"))
            {
                missing.push(format!("--{long}"));
            }
            if let Some(env) = arg.get_env().and_then(|e| e.to_str())
                && !readme.contains(env)
            {
                missing.push(env.to_owned());
            }
        }
        commands.extend(command.get_subcommands().cloned());
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "README.md does not mention: {missing:?}"
    );
}
