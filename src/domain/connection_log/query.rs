//! Listing the connection log: the filter and authorization become SQL (rows a caller may
//! not read never leave the database), pages are in `connect_time DESC, id DESC` order, by
//! offset or by keyset cursor (a deep page costs what the first costs), and the total comes
//! from a separate count query, capped so it never scans millions of rows.

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use super::{
    ConnectionLogFilter, ConnectionStatus, ConnectionType, OrganizationRef, UserRef, search,
};
use crate::{
    authz::{Action, ReadScope, Resource, Subject},
    domain::{
        FieldError,
        license::{FeatureName, service::EntitlementsService},
        paging::{self, PageError},
    },
    entity::{connection_log, organization, user},
};

/// What can go wrong listing the log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The filter is invalid; every problem is listed.
    #[error("Invalid connection search query.")]
    InvalidQuery(Vec<FieldError>),
    /// Offset or page size out of range.
    #[error(transparent)]
    InvalidPage(#[from] PageError),
    /// Offset paging and cursor paging were mixed.
    #[error("Use either offset/limit or first/after.")]
    MixedPaging(FieldError),
    /// `after` is not a cursor of this list.
    #[error("Invalid cursor.")]
    InvalidCursor(FieldError),
    /// The deployment is not licensed for the connection log.
    #[error(transparent)]
    NotEntitled(#[from] crate::domain::license::service::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// The paging arguments as the client gave them: `offset`/`limit`, or `first`/`after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to skip (offset paging).
    pub offset: Option<i32>,
    /// Rows to return (offset paging).
    pub limit: Option<i32>,
    /// Rows to return (cursor paging).
    pub first: Option<i32>,
    /// The cursor of the previous page's last row (cursor paging).
    pub after: Option<String>,
}

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Skip `offset` rows, return `limit`.
    Offset {
        /// Rows to skip.
        offset: u64,
        /// Rows to return.
        limit: u64,
    },
    /// Keyset: the `first` rows after the row at `after` (connect time, id), or from the top.
    After {
        /// The last row of the previous page.
        after: Option<(DateTime<Utc>, Uuid)>,
        /// Rows to return.
        first: u64,
    },
}

/// A page of the log.
#[derive(Debug, Clone, Default)]
pub struct LogPage {
    /// The rows, newest first.
    pub rows: Vec<connection_log::Model>,
    /// Rows matching in all, capped at `count_cap + 1` when a cap is set.
    pub total_count: u64,
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page (false when unknown, for cursor pages).
    pub has_previous_page: bool,
}

/// Cursors are opaque to clients: base64 of the row's connect time and id.
pub fn encode_cursor(row: &connection_log::Model) -> String {
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

impl Page {
    /// Checks the paging arguments: offset paging unless `first` or `after` is given, and
    /// never both kinds at once.
    pub fn parse(request: &PageRequest) -> Result<Self, Error> {
        if request.first.is_none() && request.after.is_none() {
            let (offset, limit) =
                paging::check_offset_limit(request.offset.unwrap_or(0), request.limit)?;
            return Ok(Page::Offset { offset, limit });
        }
        if request.offset.is_some() || request.limit.is_some() {
            return Err(Error::MixedPaging(FieldError::new(
                "first",
                "cannot be combined with offset or limit",
            )));
        }
        let (_, first) = paging::check_offset_limit(0, request.first)?;
        let after = match &request.after {
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                Error::InvalidCursor(FieldError::new("after", "not a cursor of this list"))
            })?),
            None => None,
        };
        Ok(Page::After { after, first })
    }
}

fn col(c: connection_log::Column) -> Expr {
    Expr::col((connection_log::Entity, c))
}

fn users_where(cond: Expr) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(cond)
        .to_owned()
}

fn lower(column: user::Column) -> Expr {
    Expr::expr(Func::lower(Expr::col((user::Entity, column))))
}

/// The organization an `organization:` filter names, looked up as the caller: one it may
/// not read does not exist. `Ok(None)` when the filter names no organization.
async fn organization_named(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &ConnectionLogFilter,
) -> Result<Result<Option<Uuid>, FieldError>, sea_orm::DbErr> {
    let name = match &filter.organization {
        Some(OrganizationRef::Id(id)) => return Ok(Ok(Some(*id))),
        Some(OrganizationRef::Name(name)) => name,
        None => return Ok(Ok(None)),
    };
    let scope = ReadScope::compute(subject, Action::Read, Resource::Organization);
    let found = organization::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(organization::Column::Name))).eq(name.to_lowercase()),
        )
        .filter(scope.condition(
            Some(Expr::col((organization::Entity, organization::Column::Id))),
            None,
        ))
        .one(db)
        .await?;
    Ok(found
        .map(|org| Some(org.id))
        .ok_or_else(|| search::organization_not_found(name)))
}

