//! The connection log query.

use std::collections::HashSet;

use async_graphql::{Context, Lookahead, Object};

use crate::{
    domain::connection_log::{
        self,
        query::{Lookups, PageRequest, People},
    },
    graphql::{
        context::ContextExt,
        error::Result,
        loaders::{OrganizationId, preload_page},
        pagination::{LogConnectionParts, OffsetPage, count_for, entries_select},
        types::{ConnectionLog, ConnectionLogConnection, ConnectionLogEdge, PageNodes},
    },
};

/// The users the selection shows, which the page reads with its rows; nothing is read
/// for fields the query does not select.
fn people(selection: &Lookahead<'_>) -> People {
    People {
        owners: entries_select(selection, &["workspaceOwner"]),
        requesters: entries_select(selection, &["webInfo", "user"]),
    }
}

/// The organizations of the page's entries, when the selection shows them.
fn organizations(
    selection: &Lookahead<'_>,
    rows: &[crate::entity::connection_log::Model],
) -> HashSet<OrganizationId> {
    if entries_select(selection, &["organization"]) {
        rows.iter()
            .map(|r| OrganizationId(r.organization_id))
            .collect()
    } else {
        HashSet::new()
    }
}

/// Connection log queries.
#[derive(Default)]
pub struct ConnectionLogQuery;

#[Object]
impl ConnectionLogQuery {
    /// Who connected to which workspace, newest first. `filter` is Coder's search string
    /// (`organization:`, `workspace_owner:`, `type:ssh`, `status:ongoing`, …). Page by
    /// `offset`/`limit` (default 100, at most 1000) or by cursor with `first`/`after`.
    /// Needs the `connection_log` license feature.
    #[graphql(complexity = "OffsetPage::cost(first.or(limit), child_complexity)")]
    async fn connection_logs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Search string.", default)] filter: String,
        #[graphql(desc = "Rows to skip (offset paging).")] offset: Option<i32>,
        #[graphql(desc = "Rows to return (offset paging): 1 to 1000, default 100.")] limit: Option<
            i32,
        >,
        #[graphql(desc = "Rows to return (cursor paging): 1 to 1000.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<ConnectionLogConnection> {
        let state = ctx.state()?;
        let cap = state.connection_log_count_cap;
        let selection = ctx.look_ahead();
        // Only what the selection reads is computed: no count without `totalCount`, no
        // cursors without `edges`, no copies of rows for a list not asked for.
        let count = count_for(&selection, cap);
        let mut result = connection_log::query::list(
            &state.db,
            Lookups {
                entitlements: &state.entitlements,
                organization_names: &state.organization_names,
            },
            ctx.subject()?,
            &filter,
            &PageRequest {
                offset,
                limit,
                first,
                after,
            },
            count,
            people(&selection),
        )
        .await?;
        // The users came with the page (and its total); organizations are remembered by the
        // process once read.
        let orgs = organizations(&selection, &result.rows);
        preload_page(ctx.loader()?, std::mem::take(&mut result.users), orgs).await?;
        let total = result.total;
        let parts = LogConnectionParts::build(
            &selection,
            result,
            total,
            cap,
            connection_log::query::encode_cursor,
            ConnectionLog,
            |cursor, node| ConnectionLogEdge { cursor, node },
        );
        Ok(ConnectionLogConnection {
            nodes: PageNodes(parts.nodes),
            edges: parts.edges,
            page_info: parts.page_info,
            total_count: parts.total_count,
            count_cap: parts.count_cap,
        })
    }
}
