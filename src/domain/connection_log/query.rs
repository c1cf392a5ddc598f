//! Listing the connection log: the filter and authorization become SQL (rows a caller may
//! not read never leave the database), pages are in `connect_time DESC, id DESC` order, by
//! offset or by keyset cursor (a deep page costs what the first costs), and the total comes
//! from a separate count query, capped so it never scans millions of rows, and run only when
//! the caller asks for a total that the page itself does not tell.
//!
//! Every filter is shaped for an index (the connection-log indexes' migration says which
//! serves which): names and emails are resolved to user ids first, so each condition is an
//! equality or a range on an indexed column, and constants that select a partial index are
//! written into the SQL rather than bound, because a partial index is only chosen when the
//! query's condition visibly implies the index's.

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
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
        identity::OrganizationNames,
        license::{FeatureName, service::EntitlementsService},
        paging::{self, PageError},
    },
    entity::{connection_log, user},
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

/// Whether a page comes with the number of rows matching in all, and how exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// No total: the caller did not ask for one, so no count runs.
    Skip,
    /// The exact total.
    Exact,
    /// The total up to `cap + 1`, which a client shows as "cap+".
    Capped(u64),
}

impl Count {
    /// The count a configured cap asks for when a total is wanted (a cap of 0 counts
    /// exactly).
    pub fn with_cap(cap: u64) -> Self {
        if cap == 0 {
            Count::Exact
        } else {
            Count::Capped(cap)
        }
    }

    fn limit(self, total: u64) -> u64 {
        match self {
            Count::Capped(cap) => Ord::min(total, cap.saturating_add(1)),
            Count::Skip | Count::Exact => total,
        }
    }
}

/// A page of the log.
#[derive(Debug, Clone, Default)]
pub struct LogPage {
    /// The rows, newest first.
    pub rows: Vec<connection_log::Model>,
    /// Rows matching in all (capped at `cap + 1` with [`Count::Capped`]), when asked for.
    pub total: Total,
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page (false when unknown, for cursor pages).
    pub has_previous_page: bool,
}

/// The total of a page: known, not asked for, or a count still to run.
#[derive(Debug, Clone, Default)]
pub enum Total {
    /// No count was asked for.
    #[default]
    NotAsked,
    /// The page told it, or nothing can match.
    Known(u64),
    /// The count query, left for the caller to run alongside whatever else it loads for the
    /// page (its nested objects), rather than before it.
    Pending(PendingCount),
}

/// A count of the rows a filter matches, not yet run.
#[derive(Debug, Clone)]
pub struct PendingCount {
    visible: Condition,
    count: Count,
}

