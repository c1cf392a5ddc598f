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
        loaders::{OrganizationId, feed_users, preload_organizations},
        pagination::{LogConnectionParts, OffsetPage, count_for},
        types::{ConnectionLog, ConnectionLogConnection, ConnectionLogEdge, PageNodes},
    },
};

/// Whether the page's entries select `path` (through `nodes` or `edges`).
fn selects(selection: &Lookahead<'_>, path: &[&str]) -> bool {
    [
        selection.field("nodes"),
        selection.field("edges").field("node"),
    ]
    .into_iter()
    .any(|node| path.iter().fold(node, |s, field| s.field(field)).exists())
}

/// The users the selection shows, which the page reads with its rows; nothing is read
/// for fields the query does not select.
fn people(selection: &Lookahead<'_>) -> People {
    People {
        owners: selects(selection, &["workspaceOwner"]),
        requesters: selects(selection, &["webInfo", "user"]),
    }
}

/// Puts the page's users and organizations in the request's loader cache, so the nested
/// fields read them there: a page costs the same statements whatever its size. The users
/// came with the page; organizations are remembered by the process once read.
async fn preload_related(
    ctx: &Context<'_>,
    rows: &[crate::entity::connection_log::Model],
    users: Vec<crate::entity::user::Model>,
) -> Result<()> {
    let loader = ctx.loader()?;
    feed_users(loader, users).await;
    let orgs: HashSet<OrganizationId> = if selects(&ctx.look_ahead(), &["organization"]) {
        rows.iter()
            .map(|r| OrganizationId(r.organization_id))
            .collect()
    } else {
        HashSet::new()
    };
    preload_organizations(loader, orgs).await?;
    Ok(())
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
        // The count, when one must run, goes alongside the page's nested objects.
        let users = std::mem::take(&mut result.users);
        let (total, loaded) = tokio::join!(
            std::mem::take(&mut result.total).resolve(&state.db),
            preload_related(ctx, &result.rows, users)
        );
        let total = total?;
        loaded?;
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