/// Parses the search string and resolves its organization, reporting every problem at
/// once in Coder's key order (the organization's first).
async fn parse_and_resolve(
    db: &impl ConnectionTrait,
    subject: &Subject,
    search: &str,
) -> Result<(ConnectionLogFilter, Option<Uuid>), Error> {
    let (filter, mut errors) = search::parse_search_query_partially(search);
    let organization = match organization_named(db, subject, &filter).await? {
        Ok(id) => id,
        Err(unknown) => {
            errors.insert(0, unknown);
            None
        }
    };
    if errors.is_empty() {
        Ok((filter, organization))
    } else {
        Err(Error::InvalidQuery(errors))
    }
}

/// Turns the parsed filter into SQL, resolving `me` to the caller.
fn filter_condition(
    subject: &Subject,
    filter: &ConnectionLogFilter,
    organization_id: Option<Uuid>,
) -> Condition {
    let mut cond = Condition::all();
    if let Some(id) = organization_id {
        cond = cond.add(col(connection_log::Column::OrganizationId).eq(id));
    }
    let live_user_named = |name: &str| {
        users_where(
            lower(user::Column::Username)
                .eq(name.to_lowercase())
                .and(Expr::col(user::Column::Deleted).eq(false)),
        )
    };
    match &filter.workspace_owner {
        Some(UserRef::Me) => {
            cond = cond.add(col(connection_log::Column::WorkspaceOwnerId).eq(subject.user_id))
        }
        Some(UserRef::Username(name)) => {
            cond = cond.add(
                col(connection_log::Column::WorkspaceOwnerId).in_subquery(live_user_named(name)),
            );
        }
        None => {}
    }
    if let Some(email) = &filter.workspace_owner_email {
        // A deliberate difference: emails compare case-insensitively (Coder compares exactly).
        let owners = users_where(
            lower(user::Column::Email)
                .eq(email.to_lowercase())
                .and(Expr::col(user::Column::Deleted).eq(false)),
        );
        cond = cond.add(col(connection_log::Column::WorkspaceOwnerId).in_subquery(owners));
    }
    if let Some(kind) = filter.connection_type {
        cond = cond.add(col(connection_log::Column::Type).eq(kind.as_str()));
    }
    match &filter.username {
        Some(UserRef::Me) => {
            cond = cond.add(col(connection_log::Column::UserId).eq(subject.user_id))
        }
        Some(UserRef::Username(name)) => {
            cond = cond.add(col(connection_log::Column::UserId).in_subquery(live_user_named(name)));
        }
        None => {}
    }
    if let Some(email) = &filter.user_email {
        // The requester may have been deleted since; Coder still matches them.
        let requesters = users_where(lower(user::Column::Email).eq(email.to_lowercase()));
        cond = cond.add(col(connection_log::Column::UserId).in_subquery(requesters));
    }
    if let Some(after) = filter.connected_after {
        cond = cond.add(col(connection_log::Column::ConnectTime).gte(after));
    }
    if let Some(before) = filter.connected_before {
        cond = cond.add(col(connection_log::Column::ConnectTime).lte(before));
    }
    if let Some(id) = filter.workspace_id {
        cond = cond.add(col(connection_log::Column::WorkspaceId).eq(id));
    }
    if let Some(id) = filter.connection_id {
        cond = cond.add(col(connection_log::Column::ConnectionId).eq(id));
    }
    if let Some(status) = filter.status {
        // Web events have no session to be ongoing or completed.
        let web: Vec<&str> = ConnectionType::ALL
            .iter()
            .filter(|t| t.is_web())
            .map(|t| t.as_str())
            .collect();
        cond = cond.add(col(connection_log::Column::Type).is_not_in(web));
        cond = cond.add(match status {
            ConnectionStatus::Ongoing => col(connection_log::Column::DisconnectTime).is_null(),
            ConnectionStatus::Completed => {
                col(connection_log::Column::DisconnectTime).is_not_null()
            }
        });
    }
    cond
}

