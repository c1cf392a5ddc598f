//! The Terraform import: parses a version's `.tf` files for parameters, presets, agents, the
//! AI task and the daily cost of `coder_metadata` resources.
//!
//! Coder learns these by running `terraform plan`; devplane reads the HCL directly, so it only
//! accepts attribute values it can know without Terraform (see `scope`). Every problem in
//! every file is reported, each with its file, line and attribute. Rules between attributes
//! (immutable and ephemeral, duplicate options, form types, cron syntax...) are checked
//! afterwards on the definitions, not here.

mod error;
mod model;
mod parameter;
mod preset;
mod reader;
mod scope;
mod source;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use hcl::edit::Span;
use hcl::edit::structure::Block;

pub use error::{ImportError, ImportErrors};
pub use model::{
    PrebuildScheduling, PrebuildSettings, PresetDefinition, PresetSchedule, SourceFile,
    TemplateImport,
};

use reader::BlockReader;
use scope::{Declaration, Scope};
use source::ParsedFile;

/// Parses the `.tf` files among `files` (others are ignored) into what the template version
/// declares. Fails with every problem found, ordered by file and line.
pub fn parse_template(files: &[SourceFile]) -> Result<TemplateImport, ImportErrors> {
    let mut errors = Vec::new();
    let sources: Vec<&SourceFile> = files
        .iter()
        .filter(|file| file.path.ends_with(".tf"))
        .collect();
    if sources.is_empty() {
        return Err(ImportErrors {
            errors: vec![ImportError {
                file: String::new(),
                line: 0,
                attribute: String::new(),
                message: "the template has no .tf files".to_owned(),
            }],
        });
    }
    let parsed: Vec<ParsedFile<'_>> = sources
        .into_iter()
        .filter_map(
            |source| match ParsedFile::parse(&source.path, &source.content) {
                Ok(file) => Some(file),
                Err((line, message)) => {
                    errors.push(ImportError {
                        file: source.path.clone(),
                        line,
                        attribute: "syntax".to_owned(),
                        message,
                    });
                    None
                }
            },
        )
        .collect();
    let scope = declare_scope(&parsed, &mut errors);
    let import = read_blocks(&parsed, &scope, &mut errors);
    if errors.is_empty() {
        Ok(import)
    } else {
        // Stable: errors on one line keep the order they were found in.
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(ImportErrors { errors })
    }
}

/// Collects `variable` and `locals` declarations of all files: like Terraform, one module's
/// files share one namespace.
fn declare_scope<'a>(files: &'a [ParsedFile<'a>], errors: &mut Vec<ImportError>) -> Scope<'a> {
    let mut scope = Scope::default();
    for file in files {
        for block in file.body.blocks() {
            match (block.ident.as_str(), block.labels.as_slice()) {
                ("variable", [name]) => {
                    let declaration = Declaration {
                        file,
                        line: file.line(block.span()),
                        value: block.body.get_attribute("default").map(|attr| &attr.value),
                    };
                    if let Err(first) = scope.declare_variable(name.as_str(), declaration) {
                        let message = already_declared(first.file.path, first.line);
                        let attribute = format!("variable.{}", name.as_str());
                        errors.push(error_at(file, block.span(), attribute, message));
                    }
                }
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        let declaration = Declaration {
                            file,
                            line: file.line(attr.span()),
                            value: Some(&attr.value),
                        };
                        if let Err(first) = scope.declare_local(attr.key.as_str(), declaration) {
                            let message = already_declared(first.file.path, first.line);
                            let attribute = format!("local.{}", attr.key.as_str());
                            errors.push(error_at(file, attr.span(), attribute, message));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    scope
}

/// Where a name was first seen, to report a duplicate.
type FirstSeen<'a> = BTreeMap<String, (&'a str, usize)>;

/// Reads the blocks the import is about, in every file.
fn read_blocks<'a>(
    files: &'a [ParsedFile<'a>],
    scope: &'a Scope<'a>,
    errors: &mut Vec<ImportError>,
) -> TemplateImport {
    let mut import = TemplateImport {
        parameters: Vec::new(),
        presets: Vec::new(),
        agents: Vec::new(),
        has_ai_task: false,
        daily_cost: 0,
    };
    let mut addresses = FirstSeen::new();
    let mut parameter_names = FirstSeen::new();
    let mut preset_names = FirstSeen::new();
    for file in files {
        for block in file.body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|label| label.as_str()).collect();
            let (mode, kind, label) = match (block.ident.as_str(), labels.as_slice()) {
                (mode @ ("data" | "resource"), [kind, label]) => (mode, *kind, *label),
                _ => continue,
            };
            let address = match (mode, kind) {
                ("data", "coder_parameter" | "coder_workspace_preset") => {
                    format!("data.{kind}.{label}")
                }
                ("resource", "coder_agent" | "coder_ai_task" | "coder_metadata") => {
                    format!("{kind}.{label}")
                }
                _ => continue,
            };
            let line = file.line(block.span());
            if let Some(&(first_file, first_line)) = addresses.get(&address) {
                let message = already_declared(first_file, first_line);
                errors.push(error_at(file, block.span(), address, message));
                continue;
            }
            addresses.insert(address.clone(), (file.path, line));
            let reader = BlockReader::new(file, scope, block, address);
            if !is_instantiated(&reader, block, errors) {
                continue;
            }
            match kind {
                "coder_parameter" => {
                    if let Some(parameter) = parameter::read_parameter(&reader, errors) {
                        let line = reader.line_of("name");
                        if unique(&mut parameter_names, &parameter.name, &reader, line, errors) {
                            import.parameters.push(parameter);
                        }
                    }
                }
                "coder_workspace_preset" => {
                    if let Some(preset) = preset::read_preset(&reader, errors) {
                        let line = reader.line_of("name");
                        if unique(&mut preset_names, &preset.name, &reader, line, errors) {
                            import.presets.push(preset);
                        }
                    }
                }
                "coder_agent" => import.agents.push(label.to_owned()),
                "coder_metadata" => {
                    let cost = read_daily_cost(&reader, errors);
                    match import.daily_cost.checked_add(cost) {
                        Some(total) => import.daily_cost = total,
                        None => {
                            let message =
                                format!("the template's total daily_cost exceeds {}", i32::MAX);
                            let line = reader.line_of("daily_cost");
                            reader.error(errors, "daily_cost", line, message);
                        }
                    }
                }
                _ => import.has_ai_task = true,
            }
        }
    }
    import
        .parameters
        .sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
    import.presets.sort_by(|a, b| a.name.cmp(&b.name));
    import.agents.sort();
    import
}

