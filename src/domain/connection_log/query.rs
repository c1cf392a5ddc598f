//! Listing the connection log: the filter and authorization become SQL (rows a caller may
//! not read never leave the database), pages are in `connect_time DESC, id DESC` order, by
//! offset or by keyset cursor (a deep page costs what the first costs), and the total is
//! counted, capped so it never scans millions of rows, only when the caller asks for it (the
//! paging and the count are the logs' shared [`log_paging`]).
//!
//! Every filter is shaped for an index (the connection-log indexes' migration says which
//! serves which): names and emails are resolved to user ids first, so each condition is an
//! equality or a range on an indexed column, and constants that select a partial index are
//! written into the SQL rather than bound, because a partial index is only chosen when the
//! query's condition visibly implies the index's.

use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{ConnectionLogFilter, ConnectionStatus, ConnectionType, search};
pub use crate::domain::log_paging::{Count, Page, PageRequest};
pub use crate::domain::search::resolve::Lookups;
use crate::{
    authz::{Action, ReadScope, Resource, Subject},
    domain::{
        FieldError,
        identity::OrganizationNames,
        license::FeatureName,
        log_paging::{self, TimeOrdered},
        search::resolve::{self, MatchedUsers, intersect},
    },
    entity::connection_log,
};

/// What can go wrong listing the log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The filter is invalid; every problem is listed.
    #[error("Invalid connection search query.")]
    InvalidQuery(Vec<FieldError>),
    /// The paging arguments are invalid.
    #[error(transparent)]
    Paging(#[from] log_paging::Error),
    /// The deployment is not licensed for the connection log.
    #[error(transparent)]
    NotEntitled(#[from] crate::domain::license::service::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl TimeOrdered for connection_log::Entity {
    fn time_column() -> connection_log::Column {
        connection_log::Column::ConnectTime
    }

    fn id_column() -> connection_log::Column {
        connection_log::Column::Id
    }

    fn key(row: &connection_log::Model) -> (DateTime<Utc>, Uuid) {
        (row.connect_time, row.id)
    }
}

/// A page of the log.
pub type LogPage = log_paging::LogPage<connection_log::Model>;

/// Cursors are opaque to clients: base64 of the row's connect time and id.
pub fn encode_cursor(row: &connection_log::Model) -> String {
    log_paging::cursor_of::<connection_log::Entity>(row)
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

/// Resolves the search's usernames and emails to user ids in one statement (none when the
/// search names no user), so the log is then filtered by an indexed id.
async fn named_users(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &ConnectionLogFilter,
) -> Result<NamedUsers, sea_orm::DbErr> {
    let names: Vec<_> = [&filter.workspace_owner, &filter.username]
        .into_iter()
        .flatten()
        .collect();
    let emails: Vec<&str> = [&filter.workspace_owner_email, &filter.user_email]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let users = MatchedUsers::fetch(db, &names, &emails).await?;
    let by_name = |user: &Option<_>| user.as_ref().map(|user| users.named(user, subject));
    // A deliberate difference: emails compare case-insensitively (Coder compares exactly).
    let owners_by_email = filter
        .workspace_owner_email
        .as_ref()
        .map(|email| users.with_email(email, false));
    // The requester may have been deleted since; Coder still matches them.
    let requesters_by_email = filter
        .user_email
        .as_ref()
        .map(|email| users.with_email(email, true));
    Ok(NamedUsers {
        owners: intersect(by_name(&filter.workspace_owner), owners_by_email),
        requesters: intersect(by_name(&filter.username), requesters_by_email),
    })
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
    let organization =
        match resolve::organization(db, names, subject, filter.organization.as_ref()).await? {
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

/// Which of its entries' users a page reads along with them, in its own statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct People {
    /// The workspaces' owners.
    pub owners: bool,
    /// The requesters of web connections.
    pub requesters: bool,
}

impl People {
    fn columns(self) -> Vec<connection_log::Column> {
        [
            (self.owners, connection_log::Column::WorkspaceOwnerId),
            (self.requesters, connection_log::Column::UserId),
        ]
        .into_iter()
        .filter_map(|(wanted, column)| wanted.then_some(column))
        .collect()
    }
}

/// A page of the log entries `subject` may read that match the search string `search`,
/// with the `people` asked for and the total `count` asks for (to be resolved by the
/// caller). Callers that may read nothing get an empty page, not an error.
pub async fn list(
    db: &impl ConnectionTrait,
    lookups: Lookups<'_>,
    subject: &Subject,
    search: &str,
    page: &PageRequest,
    count: Count,
    people: People,
) -> Result<LogPage, Error> {
    // The license gate comes before any input check, as Coder's route middleware does.
    lookups.entitlements.require(FeatureName::ConnectionLog)?;
    let page = Page::parse(page)?;
    let scope = ReadScope::compute(subject, Action::Read, Resource::ConnectionLog);
    let (filter, organization_id) =
        parse_and_resolve(db, lookups.organization_names, subject, search).await?;
    if scope.is_nothing() {
        return Ok(LogPage::empty(page, count));
    }
    let users = named_users(db, subject, &filter).await?;
    if users.names_nobody() {
        return Ok(LogPage::empty(page, count));
    }
    let visible = Condition::all()
        .add(scope.condition(Some(col(connection_log::Column::OrganizationId)), None))
        .add(filter_condition(&filter, organization_id, &users));
    Ok(
        log_paging::fetch::<connection_log::Entity>(db, visible, page, count, &people.columns())
            .await?,
    )
}