impl Total {
    /// The total, running the count if it is still pending; `None` when not asked for.
    pub async fn resolve(self, db: &impl ConnectionTrait) -> Result<Option<u64>, Error> {
        Ok(match self {
            Total::NotAsked => None,
            Total::Known(total) => Some(total),
            Total::Pending(pending) => Some(
                pending
                    .count
                    .limit(count_matching(db, pending.visible, pending.count).await?),
            ),
        })
    }
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

/// The user ids the search's user keys name, each `None` when the search does not filter on
/// it. Both keys of a role (name or `me`, and email) must hold, so their ids intersect.
#[derive(Debug, Default)]
struct NamedUsers {
    /// `workspace_owner:` and `workspace_owner_email:`.
    owners: Option<Vec<Uuid>>,
    /// `username:` and `user_email:`.
    requesters: Option<Vec<Uuid>>,
}

impl NamedUsers {
    /// Whether a user key names nobody, so nothing can match.
    fn names_nobody(&self) -> bool {
        [&self.owners, &self.requesters]
            .into_iter()
            .any(|ids| ids.as_ref().is_some_and(Vec::is_empty))
    }
}

/// A user's id, lower-cased username and email, and whether it is deleted.
type UserRow = (Uuid, String, String, bool);

fn intersect(a: Option<Vec<Uuid>>, b: Option<Vec<Uuid>>) -> Option<Vec<Uuid>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.into_iter().filter(|id| b.contains(id)).collect()),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Resolves the search's usernames and emails to user ids in one statement (none when the
/// search names no user), so the log is then filtered by an indexed id.
async fn named_users(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &ConnectionLogFilter,
) -> Result<NamedUsers, sea_orm::DbErr> {
    let name_of = |user: &Option<UserRef>| match user {
        Some(UserRef::Username(name)) => Some(name.to_lowercase()),
        _ => None,
    };
    let names: Vec<String> = [name_of(&filter.workspace_owner), name_of(&filter.username)]
        .into_iter()
        .flatten()
        .collect();
    let emails: Vec<String> = [&filter.workspace_owner_email, &filter.user_email]
        .into_iter()
        .flatten()
        .map(|e| e.to_lowercase())
        .collect();
    let rows: Vec<UserRow> = if names.is_empty() && emails.is_empty() {
        Vec::new()
    } else {
        let mut any = Condition::any();
        if !names.is_empty() {
            any = any.add(
                lower(user::Column::Username)
                    .is_in(names)
                    .and(Expr::col(user::Column::Deleted).eq(false)),
            );
        }
        if !emails.is_empty() {
            any = any.add(lower(user::Column::Email).is_in(emails));
        }
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .expr(lower(user::Column::Username))
            .expr(lower(user::Column::Email))
            .column(user::Column::Deleted)
            .filter(any)
            .into_tuple()
            .all(db)
            .await?
    };
    // The statement compared the same lower-cased strings, so equal strings here are the
    // rows it matched for each value.
    let ids = |matches: &dyn Fn(&UserRow) -> bool| -> Vec<Uuid> {
        rows.iter().filter(|r| matches(r)).map(|r| r.0).collect()
    };
    let by_name = |user: &Option<UserRef>| match user {
        Some(UserRef::Me) => Some(vec![subject.user_id]),
        Some(UserRef::Username(name)) => {
            let name = name.to_lowercase();
            Some(ids(&|r| !r.3 && r.1 == name))
        }
        None => None,
    };
    let owners_by_email = filter.workspace_owner_email.as_ref().map(|email| {
        // A deliberate difference: emails compare case-insensitively (Coder compares exactly).
        let email = email.to_lowercase();
        ids(&|r| !r.3 && r.2 == email)
    });
    let requesters_by_email = filter.user_email.as_ref().map(|email| {
        // The requester may have been deleted since; Coder still matches them.
        let email = email.to_lowercase();
        ids(&|r| r.2 == email)
    });
    Ok(NamedUsers {
        owners: intersect(by_name(&filter.workspace_owner), owners_by_email),
        requesters: intersect(by_name(&filter.username), requesters_by_email),
    })
}

fn lower(column: user::Column) -> Expr {
    Expr::expr(Func::lower(Expr::col((user::Entity, column))))
}

/// The organization an `organization:` filter names, looked up as the caller: one it may
/// not read does not exist. `Ok(None)` when the filter names no organization.
async fn organization_named(
    db: &impl ConnectionTrait,
    names: &OrganizationNames,
    subject: &Subject,
    filter: &ConnectionLogFilter,
) -> Result<Result<Option<Uuid>, FieldError>, sea_orm::DbErr> {
    let name = match &filter.organization {
        Some(OrganizationRef::Id(id)) => return Ok(Ok(Some(*id))),
        Some(OrganizationRef::Name(name)) => name,
        None => return Ok(Ok(None)),
    };
    Ok(names
        .resolve(db, subject, name)
        .await?
        .map(Some)
        .ok_or_else(|| search::organization_not_found(name)))
}

