//! Paging shared by list queries: offset arguments (`limit` defaults to 100 and may not
//! exceed 1000, negative values are input errors; docs/graphql.md, "Paging"), and the parts
//! of a log connection (`nodes`, `edges`, `pageInfo`, `totalCount`, `countCap`) built from
//! a page of rows, each only when the selection asks for it.

use async_graphql::Lookahead;

use super::{error::Result, types::PageInfo};
use crate::domain::log_paging::{Count, LogPage};
pub use crate::domain::paging::{DEFAULT_LIMIT, MAX_LIMIT};

/// Whether a log connection's entries select the field at `path`, through `nodes` or
/// through `edges { node }`.
pub fn entries_select(selection: &Lookahead<'_>, path: &[&str]) -> bool {
    [
        selection.field("nodes"),
        selection.field("edges").field("node"),
    ]
    .into_iter()
    .any(|node| path.iter().fold(node, |s, field| s.field(field)).exists())
}

/// The count a log list runs: the capped one when `totalCount` is selected, none otherwise.
pub fn count_for(selection: &Lookahead<'_>, cap: u64) -> Count {
    if selection.field("totalCount").exists() {
        Count::with_cap(cap)
    } else {
        Count::Skip
    }
}

/// The fields of a log connection, built from a page of rows.
pub struct LogConnectionParts<N, E> {
    /// The rows as nodes; empty when `nodes` is not selected.
    pub nodes: Vec<N>,
    /// The rows with their cursors; empty when `edges` is not selected.
    pub edges: Vec<E>,
    /// Paging facts.
    pub page_info: PageInfo,
    /// The total, capped; 0 when it was not asked for.
    pub total_count: i32,
    /// The cap of the total.
    pub count_cap: i32,
}

impl<N: Clone, E> LogConnectionParts<N, E> {
    /// Builds the parts `selection` asks for from `page` (whose total is `total`): `cursor`
    /// gives a row's cursor, `node` its GraphQL type, `edge` an edge of a cursor and a node.
    pub fn build<R>(
        selection: &Lookahead<'_>,
        page: LogPage<R>,
        total: Option<u64>,
        cap: u64,
        cursor: impl Fn(&R) -> String,
        node: impl Fn(R) -> N,
        edge: impl Fn(String, N) -> E,
    ) -> Self {
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.rows.first().map(&cursor),
            end_cursor: page.rows.last().map(&cursor),
        };
        let wants_edges = selection.field("edges").exists();
        let wants_nodes = selection.field("nodes").exists();
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for row in page.rows {
            let cursor = wants_edges.then(|| cursor(&row));
            let node = node(row);
            if let Some(cursor) = cursor {
                if wants_nodes {
                    nodes.push(node.clone());
                }
                edges.push(edge(cursor, node));
            } else if wants_nodes {
                nodes.push(node);
            }
        }
        Self {
            nodes,
            edges,
            page_info,
            total_count: i32::try_from(total.unwrap_or(0)).unwrap_or(i32::MAX),
            count_cap: i32::try_from(cap).unwrap_or(i32::MAX),
        }
    }
}

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
