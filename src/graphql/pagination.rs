//! Offset paging arguments shared by list queries: `limit` defaults to 100 and may not
//! exceed 1000 (docs/graphql.md, "Paging"), negative values are input errors.

use super::error::{ApiError, Result};
use crate::domain::FieldError;

/// The default page size.
pub const DEFAULT_LIMIT: i32 = 100;
/// The largest page size.
pub const MAX_LIMIT: i32 = 1000;

/// A checked offset and limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetPage {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}

impl OffsetPage {
    /// Checks the raw arguments, reporting every bad one.
    pub fn parse(offset: i32, limit: Option<i32>) -> Result<Self> {
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
            return Err(ApiError::invalid(
                "Query parameters have invalid values.",
                errors,
            ));
        }
        Ok(Self {
            offset: offset.unsigned_abs().into(),
            limit: limit.unsigned_abs().into(),
        })
    }

    /// Query complexity of a page: its size times the cost of one item.
    pub fn cost(limit: Option<i32>, child_complexity: usize) -> usize {
        let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        usize::try_from(limit)
            .unwrap_or(1)
            .saturating_mul(child_complexity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            OffsetPage::parse(0, None).expect("ok"),
            OffsetPage {
                offset: 0,
                limit: 100
            }
        );
        assert_eq!(OffsetPage::parse(5, Some(1000)).expect("ok").limit, 1000);
        assert!(OffsetPage::parse(0, Some(1001)).is_err());
        assert!(OffsetPage::parse(0, Some(0)).is_err());
        assert!(OffsetPage::parse(-1, None).is_err());
        assert_eq!(OffsetPage::cost(Some(10), 3), 30);
    }
}
