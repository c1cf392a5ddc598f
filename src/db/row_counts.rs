//! Statements whose row counts (`LIMIT`, `OFFSET`) are written into the text as literals
//! instead of being bound as parameters.
//!
//! PostgreSQL keeps one plan per prepared statement and reuses it once a plan made without
//! the parameters' values costs about what the plans made with them did. A row count that
//! is a parameter defeats that: without its value the planner assumes a tenth of the table
//! is read, so the reusable plan never looks cheap enough and every execution is planned
//! again (a quarter to a half millisecond for a log page, longer than running it). With
//! literal counts the statement is planned five times per connection and then reused.
//!
//! A count is a `u64` the server computed, so writing it into the text cannot inject
//! anything. Each distinct count is a distinct statement text, prepared once per
//! connection: page sizes are few, and sqlx's per-connection cache of prepared statements
//! is bounded (least recently used first out), so many offsets cannot grow it.

use std::fmt::{self, Write};

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryTrait, Select, Statement, Value,
    sea_query::{
        PostgresQueryBuilder, QueryBuilder, SelectStatement, SqlWriter, SqlWriterValues,
        SqliteQueryBuilder,
    },
};

/// A statement writer that writes unsigned 64-bit integers as literals and binds every other
/// value. sea-query makes `limit` and `offset` such values; the paged statements bind none
/// of their own, and an integer written out cannot inject anything whatever its origin.
struct LiteralCounts(SqlWriterValues);

impl Write for LiteralCounts {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}

impl fmt::Display for LiteralCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl SqlWriter for LiteralCounts {
    fn push_param<T: QueryBuilder>(&mut self, value: Value, query_builder: &T) {
        match value {
            // Writing to a String cannot fail.
            Value::BigUnsigned(Some(n)) => drop(write!(self.0, "{n}")),
            value => self.0.push_param(value, query_builder),
        }
    }

    fn as_writer(&mut self) -> &mut dyn Write {
        self as _
    }
}

fn build(query_builder: &impl QueryBuilder, select: &SelectStatement) -> (String, Vec<Value>) {
    let (placeholder, numbered) = query_builder.placeholder();
    let mut writer = LiteralCounts(SqlWriterValues::new(placeholder, numbered));
    select.build_collect_any_into(query_builder, &mut writer);
    let (sql, values) = writer.0.into_parts();
    (sql, values.0)
}

/// `select` built for `backend`, its row counts written as literals.
pub fn statement(backend: DbBackend, select: &SelectStatement) -> Statement {
    let (sql, values) = match backend {
        DbBackend::Postgres => build(&PostgresQueryBuilder, select),
        DbBackend::Sqlite => build(&SqliteQueryBuilder, select),
        // The server runs on PostgreSQL and SQLite; another engine binds its counts.
        _ => return backend.build(select),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The models `select` reads, its row counts written as literals.
pub async fn all<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> Result<Vec<E::Model>, DbErr> {
    let built = statement(db.get_database_backend(), &select.into_query());
    E::find().from_raw_sql(built).all(db).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    #[test]
    fn counts_are_literals_and_every_other_value_is_bound() {
        let inner = Query::select()
            .expr(Expr::cust("1"))
            .from(Alias::new("logs"))
            .and_where(Expr::col(Alias::new("kind")).eq("ssh"))
            .limit(2001)
            .to_owned();
        let select = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(inner, Alias::new("capped"))
            .and_where(Expr::col(Alias::new("n")).gt(7u64))
            .and_where(Expr::col(Alias::new("m")).eq(3i64))
            .limit(51)
            .offset(100)
            .to_owned();
        let built = statement(DbBackend::Postgres, &select);
        assert_eq!(
            built.sql,
            r#"SELECT COUNT(*) FROM (SELECT 1 FROM "logs" WHERE "kind" = $1 LIMIT 2001) AS "capped" WHERE "n" > 7 AND "m" = $2 LIMIT 51 OFFSET 100"#
        );
        assert_eq!(
            built.values.map(|v| v.0),
            Some(vec![Value::from("ssh"), Value::from(3i64)])
        );
        let built = statement(DbBackend::Sqlite, &select);
        assert!(
            built
                .sql
                .ends_with(r#"WHERE "n" > 7 AND "m" = ? LIMIT 51 OFFSET 100"#),
            "{}",
            built.sql
        );
        assert_eq!(built.values.map(|v| v.0.len()), Some(2));
    }
}