/// Whether a block exists after its meta-arguments: `count = 0` (a literal, or a variable's
/// default) removes it and `count = 1` keeps it; any other count, and `for_each`, would make
/// the number of blocks depend on the plan, which the import does not run.
fn is_instantiated(reader: &BlockReader<'_>, block: &Block, errors: &mut Vec<ImportError>) -> bool {
    if block.body.has_attribute("for_each") {
        let message = "for_each is not supported; declare each block separately".to_owned();
        reader.error(errors, "for_each", reader.line_of("for_each"), message);
        return false;
    }
    if !block.body.has_attribute("count") {
        return true;
    }
    match reader.integer::<i64>("count", errors) {
        Some(0) => false,
        Some(1) => true,
        Some(count) => {
            let message = format!("count must be 0 or 1, found {count}");
            reader.error(errors, "count", reader.line_of("count"), message);
            false
        }
        // The error is recorded; reading the block anyway would only add noise.
        None => false,
    }
}

/// The `daily_cost` of a `coder_metadata` block: a whole number of at least 0, absent being 0.
/// Only this attribute is read: the others (`resource_id`, `item` blocks, `hide`, `icon`)
/// describe plan-time values the import cannot know and does not need.
fn read_daily_cost(reader: &BlockReader<'_>, errors: &mut Vec<ImportError>) -> i32 {
    match reader.integer::<i32>("daily_cost", errors) {
        Some(cost) if cost < 0 => {
            let message = format!("must not be negative, found {cost}");
            reader.error(errors, "daily_cost", reader.line_of("daily_cost"), message);
            0
        }
        Some(cost) => cost,
        // Absent, null, or already reported.
        None => 0,
    }
}

/// Records `name` as seen, or reports it as a duplicate of an earlier block.
fn unique<'a>(
    seen: &mut FirstSeen<'a>,
    name: &str,
    reader: &BlockReader<'a>,
    line: usize,
    errors: &mut Vec<ImportError>,
) -> bool {
    if let Some(&(file, first_line)) = seen.get(name) {
        let message = format!("name {name:?} {}", already_declared(file, first_line));
        reader.error(errors, "name", line, message);
        return false;
    }
    seen.insert(name.to_owned(), (reader.path(), line));
    true
}

fn already_declared(file: &str, line: usize) -> String {
    format!("is already declared at {file}:{line}")
}

fn error_at(
    file: &ParsedFile<'_>,
    span: Option<std::ops::Range<usize>>,
    attribute: String,
    message: String,
) -> ImportError {
    ImportError {
        file: file.path.to_owned(),
        line: file.line(span),
        attribute,
        message,
    }
}
