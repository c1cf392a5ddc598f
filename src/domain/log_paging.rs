//! Paging of the logs (connection log, audit log): newest first in `time DESC, id DESC`
//! order, by offset or by keyset cursor (a deep page costs what the first costs), and a
//! total from a separate count query, capped so it never scans millions of rows, and run
//! only when the caller asks for a total that the page itself does not tell.
//!
//! A log table says which columns order it ([`TimeOrdered`]); the rest is the same for every
//! log: the arguments ([`PageRequest`] into [`Page`]), the opaque cursors over (time, id),
//! the page query ([`fetch`], which also reads the users the rows name, so that a page and
//! the people it shows cost one statement) and the count ([`Count`], [`Total`]), and retention's
//! deletion of the oldest rows in batches ([`delete_before`]).

use std::collections::HashSet;

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, IdenStatic, Iterable, JoinType, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Expr, ExprTrait, IntoTableRef, Query, TableRef},
};
use uuid::Uuid;

use crate::{
    domain::{
        FieldError,
        paging::{self, PageError},
    },
    entity::{
        cells::{Cells, FromCells},
        user,
    },
};

/// Paging arguments that do not fit together or do not parse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Offset or page size out of range.
    #[error(transparent)]
    InvalidPage(#[from] PageError),
    /// Offset paging and cursor paging were mixed.
    #[error("Use either offset/limit or first/after.")]
    MixedPaging(FieldError),
    /// `after` is not a cursor of this list.
    #[error("Invalid cursor.")]
    InvalidCursor(FieldError),
}

/// A log table: rows ordered newest first by a time column, ties broken by the id.
pub trait TimeOrdered: EntityTrait {
    /// The time a row is listed by.
    fn time_column() -> Self::Column;
    /// The row's unique id.
    fn id_column() -> Self::Column;
    /// A row's time and id, which its cursor encodes.
    fn key(row: &Self::Model) -> (DateTime<Utc>, Uuid);
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
    /// Keyset: the `first` rows after the row at `after` (time, id), or from the top.
    After {
        /// The last row of the previous page.
        after: Option<(DateTime<Utc>, Uuid)>,
        /// Rows to return.
        first: u64,
    },
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

    /// Whether rows precede this page, as far as the page knows (never for cursor pages).
    fn has_previous(self) -> bool {
        matches!(self, Page::Offset { offset, .. } if offset > 0)
    }
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

/// A page of a log.
#[derive(Debug, Clone)]
pub struct LogPage<M> {
    /// The rows, newest first.
    pub rows: Vec<M>,
    /// The users the rows name in the columns the page was asked to read people from, each
    /// once (and perhaps one more, named by the row read past the page).
    pub users: Vec<user::Model>,
    /// Rows matching in all (capped at `cap + 1` with [`Count::Capped`]), when asked for.
    pub total: Total,
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page (false when unknown, for cursor pages).
    pub has_previous_page: bool,
}

impl<M> Default for LogPage<M> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            users: Vec::new(),
            total: Total::default(),
            has_next_page: false,
            has_previous_page: false,
        }
    }
}

impl<M> LogPage<M> {
    /// The page when nothing can match: no rows, and a total of 0 if one was asked for.
    pub fn empty(page: Page, count: Count) -> Self {
        Self {
            has_previous_page: page.has_previous(),
            total: if count == Count::Skip {
                Total::NotAsked
            } else {
                Total::Known(0)
            },
            ..Self::default()
        }
    }
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
    table: TableRef,
    visible: Condition,
    count: Count,
}

impl Total {
    /// The total, running the count if it is still pending; `None` when not asked for.
    pub async fn resolve(self, db: &impl ConnectionTrait) -> Result<Option<u64>, sea_orm::DbErr> {
        Ok(match self {
            Total::NotAsked => None,
            Total::Known(total) => Some(total),
            Total::Pending(pending) => {
                Some(pending.count.limit(
                    count_matching(db, pending.table, pending.visible, pending.count).await?,
                ))
            }
        })
    }
}

