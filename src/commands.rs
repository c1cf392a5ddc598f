//! The client commands of the CLI (`devplane license add|list`, `connectionlog list`,
//! `auditlog list`, `prebuilds pause|resume|status`): each one GraphQL operation against a running server,
//! printed for people or as JSON.

use std::io::Read;

use serde_json::{Value, json};

use crate::{
    client::{self, ClientError},
    config::{
        AuditLogAction, ClientArgs, ConnectionLogAction, LicenseAction, OutputFormat,
        PrebuildsAction,
    },
};

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Reading the input failed.
    #[error("cannot read {path}: {source}")]
    Input {
        /// The file (or `-`).
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Runs `devplane license …`, printing to standard output.
pub async fn license(client: &ClientArgs, action: LicenseAction) -> Result<(), CommandError> {
    match action {
        LicenseAction::Add { file } => {
            let mut jwt = String::new();
            let read = if file == "-" {
                std::io::stdin().read_to_string(&mut jwt)
            } else {
                std::fs::File::open(&file).and_then(|mut f| f.read_to_string(&mut jwt))
            };
            read.map_err(|source| CommandError::Input {
                path: file.clone(),
                source,
            })?;
            let data = client::execute(
                client,
                "mutation AddLicense($input: AddLicenseInput!) { addLicense(input: $input) { id uuid } }",
                json!({ "input": { "license": jwt.trim() } }),
            )
            .await?;
            println!(
                "License #{} added ({}).",
                data["addLicense"]["id"],
                data["addLicense"]["uuid"].as_str().unwrap_or("")
            );
        }
        LicenseAction::List { output } => {
            let data = client::execute(
                client,
                "query Licenses { licenses { id uuid uploadedAt claims } }",
                json!({}),
            )
            .await?;
            match output {
                OutputFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&data["licenses"]).unwrap_or_default()
                ),
                OutputFormat::Table => print!("{}", license_table(&data["licenses"])),
            }
        }
    }
    Ok(())
}

/// Runs `devplane connectionlog …`, printing to standard output.
pub async fn connection_log(
    client: &ClientArgs,
    action: ConnectionLogAction,
) -> Result<(), CommandError> {
    let ConnectionLogAction::List {
        filter,
        limit,
        output,
    } = action;
    let data = client::execute(
        client,
        "query ConnectionLogs($filter: String!, $limit: Int) { connectionLogs(filter: $filter, limit: $limit) {
           totalCount countCap nodes { connectTime type workspaceName agentName ip
             workspaceOwner { username } sshInfo { disconnectTime } webInfo { statusCode user { username } } } } }",
        json!({ "filter": filter, "limit": limit }),
    )
    .await?;
    print_log_page(
        &data["connectionLogs"],
        output,
        &[
            "TIME",
            "TYPE",
            "OWNER",
            "WORKSPACE",
            "AGENT",
            "IP",
            "STATUS",
        ],
        |node| {
            let status = if node["webInfo"].is_object() {
                node["webInfo"]["statusCode"].to_string()
            } else if node["sshInfo"]["disconnectTime"].is_null() {
                "ongoing".to_owned()
            } else {
                "completed".to_owned()
            };
            let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
            vec![
                text(&node["connectTime"]),
                text(&node["type"]).to_lowercase(),
                text(&node["workspaceOwner"]["username"]),
                text(&node["workspaceName"]),
                text(&node["agentName"]),
                text(&node["ip"]),
                status,
            ]
        },
    );
    Ok(())
}

/// Runs `devplane auditlog …`, printing to standard output.
pub async fn audit_log(client: &ClientArgs, action: AuditLogAction) -> Result<(), CommandError> {
    let AuditLogAction::List {
        filter,
        limit,
        output,
    } = action;
    let data = client::execute(
        client,
        "query AuditLogs($filter: String!, $limit: Int) { auditLogs(filter: $filter, limit: $limit) {
           totalCount countCap nodes { time action resourceType resourceTarget statusCode ip
             user { username } organization { name } } } }",
        json!({ "filter": filter, "limit": limit }),
    )
    .await?;
    print_log_page(
        &data["auditLogs"],
        output,
        &[
            "TIME",
            "USER",
            "ACTION",
            "RESOURCE TYPE",
            "TARGET",
            "ORGANIZATION",
            "STATUS",
            "IP",
        ],
        |node| {
            let text = |v: &Value| {
                v.as_str()
                    .filter(|s| !s.is_empty())
                    .unwrap_or("-")
                    .to_owned()
            };
            vec![
                text(&node["time"]),
                text(&node["user"]["username"]),
                text(&node["action"]).to_lowercase(),
                text(&node["resourceType"]),
                text(&node["resourceTarget"]),
                text(&node["organization"]["name"]),
                node["statusCode"].to_string(),
                text(&node["ip"]),
            ]
        },
    );
    Ok(())
}

