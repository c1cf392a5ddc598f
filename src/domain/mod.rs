//! The business rules, one module per capability. Domain functions take a database handle
//! and plain arguments, own their transactions, and return their module's error enum; they
//! know nothing of GraphQL or HTTP.

pub mod audit;
pub mod by_id;
pub mod connection_log;
pub mod cpu;
pub mod go_quote;
pub mod identity;
pub mod license;
pub mod log_paging;
pub mod paging;
pub mod parameters;
pub mod prebuilds;
pub mod provisioner;
pub mod schedule;
pub mod search;
pub mod secrets;
pub mod template;
pub mod text;
pub mod workspace;

use sea_orm::{DbErr, SqlErr};

/// One invalid input field and why, as clients receive it in `extensions.validations`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The input field, as the client named it (`avatarUrl`, `addUsers[0]`).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

/// Whether a database error is a violation of a unique constraint (on either engine).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The error for a failed write: `taken()` when it broke a unique constraint (a name or key
/// already in use), otherwise the database error itself.
pub fn unique_or<E: From<DbErr>>(err: DbErr, taken: impl FnOnce() -> E) -> E {
    if is_unique_violation(&err) {
        taken()
    } else {
        E::from(err)
    }
}
