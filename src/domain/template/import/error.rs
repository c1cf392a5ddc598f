//! Import failures: every problem found in a template's files, each pointing at a file, a line
//! and the attribute at fault, so an author can fix them all in one go.

use std::fmt;

/// One problem in a template's source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {attribute}: {message}")]
pub struct ImportError {
    /// Path of the file, as uploaded; empty when the problem concerns the whole source.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole source.
    pub line: usize,
    /// Address of the attribute or block at fault, e.g.
    /// `data.coder_parameter.region.default`; `syntax` for HCL syntax errors.
    pub attribute: String,
    /// What is wrong.
    pub message: String,
}

/// All problems found in a template's source, ordered by file, then line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportErrors {
    /// At least one error.
    pub errors: Vec<ImportError>,
}

impl fmt::Display for ImportErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
