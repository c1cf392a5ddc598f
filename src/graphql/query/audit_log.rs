//! The audit log query.

use std::collections::HashSet;

use async_graphql::{Context, Lookahead, Object};

use crate::{
    domain::{
        audit::query::{self, encode_cursor},
        log_paging::PageRequest,
        search::resolve::Lookups,
    },
    entity::audit_log,
    graphql::{
        context::ContextExt,
        error::Result,
        loaders::{OrganizationId, preload_page},
        pagination::{LogConnectionParts, OffsetPage, count_for, entries_select},
        types::{AuditLog, AuditLogConnection, AuditLogEdge, PageNodes},
    },
};

/// The organizations of the page's entries, when the selection shows them.
fn organizations(selection: &Lookahead<'_>, rows: &[audit_log::Model]) -> HashSet<OrganizationId> {
    if entries_select(selection, &["organization"]) {
        rows.iter()
            .filter_map(|r| r.organization_id.map(OrganizationId))
            .collect()
    } else {
        HashSet::new()
    }
}

/// Audit log queries.
#[derive(Default)]
pub struct AuditLogQuery;

#[Object]
impl AuditLogQuery {
    /// Who changed what, newest first. `filter` is Coder's audit search string
    /// (`resource_type:workspace`, `action:delete`, `username:me`, `date_from:2024-01-31`, …;
    /// a bare word is a resource type). Page by `offset`/`limit` (default 100, at most 1000)
    /// or by cursor with `first`/`after`. Owners and auditors see every entry, organization
    /// admins and auditors their organizations' entries. Needs the `audit_log` license
    /// feature.
    #[graphql(complexity = "OffsetPage::cost(first.or(limit), child_complexity)")]
    async fn audit_logs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Search string.", default)] filter: String,
        #[graphql(desc = "Rows to skip (offset paging).")] offset: Option<i32>,
        #[graphql(desc = "Rows to return (offset paging): 1 to 1000, default 100.")] limit: Option<
            i32,
        >,
        #[graphql(desc = "Rows to return (cursor paging): 1 to 1000.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<AuditLogConnection> {
        let state = ctx.state()?;
        let cap = state.audit_log_count_cap;
        let selection = ctx.look_ahead();
        // Only what the selection reads is computed: no count without `totalCount`, no
        // cursors without `edges`, no copies of rows for a list not asked for.
        let count = count_for(&selection, cap);
        let mut result = query::list(
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
            entries_select(&selection, &["user"]),
        )
        .await?;
        // The actors came with the page (and its total); organizations are remembered by the
        // process once read.
        let orgs = organizations(&selection, &result.rows);
        preload_page(ctx.loader()?, std::mem::take(&mut result.users), orgs).await?;
        let total = result.total;
        let parts = LogConnectionParts::build(
            &selection,
            result,
            total,
            cap,
            encode_cursor,
            AuditLog,
            |cursor, node| AuditLogEdge { cursor, node },
        );
        Ok(AuditLogConnection {
            nodes: PageNodes(parts.nodes),
            edges: parts.edges,
            page_info: parts.page_info,
            total_count: parts.total_count,
            count_cap: parts.count_cap,
        })
    }
}
