//! Paging of the logs (connection log, audit log): newest first in `time DESC, id DESC`
//! order, by offset or by keyset cursor (a deep page costs what the first costs), and a
//! total, capped so that it never counts millions of rows, counted only when the caller
//! asks for it (on PostgreSQL by the page's own statement).
//!
//! A log table says which columns order it ([`TimeOrdered`]); the rest is the same for every
//! log: the arguments ([`PageRequest`] into [`Page`]), the opaque cursors over (time, id),
//! the page query ([`fetch`], which also reads the users the rows name and, on PostgreSQL,
//! the total, so that a page, the people it shows and its count cost one round trip) and
//! retention's
//! deletion of the oldest rows in batches ([`delete_before`]).

use std::collections::HashSet;

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable, JoinType, Order,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, IntoTableRef, Query, SelectStatement, TableRef},
};
use uuid::Uuid;

use crate::{
    db::row_counts,
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
    /// Rows matching in all (capped at `cap + 1` with [`Count::Capped`]); `None` when not
    /// asked for.
    pub total: Option<u64>,
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
            total: None,
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
            total: (count != Count::Skip).then_some(0),
            ..Self::default()
        }
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

/// The page of the rows of `E` matching `visible`, with the total `count` asks for and the
/// users that the columns `people` of its rows name. On PostgreSQL all of it is one
/// statement: the count rides in the page's statement, saving a round trip, a connection
/// checkout and the pool's ping on release. SQLite runs in-process, where a statement costs
/// no round trip and wrapping the page costs a materialization and a sort (a quarter more
/// time), so there the count is a statement of its own, run after the page.
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
    // Cursor pages rarely ask for a total: the filter is cloned only when one is.
    let counting = (count != Count::Skip)
        .then(|| count_statement(E::default().into_table_ref(), visible.clone(), count))
        .flatten();
    let (rows, size) = page_statement::<E>(visible, page, people);
    let (statement, counted, apart) = match counting {
        Some(counting) if db.get_database_backend() == DbBackend::Postgres => {
            (with_count::<E>(rows, counting), true, None)
        }
        counting => (rows, false, counting),
    };
    // The users of the row read only to tell whether more follow come along: harmless.
    let (rows, users, mut total) = read_page::<E>(db, &statement, counted, people.len()).await?;
    if let Some(counting) = apart {
        total = Some(count_rows(db, &counting).await?);
    }
    let (rows, has_next_page) = split_extra(rows, size);
    Ok(LogPage {
        rows,
        users,
        total: total.map(|total| count.limit(total)),
        has_next_page,
        has_previous_page: page.has_previous(),
    })
}

/// The statement reading `page` of the rows matching `visible` (one row more than the page
/// holds, which tells whether more follow), with one outer join to `users` per column of
/// `people`, and the page's size.
fn page_statement<E: TimeOrdered>(
    visible: Condition,
    page: Page,
    people: &[E::Column],
) -> (SelectStatement, u64) {
    let ordered = E::find()
        .filter(visible)
        .order_by_desc(E::time_column())
        .order_by_desc(E::id_column());
    let (select, size) = match page {
        Page::Offset { offset, limit } => (ordered.offset(offset).limit(limit + 1), limit),
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
            (keyed.limit(first + 1), first)
        }
    };
    (with_people(select, people).into_query(), size)
}

/// The page statement `rows` counting too, by `counting`, in a first cell:
/// `SELECT total.n, page.* FROM (<count>) AS total LEFT JOIN (<page>) AS page ON 1 = 1`.
/// The count reads the page's own snapshot, and the outer join keeps the count's row when
/// the page is empty (its page cells NULL). On a page that turns out to hold every row the
/// count is a count of that page: cheap.
fn with_count<E: TimeOrdered>(rows: SelectStatement, counting: SelectStatement) -> SelectStatement {
    let page_alias = Alias::new("page");
    Query::select()
        .column((Alias::new("total"), Alias::new("n")))
        .column((page_alias.clone(), Asterisk))
        .from_subquery(counting, Alias::new("total"))
        .join_subquery(
            JoinType::LeftJoin,
            rows,
            page_alias.clone(),
            Expr::cust("1 = 1"),
        )
        // A join's output has no order of its own: the page's is restated.
        .order_by((page_alias.clone(), E::time_column()), Order::Desc)
        .order_by((page_alias, E::id_column()), Order::Desc)
        .to_owned()
}

/// `select` with the users its columns `people` name: one outer join to `users` per column,
/// each user's columns after the entity's, in the entity's order.
fn with_people<E: TimeOrdered>(mut select: Select<E>, people: &[E::Column]) -> Select<E> {
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
    select
}

/// The rows `statement` reads, the `persons` users each names (each user once: a page's
/// entries often share an owner), and the total when the statement is `counted` (its first
/// cell). Rows are decoded by position: the total, the entity's columns, then each person's.
async fn read_page<E: TimeOrdered>(
    db: &impl ConnectionTrait,
    statement: &SelectStatement,
    counted: bool,
    persons: usize,
) -> Result<(Vec<E::Model>, Vec<user::Model>, Option<u64>), sea_orm::DbErr>
where
    E::Model: FromCells,
{
    let results = db
        .query_all_raw(row_counts::statement(db.get_database_backend(), statement))
        .await?;
    let start = usize::from(counted);
    let id_at = start
        + E::Column::iter()
            .position(|c| c.as_str() == E::id_column().as_str())
            .unwrap_or_default();
    let mut total = None;
    let mut rows = Vec::with_capacity(results.len());
    let mut users: Vec<user::Model> = Vec::new();
    let mut seen = HashSet::new();
    for result in &results {
        if counted {
            total = Some(count_cell(result)?);
            // The outer join found no page row exactly when the row's id is NULL.
            if Cells::at(result, id_at).optional::<Uuid>()?.is_none() {
                continue;
            }
        }
        rows.push(E::Model::from_cells(&mut Cells::at(result, start))?);
        for n in 0..persons {
            let at = start + E::Model::WIDTH + n * user::Model::WIDTH;
            // Likewise nobody was joined exactly when the joined id is NULL; deciding on
            // the id alone keeps a decoding error an error.
            let Some(id) = Cells::at(result, at).optional::<Uuid>()? else {
                continue;
            };
            if seen.insert(id) {
                users.push(user::Model::from_cells(&mut Cells::at(result, at))?);
            }
        }
    }
    Ok((rows, users, total))
}

