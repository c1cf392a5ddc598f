//! schema.graphql must be exactly the SDL the server serves.

const REGENERATE: &str = "cargo run -- schema > schema.graphql";

#[test]
fn schema_graphql_matches_the_served_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let served = devplane::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &served).expect("write schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == served,
        "schema.graphql is out of date; regenerate it with `{REGENERATE}`"
    );
}

#[test]
fn schema_check_command_agrees() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
        .args([
            "schema",
            "--check",
            "--file",
            concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"),
        ])
        .output()
        .expect("devplane runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_type_and_field_is_described() {
    let sdl = devplane::graphql::sdl();
    // In the SDL a description precedes each described definition; look for definitions
    // whose previous non-blank line is not the end of a description.
    let lines: Vec<&str> = sdl.lines().collect();
    let mut undocumented = Vec::new();
    let mut in_schema_block = false;
    let mut in_description = false;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed == "\"\"\"" {
            in_description = !in_description;
            continue;
        }
        if in_description {
            continue;
        }
        if trimmed.starts_with("schema {") {
            in_schema_block = true;
        }
        if in_schema_block {
            in_schema_block = trimmed != "}";
            continue;
        }
        if trimmed.starts_with(')') {
            continue;
        }
        let is_definition = trimmed.starts_with("type ")
            || trimmed.starts_with("input ")
            || trimmed.starts_with("enum ")
            || (trimmed.contains(':')
                && !trimmed.starts_with('"')
                && !trimmed.starts_with('#')
                && line.starts_with('\t'));
        if !is_definition || trimmed.starts_with("schema") {
            continue;
        }
        let previous = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim())
            .unwrap_or("");
        if !previous.ends_with('"') {
            undocumented.push(trimmed.to_owned());
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}