/// Parses the search string and resolves its organization, reporting every problem at
/// once in Coder's key order (the organization's first).
async fn parse_and_resolve(
    db: &impl ConnectionTrait,
    names: &OrganizationNames,
    subject: &Subject,
    search: &str,
) -> Result<(ConnectionLogFilter, Option<Uuid>), Error> {
    let (filter, mut errors) = search::parse_search_query_partially(search);
    let organization = match organization_named(db, names, subject, &filter).await? {
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

/// `column = id`, or `column IN (ids)` for several.
fn one_of(column: connection_log::Column, ids: &[Uuid]) -> Expr {
    match ids {
        [id] => col(column).eq(*id),
        _ => col(column).is_in(ids.iter().copied()),
    }
}

/// The condition `status:` adds: SSH-like rows (web rows have no session to be ongoing or
/// completed) with or without an end. The types are literals, not bound values, so that
/// the condition visibly implies the ongoing-sessions partial index's predicate.
fn status_condition(status: ConnectionStatus) -> Condition {
    let web = ConnectionType::ALL
        .iter()
        .filter(|t| t.is_web())
        .map(|t| format!("'{}'", t.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let ssh_like = Expr::cust(format!("connection_logs.type NOT IN ({web})"));
    Condition::all()
        .add(match status {
            ConnectionStatus::Ongoing => col(connection_log::Column::DisconnectTime).is_null(),
            ConnectionStatus::Completed => {
                col(connection_log::Column::DisconnectTime).is_not_null()
            }
        })
        .add(ssh_like)
}

/// Turns the parsed filter into SQL.
fn filter_condition(
    filter: &ConnectionLogFilter,
    organization_id: Option<Uuid>,
    users: &NamedUsers,
) -> Condition {
    let mut cond = Condition::all();
    if let Some(id) = organization_id {
        cond = cond.add(col(connection_log::Column::OrganizationId).eq(id));
    }
    if let Some(ids) = &users.owners {
        cond = cond.add(one_of(connection_log::Column::WorkspaceOwnerId, ids));
    }
    if let Some(kind) = filter.connection_type {
        cond = cond.add(col(connection_log::Column::Type).eq(kind.as_str()));
    }
    if let Some(ids) = &users.requesters {
        cond = cond.add(one_of(connection_log::Column::UserId, ids));
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
        cond = cond.add(status_condition(status));
    }
    cond
}

/// Counts the rows matching `visible`: all of them, or at most `cap + 1` by counting a
/// subquery limited to that many, which reads no more index entries than that.
async fn count_matching(
    db: &impl ConnectionTrait,
    visible: Condition,
    count: Count,
) -> Result<u64, sea_orm::DbErr> {
    let statement = match count {
        Count::Skip => return Ok(0),
        Count::Exact => Query::select()
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(connection_log::Entity)
            .cond_where(visible)
            .to_owned(),
        Count::Capped(cap) => {
            let capped = Query::select()
                .expr(Expr::val(1))
                .from(connection_log::Entity)
                .cond_where(visible)
                .limit(cap.saturating_add(1))
                .to_owned();
            Query::select()
                .expr_as(Expr::cust("COUNT(*)"), "n")
                .from_subquery(capped, "capped")
                .to_owned()
        }
    };
    let row = db.query_one(&statement).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// The total the page itself tells, without a count: a page that starts at the top, or an
/// offset page that reached the last row, knows every row before and in it.
fn total_from_page(page: Page, rows: usize, has_next_page: bool) -> Option<u64> {
    let rows = u64::try_from(rows).unwrap_or(u64::MAX);
    match page {
        _ if has_next_page => None,
        Page::Offset { offset, .. } if offset == 0 || rows > 0 => Some(offset + rows),
        Page::After { after: None, .. } => Some(rows),
        _ => None,
    }
}

/// Where the organization names a search uses are resolved.
pub struct Lookups<'a> {
    /// The license.
    pub entitlements: &'a EntitlementsService,
    /// The process's organization name memo.
    pub organization_names: &'a OrganizationNames,
}

/// A page of the log entries `subject` may read that match the search string `search`,
/// with the total `count` asks for (to be resolved by the caller). Callers that may read
/// nothing get an empty page, not an error.
pub async fn list(
    db: &impl ConnectionTrait,
    lookups: Lookups<'_>,
    subject: &Subject,
    search: &str,
    page: &PageRequest,
    count: Count,
) -> Result<LogPage, Error> {
    // The license gate comes before any input check, as Coder's route middleware does.
    lookups.entitlements.require(FeatureName::ConnectionLog)?;
    let page = Page::parse(page)?;
    let has_previous_page = matches!(page, Page::Offset { offset, .. } if offset > 0);
    let empty = LogPage {
        has_previous_page,
        total: if count == Count::Skip {
            Total::NotAsked
        } else {
            Total::Known(0)
        },
        ..LogPage::default()
    };
    let scope = ReadScope::compute(subject, Action::Read, Resource::ConnectionLog);
    let (filter, organization_id) =
        parse_and_resolve(db, lookups.organization_names, subject, search).await?;
    if scope.is_nothing() {
        return Ok(empty);
    }
    let users = named_users(db, subject, &filter).await?;
    if users.names_nobody() {
        return Ok(empty);
    }
    let visible = Condition::all()
        .add(scope.condition(Some(col(connection_log::Column::OrganizationId)), None))
        .add(filter_condition(&filter, organization_id, &users));

    let ordered = connection_log::Entity::find()
        .filter(visible.clone())
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
                // (…, connect_time, id) index to it, so a deep page costs what the first does.
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
    let total = match (count, total_from_page(page, rows.len(), has_next_page)) {
        (Count::Skip, _) => Total::NotAsked,
        (_, Some(total)) => Total::Known(count.limit(total)),
        (_, None) => Total::Pending(PendingCount { visible, count }),
    };
    Ok(LogPage {
        rows,
        total,
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
