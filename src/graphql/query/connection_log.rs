//! The connection log query.

use std::collections::HashSet;

use async_graphql::{Context, Object};
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        FieldError,
        connection_log::{self, query::Page},
        license::FeatureName,
    },
    graphql::{
        context::ContextExt,
        error::{ApiError, Result},
        loaders::{OrganizationId, UserId},
        pagination::OffsetPage,
        types::{ConnectionLog, ConnectionLogConnection, ConnectionLogEdge, PageInfo},
    },
};

/// Cursors are opaque to clients: base64 of the row's connect time and id.
fn encode_cursor(row: &crate::entity::connection_log::Model) -> String {
    let raw = format!(
        "{}|{}",
        row.connect_time
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        row.id
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (time, id) = raw.split_once('|')?;
    Some((
        DateTime::parse_from_rfc3339(time).ok()?.to_utc(),
        Uuid::parse_str(id).ok()?,
    ))
}

/// Loads the organizations and users a page's selection asks for, in one batch each, so
/// the nested fields read the request's loader cache: a page costs the same statements
/// whatever its size, independent of the loader's batching window. Nothing is loaded for
/// fields the query does not select.
async fn preload_related(
    ctx: &Context<'_>,
    rows: &[crate::entity::connection_log::Model],
) -> Result<()> {
    let selection = ctx.look_ahead();
    let selects = |path: &[&str]| {
        [
            selection.field("nodes"),
            selection.field("edges").field("node"),
        ]
        .into_iter()
        .any(|node| path.iter().fold(node, |s, field| s.field(field)).exists())
    };
    let mut orgs = HashSet::new();
    if selects(&["organization"]) {
        orgs.extend(rows.iter().map(|r| OrganizationId(r.organization_id)));
    }
    let mut users = HashSet::new();
    if selects(&["workspaceOwner"]) {
        users.extend(rows.iter().map(|r| UserId(r.workspace_owner_id)));
    }
    if selects(&["webInfo", "user"]) {
        users.extend(rows.iter().filter_map(|r| r.user_id.map(UserId)));
    }
    let loader = ctx.loader()?;
    let (loaded_orgs, loaded_users) = tokio::join!(
        async {
            if orgs.is_empty() {
                return Ok(Default::default());
            }
            loader.load_many(orgs).await
        },
        async {
            if users.is_empty() {
                return Ok(Default::default());
            }
            loader.load_many(users).await
        },
    );
    loaded_orgs?;
    loaded_users?;
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
        let subject = ctx.subject()?;
        // The license gate comes before any input check, as Coder's route middleware does.
        state.entitlements.require(FeatureName::ConnectionLog)?;
        let page = match (first, &after) {
            (None, None) => {
                let page = OffsetPage::parse(offset.unwrap_or(0), limit)?;
                Page::Offset {
                    offset: page.offset,
                    limit: page.limit,
                }
            }
            _ => {
                if offset.is_some() || limit.is_some() {
                    return Err(ApiError::invalid(
                        "Use either offset/limit or first/after.",
                        vec![FieldError::new(
                            "first",
                            "cannot be combined with offset or limit",
                        )],
                    ));
                }
                let size = OffsetPage::parse(0, first)?.limit;
                let after = match &after {
                    Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                        ApiError::invalid(
                            "Invalid cursor.",
                            vec![FieldError::new("after", "not a cursor of this list")],
                        )
                    })?),
                    None => None,
                };
                Page::After { after, first: size }
            }
        };
        let cap = state.connection_log_count_cap;
        let result = connection_log::query::list(
            &state.db,
            &state.entitlements,
            subject,
            &filter,
            page,
            cap,
        )
        .await?;
        preload_related(ctx, &result.rows).await?;
        let edges: Vec<ConnectionLogEdge> = result
            .rows
            .iter()
            .map(|row| ConnectionLogEdge {
                cursor: encode_cursor(row),
                node: ConnectionLog(row.clone()),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: result.has_next_page,
            has_previous_page: matches!(page, Page::Offset { offset, .. } if offset > 0),
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Ok(ConnectionLogConnection {
            nodes: result.rows.into_iter().map(ConnectionLog).collect(),
            edges,
            page_info,
            total_count: i32::try_from(result.total_count).unwrap_or(i32::MAX),
            count_cap: i32::try_from(cap).unwrap_or(i32::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let row = crate::entity::connection_log::Model {
            id: Uuid::new_v4(),
            connect_time: Utc::now(),
            organization_id: Uuid::nil(),
            workspace_owner_id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            workspace_name: String::new(),
            agent_name: String::new(),
            r#type: "ssh".into(),
            ip: None,
            code: None,
            user_agent: None,
            user_id: None,
            slug_or_port: None,
            connection_id: None,
            disconnect_time: None,
            disconnect_reason: None,
        };
        assert_eq!(
            decode_cursor(&encode_cursor(&row)),
            Some((row.connect_time, row.id))
        );
        assert_eq!(decode_cursor("garbage"), None);
    }
}