/// A page of the log entries `subject` may read that match the search string `search`.
/// Callers that may read nothing get an empty page, not an error. `count_cap` 0 counts
/// exactly.
pub async fn list(
    db: &impl ConnectionTrait,
    entitlements: &EntitlementsService,
    subject: &Subject,
    search: &str,
    page: &PageRequest,
    count_cap: u64,
) -> Result<LogPage, Error> {
    // The license gate comes before any input check, as Coder's route middleware does.
    entitlements.require(FeatureName::ConnectionLog)?;
    let page = Page::parse(page)?;
    let has_previous_page = matches!(page, Page::Offset { offset, .. } if offset > 0);
    let scope = ReadScope::compute(subject, Action::Read, Resource::ConnectionLog);
    let (filter, organization_id) = parse_and_resolve(db, subject, search).await?;
    let condition = filter_condition(subject, &filter, organization_id);
    if scope.is_nothing() {
        return Ok(LogPage {
            has_previous_page,
            ..LogPage::default()
        });
    }
    let visible = Condition::all()
        .add(scope.condition(Some(col(connection_log::Column::OrganizationId)), None))
        .add(condition);

    let matching = connection_log::Entity::find().filter(visible.clone());
    let total_count = if count_cap == 0 {
        matching.count(db).await?
    } else {
        // Count at most cap + 1 rows: "2,000+" needs no full scan.
        let capped = Query::select()
            .expr(Expr::val(1))
            .from(connection_log::Entity)
            .cond_where(visible.clone())
            .limit(count_cap + 1)
            .to_owned();
        let statement = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from_subquery(capped, "capped")
            .to_owned();
        let row = db.query_one(&statement).await?;
        row.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .map_or(0, |n| u64::try_from(n).unwrap_or(0))
    };
    if total_count == 0 {
        return Ok(LogPage {
            has_previous_page,
            ..LogPage::default()
        });
    }

    let ordered = connection_log::Entity::find()
        .filter(visible)
        .order_by_desc(connection_log::Column::ConnectTime)
        .order_by_desc(connection_log::Column::Id);
    let (rows, has_next_page) = match page {
        Page::Offset { offset, limit } => {
            let rows = ordered.offset(offset).limit(limit + 1).all(db).await?;
            split_extra(rows, limit)
        }
        Page::After { after, first } => {
            let keyed = match after {
                // A row-value comparison, not the equivalent OR: both engines seek the
                // (connect_time, id) index to it, so a deep page costs what the first does.
                Some((time, id)) => ordered.filter(
                    Expr::tuple([
                        col(connection_log::Column::ConnectTime),
                        col(connection_log::Column::Id),
                    ])
                    .lt(Expr::tuple([Expr::val(time), Expr::val(id)])),
                ),
                None => ordered,
            };
            let rows = keyed.limit(first + 1).all(db).await?;
            split_extra(rows, first)
        }
    };
    Ok(LogPage {
        rows,
        total_count,
        has_next_page,
        has_previous_page,
    })
}

/// Pages are fetched one row longer than asked, which tells whether more follow.
fn split_extra(
    mut rows: Vec<connection_log::Model>,
    size: u64,
) -> (Vec<connection_log::Model>, bool) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let more = rows.len() > size;
    rows.truncate(size);
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let row = connection_log::Model {
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

    #[test]
    fn paging_is_offset_or_cursor_never_both() {
        let request = |offset, limit, first, after: Option<&str>| PageRequest {
            offset,
            limit,
            first,
            after: after.map(str::to_owned),
        };
        assert!(matches!(
            Page::parse(&request(None, None, None, None)),
            Ok(Page::Offset {
                offset: 0,
                limit: 100
            })
        ));
        assert!(matches!(
            Page::parse(&request(None, None, Some(5), None)),
            Ok(Page::After {
                after: None,
                first: 5
            })
        ));
        assert!(matches!(
            Page::parse(&request(Some(1), None, Some(5), None)),
            Err(Error::MixedPaging(_))
        ));
        assert!(matches!(
            Page::parse(&request(None, None, None, Some("garbage"))),
            Err(Error::InvalidCursor(_))
        ));
        // A bad page size is reported before a bad cursor, as it always was.
        assert!(matches!(
            Page::parse(&request(None, None, Some(0), Some("garbage"))),
            Err(Error::InvalidPage(_))
        ));
        assert!(matches!(
            Page::parse(&request(Some(-1), Some(0), None, None)),
            Err(Error::InvalidPage(PageError(errors))) if errors.len() == 2
        ));
    }
}