/// Cursors are opaque to clients: base64 of the row's time and id.
pub fn encode_cursor(time: DateTime<Utc>, id: Uuid) -> String {
    let raw = format!(
        "{}|{}",
        time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        id
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The row's cursor.
pub fn cursor_of<E: TimeOrdered>(row: &E::Model) -> String {
    let (time, id) = E::key(row);
    encode_cursor(time, id)
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

fn col<E: TimeOrdered>(column: E::Column) -> Expr {
    Expr::col((E::default(), column))
}

/// The page of the rows of `E` matching `visible`, with the total `count` asks for (run
/// now only when the page itself tells it; otherwise left pending for the caller), and the
/// users that the columns `people` of its rows name, read by the page's own statement.
pub async fn fetch<E: TimeOrdered>(
    db: &impl ConnectionTrait,
    visible: Condition,
    page: Page,
    count: Count,
    people: &[E::Column],
) -> Result<LogPage<E::Model>, sea_orm::DbErr>
where
    E::Model: FromCells,
{
    let ordered = E::find()
        .filter(visible.clone())
        .order_by_desc(E::time_column())
        .order_by_desc(E::id_column());
    // The users of the row read only to tell whether more follow come along: harmless.
    let ((rows, has_next_page), users) = match page {
        Page::Offset { offset, limit } => {
            let (rows, users) =
                rows_with_people(db, ordered.offset(offset).limit(limit + 1), people).await?;
            (split_extra(rows, limit), users)
        }
        Page::After { after, first } => {
            let keyed = match after {
                // A row-value comparison, not the equivalent OR: both engines seek the
                // (…, time, id) index to it, so a deep page costs what the first does.
                Some((time, id)) => ordered.filter(
                    Expr::tuple([col::<E>(E::time_column()), col::<E>(E::id_column())])
                        .lt(Expr::tuple([Expr::val(time), Expr::val(id)])),
                ),
                None => ordered,
            };
            let (rows, users) = rows_with_people(db, keyed.limit(first + 1), people).await?;
            (split_extra(rows, first), users)
        }
    };
    let total = match (count, total_from_page(page, rows.len(), has_next_page)) {
        (Count::Skip, _) => Total::NotAsked,
        (_, Some(total)) => Total::Known(count.limit(total)),
        (_, None) => Total::Pending(PendingCount {
            table: E::default().into_table_ref(),
            visible,
            count,
        }),
    };
    Ok(LogPage {
        rows,
        users,
        total,
        has_next_page,
        has_previous_page: page.has_previous(),
    })
}

/// The rows `select` reads, and the users their columns `people` name, each once: one
/// outer join to `users` per column, so a page and the people it shows cost one statement.
/// A user named by several rows (a page's entries often share an owner) is decoded once.
async fn rows_with_people<E: TimeOrdered>(
    db: &impl ConnectionTrait,
    mut select: Select<E>,
    people: &[E::Column],
) -> Result<(Vec<E::Model>, Vec<user::Model>), sea_orm::DbErr>
where
    E::Model: FromCells,
{
    for (n, column) in people.iter().enumerate() {
        let alias = Alias::new(format!("person{n}"));
        select = select.join_as(
            JoinType::LeftJoin,
            E::belongs_to(user::Entity)
                .from(*column)
                .to(user::Column::Id)
                .into(),
            alias.clone(),
        );
        for field in user::Column::iter() {
            select = select.column_as(
                Expr::col((alias.clone(), field)),
                format!("person{n}_{}", field.as_str()),
            );
        }
    }
    // Rows are decoded by position: the entity's columns first, then each person's.
    let results = db.query_all(&select.into_query()).await?;
    let mut rows = Vec::with_capacity(results.len());
    let mut users: Vec<user::Model> = Vec::new();
    let mut seen = HashSet::new();
    for result in &results {
        rows.push(E::Model::from_cells(&mut Cells::at(result, 0))?);
        for n in 0..people.len() {
            let start = E::Model::WIDTH + n * user::Model::WIDTH;
            // The outer join found nobody exactly when the joined id is NULL; deciding on the
            // id alone keeps a decoding error an error.
            let Some(id) = Cells::at(result, start).optional::<Uuid>()? else {
                continue;
            };
            if seen.insert(id) {
                users.push(user::Model::from_cells(&mut Cells::at(result, start))?);
            }
        }
    }
    Ok((rows, users))
}

/// Counts the rows matching `visible`: all of them, or at most `cap + 1` by counting a
/// subquery limited to that many, which reads no more index entries than that.
async fn count_matching(
    db: &impl ConnectionTrait,
    table: TableRef,
    visible: Condition,
    count: Count,
) -> Result<u64, sea_orm::DbErr> {
    let statement = match count {
        Count::Skip => return Ok(0),
        Count::Exact => Query::select()
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(table)
            .cond_where(visible)
            .to_owned(),
        Count::Capped(cap) => {
            let capped = Query::select()
                .expr(Expr::val(1))
                .from(table)
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

/// Pages are fetched one row longer than asked, which tells whether more follow.
fn split_extra<M>(mut rows: Vec<M>, size: u64) -> (Vec<M>, bool) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let more = rows.len() > size;
    rows.truncate(size);
    (rows, more)
}

/// Deletes the rows of `E` that `only` matches and whose time is before `cutoff`, oldest
/// first, at most `batch` per statement so that no statement works through a whole table,
/// until none is left; returns how many.
pub async fn delete_before<E: TimeOrdered>(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    only: Condition,
    batch: u64,
) -> Result<u64, sea_orm::DbErr> {
    let mut deleted = 0;
    loop {
        let oldest = Query::select()
            .expr(col::<E>(E::id_column()))
            .from(E::default().into_table_ref())
            .cond_where(only.clone())
            .and_where(col::<E>(E::time_column()).lt(cutoff))
            .order_by_expr(col::<E>(E::time_column()), sea_orm::Order::Asc)
            .limit(batch)
            .to_owned();
        let removed = E::delete_many()
            .filter(col::<E>(E::id_column()).in_subquery(oldest))
            .exec(db)
            .await?
            .rows_affected;
        deleted += removed;
        if removed < batch {
            return Ok(deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let (time, id) = (Utc::now(), Uuid::new_v4());
        assert_eq!(decode_cursor(&encode_cursor(time, id)), Some((time, id)));
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

    #[test]
    fn a_page_tells_its_total_when_it_sees_every_row_before_its_end() {
        let offset = |offset| Page::Offset { offset, limit: 10 };
        assert_eq!(total_from_page(offset(0), 3, false), Some(3));
        assert_eq!(total_from_page(offset(20), 3, false), Some(23));
        assert_eq!(total_from_page(offset(20), 0, false), None);
        assert_eq!(total_from_page(offset(0), 10, true), None);
        let first = Page::After {
            after: None,
            first: 10,
        };
        assert_eq!(total_from_page(first, 4, false), Some(4));
        let later = Page::After {
            after: Some((Utc::now(), Uuid::nil())),
            first: 10,
        };
        assert_eq!(total_from_page(later, 4, false), None);
    }
}
