//! Templates and their versions: sources (tar archives), the Terraform import, presets,
//! schedule settings, and the file cache that shares parsed sources.

pub mod file_cache;
pub mod import;
mod schedule_settings;
pub mod source;
mod templates;
mod version_import;
mod versions;

use sea_orm::DbErr;

pub use file_cache::{FileCache, FileHandle};
pub use schedule_settings::ScheduleSettings;
pub use templates::{
    CreateTemplate, create_template, get_template, list_templates, update_template_schedule,
};
pub use version_import::{TemplateSource, upload_file};
pub use versions::{
    CreateTemplateVersion, PresetWithSchedules, create_template_version, get_template_version,
    list_presets, list_versions, presets_of,
};

use super::FieldError;
use crate::authz;

/// What can go wrong with templates.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Inputs are invalid; every one is listed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The Terraform import failed; every problem is listed (file:line, attribute).
    #[error("The template version could not be imported.")]
    ImportFailed(Vec<FieldError>),
    /// A unique name is taken.
    #[error("already in use")]
    Taken(Vec<FieldError>),
    /// The object does not exist, or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The source archive is unusable.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// The deployment's license lacks a feature the input needs; the fields that need it.
    #[error("{source}")]
    NotEntitled {
        /// The license check that failed.
        source: crate::domain::license::service::Error,
        /// The input fields that need the feature, and why.
        fields: Vec<FieldError>,
    },
    /// Stored data could not be read.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The import could not run to its end.
    #[error(transparent)]
    Cpu(#[from] crate::domain::cpu::CpuError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<file_cache::FileCacheError> for Error {
    fn from(err: file_cache::FileCacheError) -> Self {
        match err {
            file_cache::FileCacheError::NotFound => Error::NotFound("file"),
            file_cache::FileCacheError::Forbidden(f) => Error::Forbidden(f),
            file_cache::FileCacheError::Source(s) => Error::Source(s),
            file_cache::FileCacheError::Db(e) => Error::Db(e),
        }
    }
}

/// Shorthand for this module's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
