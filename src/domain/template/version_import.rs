//! Turning a version's source into a checked import: store the uploaded or inline archive,
//! fetch it through the file cache, parse it off the request threads, and check the
//! parameter definitions and preset schedules, so that only a clean import is ever stored.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    Error, FileCache, Result,
    import::{self, SourceFile, TemplateImport},
    source,
};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    domain::{FieldError, cpu, parameters, schedule},
    entity::file,
};

/// Where a version's source comes from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// A file uploaded before (`uploadFile`).
    FileId(Uuid),
    /// Files given inline; packed into an archive.
    Files(Vec<SourceFile>),
}

/// Stores an uploaded tar archive for an organization.
pub async fn upload_file(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    organization_id: Uuid,
    data: Vec<u8>,
) -> Result<file::Model> {
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::File)
            .in_org(organization_id)
            .owned_by(subject.user_id),
    )?;
    Ok(source::store_file(db, now, organization_id, subject.user_id, data).await?)
}

/// Parses a source and checks everything the provider and the prebuild scheduler would
/// refuse, returning every problem at once.
pub(super) fn import_checked(sources: &[SourceFile]) -> Result<TemplateImport> {
    let imported = import::parse_template(sources).map_err(|errors| {
        Error::ImportFailed(
            errors
                .errors
                .iter()
                .map(|e| FieldError::new(e.attribute.clone(), e.to_string()))
                .collect(),
        )
    })?;
    let mut errors = Vec::new();
    for def in &imported.parameters {
        for message in parameters::validate_definition(def) {
            errors.push(FieldError::new(format!("parameter.{}", def.name), message));
        }
    }
    let names: std::collections::HashSet<&str> = imported
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for preset in &imported.presets {
        for name in preset.parameters.keys() {
            if !names.contains(name.as_str()) {
                errors.push(FieldError::new(
                    format!("preset.{}", preset.name),
                    format!("preset parameter {name:?} is not a parameter of the template"),
                ));
            }
        }
        let Some(scheduling) = preset
            .prebuilds
            .as_ref()
            .and_then(|p| p.scheduling.as_ref())
        else {
            continue;
        };
        let mut ranges = Vec::new();
        for (i, s) in scheduling.schedules.iter().enumerate() {
            match schedule::parse_preset_schedule(&s.cron, &scheduling.timezone) {
                Ok(range) => ranges.push(range),
                Err(e) => errors.push(FieldError::new(
                    format!("preset.{}.schedule[{i}]", preset.name),
                    e.to_string(),
                )),
            }
        }
        for (i, a) in ranges.iter().enumerate() {
            for b in &ranges[i + 1..] {
                if schedule::schedules_overlap(a, b) {
                    errors.push(FieldError::new(
                        format!("preset.{}.schedule", preset.name),
                        "schedules overlap",
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(imported)
    } else {
        Err(Error::ImportFailed(errors))
    }
}

/// Resolves a source to a stored file and its parsed, checked import.
pub(super) async fn import_source(
    db: &impl ConnectionTrait,
    files: &FileCache,
    subject: &Subject,
    now: DateTime<Utc>,
    organization_id: Uuid,
    source: TemplateSource,
) -> Result<(Uuid, TemplateImport)> {
    let file_id = match source {
        TemplateSource::Files(sources) => {
            let data = source::tar_from_files(&sources)?;
            upload_file(db, subject, now, organization_id, data)
                .await?
                .id
        }
        TemplateSource::FileId(id) => id,
    };
    let handle = files.acquire(db, subject, file_id).await?;
    if handle.organization_id != organization_id {
        return Err(Error::Invalid(vec![FieldError::new(
            "fileId",
            "the file belongs to another organization",
        )]));
    }
    // HCL parsing of up to 10 MB of sources: CPU-heavy, so off the request threads.
    let file = handle.shared();
    let imported = cpu::run(move || import_checked(&file.sources)).await??;
    Ok((file_id, imported))
}
