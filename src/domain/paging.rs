//! Offset paging rules shared by list queries: `limit` defaults to 100 and may not exceed
//! 1000 (docs/graphql.md, "Paging"), negative values are input errors.

use super::FieldError;

/// The default page size.
pub const DEFAULT_LIMIT: i32 = 100;
/// The largest page size.
pub const MAX_LIMIT: i32 = 1000;

/// Paging arguments out of range; every bad one is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Query parameters have invalid values.")]
pub struct PageError(pub Vec<FieldError>);

/// Checks raw offset and limit arguments, reporting every bad one; returns the offset and
/// the limit (the default when none is given).
pub fn check_offset_limit(offset: i32, limit: Option<i32>) -> Result<(u64, u64), PageError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let mut errors = Vec::new();
    if offset < 0 {
        errors.push(FieldError::new("offset", "must not be negative"));
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if !errors.is_empty() {
        return Err(PageError(errors));
    }
    Ok((offset.unsigned_abs().into(), limit.unsigned_abs().into()))
}