/// Prints a page of a log: the GraphQL page as JSON, or a table of `header` and one row
/// per node followed by the total.
fn print_log_page(
    page: &Value,
    output: OutputFormat,
    header: &[&str],
    row: impl Fn(&Value) -> Vec<String>,
) {
    match output {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(page).unwrap_or_default())
        }
        OutputFormat::Table => {
            let mut rows = vec![header.iter().map(|h| (*h).to_owned()).collect()];
            let nodes = page["nodes"].as_array().map(Vec::as_slice);
            rows.extend(nodes.unwrap_or_default().iter().map(row));
            print!("{}", align(&rows));
            print_total(page);
        }
    }
}

/// The "N entries in all" line under a log table, "cap+" when the count reached its cap.
fn print_total(page: &Value) {
    let (total, cap) = (
        page["totalCount"].as_i64().unwrap_or(0),
        page["countCap"].as_i64().unwrap_or(0),
    );
    if cap > 0 && total > cap {
        println!("{cap}+ entries in all");
    } else {
        println!("{total} entries in all");
    }
}

/// Runs `devplane prebuilds …`. As Coder's CLI, `pause` and `resume` confirm on standard
/// error; `status` answers on standard output, for scripts.
pub async fn prebuilds(client: &ClientArgs, action: PrebuildsAction) -> Result<(), CommandError> {
    let (operation, field) = match action {
        PrebuildsAction::Pause => (
            "mutation PausePrebuilds { pausePrebuilds { reconciliationPaused } }",
            "pausePrebuilds",
        ),
        PrebuildsAction::Resume => (
            "mutation ResumePrebuilds { resumePrebuilds { reconciliationPaused } }",
            "resumePrebuilds",
        ),
        PrebuildsAction::Status => (
            "query PrebuildsSettings { prebuildsSettings { reconciliationPaused } }",
            "prebuildsSettings",
        ),
    };
    let data = client::execute(client, operation, json!({})).await?;
    let paused = data[field]["reconciliationPaused"].as_bool() == Some(true);
    match action {
        PrebuildsAction::Pause => eprintln!("Prebuilds are now paused."),
        PrebuildsAction::Resume => eprintln!("Prebuilds are now resumed."),
        PrebuildsAction::Status if paused => println!("Prebuilds reconciliation is paused."),
        PrebuildsAction::Status => println!("Prebuilds reconciliation is running."),
    }
    Ok(())
}

/// Rows as aligned columns.
fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

fn timestamp(value: &Value) -> String {
    value
        .as_i64()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
}

/// The licenses as aligned columns.
fn license_table(licenses: &Value) -> String {
    let mut rows = vec![[
        "ID".to_owned(),
        "UUID".to_owned(),
        "FEATURE SET".to_owned(),
        "EXPIRES".to_owned(),
        "TRIAL".to_owned(),
    ]];
    for license in licenses.as_array().map(Vec::as_slice).unwrap_or_default() {
        let claims = &license["claims"];
        rows.push([
            license["id"].to_string(),
            license["uuid"].as_str().unwrap_or("").to_owned(),
            claims["feature_set"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("-")
                .to_owned(),
            timestamp(&claims["license_expires"]),
            claims["trial"].as_bool().unwrap_or(false).to_string(),
        ]);
    }
    align(&rows.into_iter().map(Vec::from).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let licenses = json!([{ "id": 1, "uuid": "u-1", "claims": { "feature_set": "premium", "license_expires": 0, "trial": true } }]);
        let table = license_table(&licenses);
        assert_eq!(
            table.lines().next(),
            Some("ID  UUID  FEATURE SET  EXPIRES           TRIAL")
        );
        assert_eq!(
            table.lines().nth(1),
            Some("1   u-1   premium      1970-01-01 00:00  true")
        );
    }
}
