//! Template sources: tar archives in `files`, stored once per organization by SHA-256.
//! Inline sources (`[{path, content}]`) are packed into a tar too, so every version has
//! one archive and one code path reads it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::import::SourceFile;
use crate::{
    domain::{is_unique_violation, secrets::sha256_hex, text},
    entity::file,
};

/// The media type of stored archives.
pub const TAR_MIMETYPE: &str = "application/x-tar";
/// Largest archive accepted (Coder's limit for template sources).
pub const MAX_ARCHIVE_BYTES: usize = 10 * 1024 * 1024;
/// Largest single source file read from an archive.
const MAX_SOURCE_FILE_BYTES: u64 = 1024 * 1024;

/// Why a source could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The archive is not a readable tar.
    #[error("the archive is not a valid tar file: {0}")]
    InvalidArchive(String),
    /// Too large.
    #[error("the archive is larger than {MAX_ARCHIVE_BYTES} bytes")]
    TooLarge,
    /// A path is absolute, climbs out of the archive, or is not a plain path.
    #[error(
        "invalid path {0:?}: paths must be relative, stay inside the archive, and be at most 1024 characters without NUL"
    )]
    InvalidPath(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

fn check_path(path: &str) -> Result<String, SourceError> {
    let clean = path.trim_start_matches("./");
    let bad = clean.is_empty()
        || clean.starts_with('/')
        || clean.split('/').any(|part| part == "..")
        || clean.contains('\0')
        || clean.chars().count() > text::FILE_PATH;
    if bad {
        // Echo a bounded prefix only: the path may be megabytes long.
        Err(SourceError::InvalidPath(path.chars().take(100).collect()))
    } else {
        Ok(clean.to_owned())
    }
}

/// Packs inline files into a tar archive.
pub fn tar_from_files(files: &[SourceFile]) -> Result<Vec<u8>, SourceError> {
    let mut builder = tar::Builder::new(Vec::new());
    for source in files {
        let path = check_path(&source.path)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(source.content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, &path, source.content.as_bytes())
            .map_err(|e| SourceError::InvalidArchive(e.to_string()))?;
    }
    let data = builder
        .into_inner()
        .map_err(|e| SourceError::InvalidArchive(e.to_string()))?;
    if data.len() > MAX_ARCHIVE_BYTES {
        return Err(SourceError::TooLarge);
    }
    Ok(data)
}

/// Reads the UTF-8 regular files of a tar archive (others are skipped).
pub fn read_tar(data: &[u8]) -> Result<Vec<SourceFile>, SourceError> {
    if data.len() > MAX_ARCHIVE_BYTES {
        return Err(SourceError::TooLarge);
    }
    let mut archive = tar::Archive::new(data);
    let entries = archive
        .entries()
        .map_err(|e| SourceError::InvalidArchive(e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| SourceError::InvalidArchive(e.to_string()))?;
        if !entry.header().entry_type().is_file() || entry.size() > MAX_SOURCE_FILE_BYTES {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| SourceError::InvalidArchive(e.to_string()))?;
        let path = check_path(&path.to_string_lossy())?;
        let mut content = String::new();
        if std::io::Read::read_to_string(&mut entry, &mut content).is_ok() {
            files.push(SourceFile { path, content });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Stores an archive for an organization, or returns the one already stored with the
/// same content.
pub async fn store_file(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: Uuid,
    created_by: Uuid,
    data: Vec<u8>,
) -> Result<file::Model, SourceError> {
    if data.len() > MAX_ARCHIVE_BYTES {
        return Err(SourceError::TooLarge);
    }
    // Refuse what cannot be read now rather than at import time.
    read_tar(&data)?;
    let hash = sha256_hex(&data);
    let existing = || {
        file::Entity::find()
            .filter(file::Column::OrganizationId.eq(organization_id))
            .filter(file::Column::Hash.eq(hash.clone()))
            .one(db)
    };
    if let Some(found) = existing().await? {
        return Ok(found);
    }
    let inserted = file::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        hash: Set(hash.clone()),
        mimetype: Set(TAR_MIMETYPE.to_owned()),
        data: Set(data),
        created_by: Set(created_by),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(model),
        // A concurrent upload of the same content won the race: use its row.
        Err(e) if is_unique_violation(&e) => existing().await?.ok_or(SourceError::Db(e)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_round_trip() {
        let files = vec![
            SourceFile {
                path: "main.tf".into(),
                content: "# main".into(),
            },
            SourceFile {
                path: "modules/x.tf".into(),
                content: "# x".into(),
            },
        ];
        let data = tar_from_files(&files).expect("packs");
        assert_eq!(read_tar(&data).expect("reads"), files);
        // The same content always hashes the same (mtime is fixed).
        assert_eq!(
            sha256_hex(&data),
            sha256_hex(&tar_from_files(&files).expect("packs"))
        );
    }

    #[test]
    fn paths_stay_inside() {
        for bad in ["/etc/passwd", "../x.tf", "a/../../x.tf", ""] {
            let files = vec![SourceFile {
                path: bad.into(),
                content: String::new(),
            }];
            assert!(
                matches!(tar_from_files(&files), Err(SourceError::InvalidPath(_))),
                "{bad}"
            );
        }
        assert!(
            read_tar(b"not a tar archive at all").is_err()
                || read_tar(b"not a tar archive at all")
                    .expect("ok")
                    .is_empty()
        );
    }
}