/// The statement counting the rows matching `visible`, as `n`: all of them, or at most
/// `cap + 1` by counting a subquery limited to that many, which reads no more index entries
/// than that; none when no total is asked for.
fn count_statement(table: TableRef, visible: Condition, count: Count) -> Option<SelectStatement> {
    Some(match count {
        Count::Skip => return None,
        Count::Exact => Query::select()
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(table)
            .cond_where(visible)
            .to_owned(),
        Count::Capped(cap) => {
            let capped = Query::select()
                .expr(Expr::cust("1"))
                .from(table)
                .cond_where(visible)
                .limit(cap.saturating_add(1))
                .to_owned();
            Query::select()
                .expr_as(Expr::cust("COUNT(*)"), "n")
                .from_subquery(capped, "capped")
                .to_owned()
        }
    })
}

/// Runs `counting` (a [`count_statement`]) on its own.
async fn count_rows(
    db: &impl ConnectionTrait,
    counting: &SelectStatement,
) -> Result<u64, sea_orm::DbErr> {
    match db
        .query_one_raw(row_counts::statement(db.get_database_backend(), counting))
        .await?
    {
        Some(row) => count_cell(&row),
        None => Ok(0),
    }
}

/// The count `n` in a row's first cell.
fn count_cell(row: &QueryResult) -> Result<u64, sea_orm::DbErr> {
    let n = Cells::at(row, 0).value::<i64>()?;
    Ok(u64::try_from(n).unwrap_or(0))
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
    fn a_page_statement_binds_only_the_filter_values() {
        use crate::entity::connection_log::{Column, Entity};
        let visible = || Condition::all().add(Expr::col((Entity, Column::Type)).eq("ssh"));
        let table = || Entity.into_table_ref();
        for page in [
            Page::Offset {
                offset: 100,
                limit: 50,
            },
            Page::After {
                after: None,
                first: 50,
            },
        ] {
            let (rows, _) = page_statement::<Entity>(visible(), page, &[Column::WorkspaceOwnerId]);
            let counting =
                count_statement(table(), visible(), Count::Capped(2000)).expect("a count");
            let built =
                row_counts::statement(DbBackend::Postgres, &with_count::<Entity>(rows, counting));
            // The type, once in the count and once in the page; the row counts and the
            // counted constant are in the text, so PostgreSQL can keep one plan.
            assert_eq!(
                built.values.map(|v| v.0),
                Some(vec!["ssh".into(), "ssh".into()]),
                "{}",
                built.sql
            );
            assert!(
                built.sql.contains(r#"SELECT 1 FROM "connection_logs" WHERE "connection_logs"."type" = $1 LIMIT 2001"#)
                    && built.sql.contains(r#"WHERE "connection_logs"."type" = $2 ORDER BY"#)
                    && built.sql.contains(match page {
                        Page::Offset { .. } => "LIMIT 51 OFFSET 100)",
                        Page::After { .. } => "LIMIT 51)",
                    }),
                "{}",
                built.sql
            );
        }
    }

    #[test]
    fn a_count_wraps_the_very_page_statement() {
        use crate::entity::connection_log::{Column, Entity};
        use sea_orm::sea_query::PostgresQueryBuilder;
        let page = Page::After {
            after: None,
            first: 50,
        };
        let visible = || Condition::all().add(Expr::cust("type = 'ssh'"));
        let (rows, size) = page_statement::<Entity>(visible(), page, &[Column::WorkspaceOwnerId]);
        assert_eq!(size, 50);
        let table = || Entity.into_table_ref();
        assert!(count_statement(table(), visible(), Count::Skip).is_none());
        let sql = |count| {
            let counting = count_statement(table(), visible(), count).expect("a count");
            with_count::<Entity>(rows.clone(), counting).to_string(PostgresQueryBuilder)
        };
        let plain = rows.to_string(PostgresQueryBuilder);
        assert!(
            plain.starts_with(r#"SELECT "connection_logs"."id", "#)
                && plain.contains(r#"LEFT JOIN "users" AS "person0" ON "#)
                && plain.ends_with(
                    r#"WHERE type = 'ssh' ORDER BY "connection_logs"."connect_time" DESC, "connection_logs"."id" DESC LIMIT 51"#
                )
                && !plain.contains("COUNT"),
            "{plain}"
        );
        // The counting statements wrap that same page statement, whole.
        let wrapped = |counting: &str| {
            format!(
                r#"SELECT "total"."n", "page".* FROM ({counting}) AS "total" LEFT JOIN ({plain}) AS "page" ON 1 = 1 ORDER BY "page"."connect_time" DESC, "page"."id" DESC"#
            )
        };
        assert_eq!(
            sql(Count::Capped(2000)),
            wrapped(
                r#"SELECT COUNT(*) AS "n" FROM (SELECT 1 FROM "connection_logs" WHERE type = 'ssh' LIMIT 2001) AS "capped""#
            )
        );
        assert_eq!(
            sql(Count::Exact),
            wrapped(r#"SELECT COUNT(*) AS "n" FROM "connection_logs" WHERE type = 'ssh'"#)
        );
    }
}
