//! Listing the audit log: the search and authorization become SQL (rows a caller may not
//! read never leave the database), pages are in `time DESC, id DESC` order by offset or
//! cursor, and the total is a capped count made only when asked for; the paging and the
//! count are the logs' shared [`log_paging`].
//!
//! Owners and site auditors read every row; organization admins and auditors the rows of
//! their organizations (site-wide rows, which have no organization, are not theirs); anyone
//! else gets an empty page. Usernames and emails are resolved to user ids first, so that each
//! frequent filter is an equality on a column the audit-log search migration indexes
//! together with the list order.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, Condition, ConnectionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::search::{self, AuditLogFilter};
use crate::{
    authz::{Action, ReadScope, Resource, Subject},
    domain::{
        FieldError,
        identity::OrganizationNames,
        license::FeatureName,
        log_paging::{self, Count, Page, PageRequest, TimeOrdered},
        search::resolve::{self, Lookups, MatchedUsers, intersect},
    },
    entity::audit_log,
};

/// What can go wrong listing the audit log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The search is invalid; every problem is listed.
    #[error("Invalid audit search query.")]
    InvalidQuery(Vec<FieldError>),
    /// The paging arguments are invalid.
    #[error(transparent)]
    Paging(#[from] log_paging::Error),
    /// The deployment is not licensed for the audit log.
    #[error(transparent)]
    NotEntitled(#[from] crate::domain::license::service::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl TimeOrdered for audit_log::Entity {
    fn time_column() -> audit_log::Column {
        audit_log::Column::Time
    }

    fn id_column() -> audit_log::Column {
        audit_log::Column::Id
    }

    fn key(row: &audit_log::Model) -> (DateTime<Utc>, Uuid) {
        (row.time, row.id)
    }
}

/// A page of the audit log.
pub type AuditLogPage = log_paging::LogPage<audit_log::Model>;

/// A row's cursor: opaque to clients.
pub fn encode_cursor(row: &audit_log::Model) -> String {
    log_paging::cursor_of::<audit_log::Entity>(row)
}

fn col(c: audit_log::Column) -> Expr {
    Expr::col((audit_log::Entity, c))
}

/// Parses the search string and resolves its organization, reporting every problem at
/// once, an unknown organization in its key's place.
async fn parse_and_resolve(
    db: &impl ConnectionTrait,
    names: &OrganizationNames,
    subject: &Subject,
    search: &str,
) -> Result<(AuditLogFilter, Option<Uuid>), Error> {
    let mut parsed = search::parse_search_query_partially(search);
    let organization =
        match resolve::organization(db, names, subject, parsed.filter.organization.as_ref()).await?
        {
            Ok(id) => id,
            Err(unknown) => {
                parsed.errors.insert(parsed.organization_error_at, unknown);
                None
            }
        };
    if parsed.errors.is_empty() {
        Ok((parsed.filter, organization))
    } else {
        Err(Error::InvalidQuery(parsed.errors))
    }
}

/// The actors `username:` and `email:` name together (both must hold), resolved in one
/// statement; `None` when the search names no actor.
async fn named_actors(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &AuditLogFilter,
) -> Result<Option<Vec<Uuid>>, sea_orm::DbErr> {
    let names: Vec<_> = filter.username.iter().collect();
    let emails: Vec<&str> = filter.email.iter().map(String::as_str).collect();
    let users = MatchedUsers::fetch(db, &names, &emails).await?;
    let by_name = filter
        .username
        .as_ref()
        .map(|user| users.named(user, subject));
    // Deleted users' rows still match their email, as in Coder, which joins the actor
    // whatever its state; the comparison ignores case, unlike Coder's.
    let by_email = filter
        .email
        .as_ref()
        .map(|email| users.with_email(email, true));
    Ok(intersect(by_name, by_email))
}

/// Turns the parsed filter into SQL.
fn filter_condition(
    filter: &AuditLogFilter,
    organization_id: Option<Uuid>,
    actors: Option<&[Uuid]>,
) -> Condition {
    let mut cond = Condition::all();
    if let Some(id) = filter.request_id {
        // Request ids are stored as the text of the `x-request-id` header, which the server
        // generates as a hyphenated lower-case UUID.
        cond = cond.add(col(audit_log::Column::RequestId).eq(id.to_string()));
    }
    if let Some(id) = filter.resource_id {
        cond = cond.add(col(audit_log::Column::ResourceId).eq(id));
    }
    if let Some(target) = &filter.resource_target {
        cond = cond.add(col(audit_log::Column::ResourceTarget).eq(target.as_str()));
    }
    if let Some(ids) = actors {
        cond = cond.add(match ids {
            [id] => col(audit_log::Column::UserId).eq(*id),
            _ => col(audit_log::Column::UserId).is_in(ids.iter().copied()),
        });
    }
    if let Some(from) = filter.date_from {
        cond = cond.add(col(audit_log::Column::Time).gte(from));
    }
    if let Some(to) = filter.date_to {
        cond = cond.add(col(audit_log::Column::Time).lte(to));
    }
    if let Some(id) = organization_id {
        cond = cond.add(col(audit_log::Column::OrganizationId).eq(id));
    }
    if let Some(kind) = filter.resource_type {
        cond = cond.add(col(audit_log::Column::ResourceType).eq(kind.as_str()));
    }
    if let Some(action) = filter.action {
        cond = cond.add(col(audit_log::Column::Action).eq(action.to_value()));
    }
    if let Some(reason) = filter.build_reason {
        cond = cond.add(col(audit_log::Column::BuildReason).eq(reason.to_value()));
    }
    cond
}

/// A page of the audit rows `subject` may read that match the search string `search`, with
/// their actors when `with_actors` (read by the page's statement) and the total `count` asks
/// for (to be resolved by the caller). Callers that may read nothing get an empty page, not
/// an error.
pub async fn list(
    db: &impl ConnectionTrait,
    lookups: Lookups<'_>,
    subject: &Subject,
    search: &str,
    page: &PageRequest,
    count: Count,
    with_actors: bool,
) -> Result<AuditLogPage, Error> {
    // The license gate comes before any input check, as Coder's route middleware does.
    lookups.entitlements.require(FeatureName::AuditLog)?;
    let page = Page::parse(page)?;
    let scope = ReadScope::compute(subject, Action::Read, Resource::AuditLog);
    let (filter, organization_id) =
        parse_and_resolve(db, lookups.organization_names, subject, search).await?;
    if scope.is_nothing() {
        return Ok(AuditLogPage::empty(page, count));
    }
    let actors = named_actors(db, subject, &filter).await?;
    if actors.as_ref().is_some_and(Vec::is_empty) {
        return Ok(AuditLogPage::empty(page, count));
    }
    let visible = Condition::all()
        .add(scope.condition(Some(col(audit_log::Column::OrganizationId)), None))
        .add(filter_condition(
            &filter,
            organization_id,
            actors.as_deref(),
        ));
    let people: &[audit_log::Column] = if with_actors {
        &[audit_log::Column::UserId]
    } else {
        &[]
    };
    Ok(log_paging::fetch::<audit_log::Entity>(db, visible, page, count, people).await?)
}
