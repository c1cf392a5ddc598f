//! Offset paging arguments shared by list queries: `limit` defaults to 100 and may not
//! exceed 1000 (docs/graphql.md, "Paging"), negative values are input errors.

use super::error::Result;
pub use crate::domain::paging::{DEFAULT_LIMIT, MAX_LIMIT};

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
        let (offset, limit) = crate::domain::paging::check_offset_limit(offset, limit)?;
        Ok(Self { offset, limit })
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
