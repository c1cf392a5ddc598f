//! The filters measured, each as the search string a client sends and the SQL that serves
//! it when written by hand: the floor the server is compared with.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use devplane::entity::{connection_log, user};
use sea_orm::{ConnectionTrait, DatabaseConnection, IdenStatic, Iterable, Statement, Value};
use uuid::Uuid;

use crate::seed::Seeded;

/// The page size measured.
pub const PAGE: u64 = 50;
/// The count cap of the capped workloads (the server's default).
pub const CAP: u64 = 2000;

/// The page's select list: the row's columns and its owner's, joined as the server joins
/// them (the columns come from the server's own entities, so the two cannot drift apart).
fn page_columns() -> String {
    connection_log::Column::iter()
        .map(|c| format!("connection_logs.{}", c.as_str()))
        .chain(user::Column::iter().map(|c| format!("owner.{0} AS owner_{0}", c.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One filter.
pub struct Workload {
    /// Short label for the table.
    pub name: &'static str,
    /// The search string.
    pub filter: String,
    /// The lookup a name or email needs first (users by lower-cased name or email).
    lookup: Option<(String, Vec<Value>)>,
    /// The WHERE condition, with `$n` placeholders for `values`.
    condition: String,
    values: Vec<Value>,
}

const WEB: &str = "'workspace_app', 'port_forwarding'";

fn by_name(name: &str) -> Option<(String, Vec<Value>)> {
    Some((
        "SELECT id, lower(username), lower(email), deleted FROM users \
         WHERE lower(username) IN ($1) AND deleted = $2"
            .into(),
        vec![name.into(), false.into()],
    ))
}

fn by_email(email: &str, live_only: bool) -> Option<(String, Vec<Value>)> {
    Some(if live_only {
        (
            "SELECT id, lower(username), lower(email), deleted FROM users \
             WHERE lower(email) IN ($1) AND deleted = $2"
                .into(),
            vec![email.into(), false.into()],
        )
    } else {
        (
            "SELECT id, lower(username), lower(email), deleted FROM users WHERE lower(email) IN ($1)"
                .into(),
            vec![email.into()],
        )
    })
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every filter key of the search language, `organization` + `type`, and no filter.
pub fn all(seeded: &Seeded, rows: usize, connection_id: Uuid) -> Vec<Workload> {
    let one = |name, filter: String, lookup, condition: &str, value: Value| Workload {
        name,
        filter,
        lookup,
        condition: condition.into(),
        values: vec![value],
    };
    let middle = seeded.base - Duration::seconds(i64::try_from(rows / 2).unwrap_or(0));
    vec![
        Workload {
            name: "(none)",
            filter: String::new(),
            lookup: None,
            condition: "1 = 1".into(),
            values: vec![],
        },
        one(
            "organization",
            "organization:org3".into(),
            None,
            "organization_id = $1",
            seeded.orgs[3].into(),
        ),
        one(
            "workspace_owner",
            "workspace_owner:user17".into(),
            by_name("user17"),
            "workspace_owner_id = $1",
            seeded.users[17].into(),
        ),
        one(
            "workspace_owner_email",
            "workspace_owner_email:user17@bench.test".into(),
            by_email("user17@bench.test", true),
            "workspace_owner_id = $1",
            seeded.users[17].into(),
        ),
        one("type", "type:ssh".into(), None, "type = $1", "ssh".into()),
        one(
            "username",
            "username:user42".into(),
            by_name("user42"),
            "user_id = $1",
            seeded.users[42].into(),
        ),
        one(
            "user_email",
            "user_email:user42@bench.test".into(),
            by_email("user42@bench.test", false),
            "user_id = $1",
            seeded.users[42].into(),
        ),
        one(
            "connected_after",
            format!("connected_after:\"{}\"", rfc3339(middle)),
            None,
            "connect_time >= $1",
            middle.into(),
        ),
        one(
            "connected_before",
            format!("connected_before:\"{}\"", rfc3339(middle)),
            None,
            "connect_time <= $1",
            middle.into(),
        ),
        one(
            "workspace_id",
            format!("workspace_id:{}", seeded.workspaces[123]),
            None,
            "workspace_id = $1",
            seeded.workspaces[123].into(),
        ),
        one(
            "connection_id",
            format!("connection_id:{connection_id}"),
            None,
            "connection_id = $1",
            connection_id.into(),
        ),
        Workload {
            name: "status:ongoing",
            filter: "status:ongoing".into(),
            lookup: None,
            condition: format!("disconnect_time IS NULL AND type NOT IN ({WEB})"),
            values: vec![],
        },
        Workload {
            name: "status:completed",
            filter: "status:completed".into(),
            lookup: None,
            condition: format!("disconnect_time IS NOT NULL AND type NOT IN ({WEB})"),
            values: vec![],
        },
        Workload {
            name: "organization+type",
            filter: "organization:org3 type:ssh".into(),
            lookup: None,
            condition: "organization_id = $1 AND type = $2".into(),
            values: vec![seeded.orgs[3].into(), "ssh".into()],
        },
    ]
}

/// Which total the raw SQL computes, as the server would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawCount {
    /// None (a cursor page without `totalCount`).
    None,
    /// Capped at [`CAP`] + 1.
    Capped,
    /// Exact.
    Exact,
}

fn statement(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

impl Workload {
    /// Runs by hand what a page request needs: the user lookup, then the page with its
    /// owners (after `after` when given) and, when asked, the count, in the same statement
    /// on PostgreSQL, as the server does; returns the count.
    pub async fn raw(
        &self,
        db: &DatabaseConnection,
        after: Option<(DateTime<Utc>, Uuid)>,
        count: RawCount,
    ) -> i64 {
        if let Some((sql, values)) = &self.lookup {
            db.query_all_raw(statement(db, sql, values.clone()))
                .await
                .expect("lookup");
        }
        let mut values = self.values.clone();
        let mut condition = self.condition.clone();
        if let Some((time, id)) = after {
            let n = values.len();
            condition = format!(
                "{condition} AND (connection_logs.connect_time, connection_logs.id) < (${}, ${})",
                n + 1,
                n + 2
            );
            values.extend([time.into(), id.into()]);
        }
        let page = format!(
            "SELECT {} FROM connection_logs \
             LEFT JOIN users AS owner ON connection_logs.workspace_owner_id = owner.id \
             WHERE {condition} \
             ORDER BY connection_logs.connect_time DESC, connection_logs.id DESC LIMIT {}",
            page_columns(),
            PAGE + 1
        );
        let counting = match count {
            RawCount::None => {
                db.query_all_raw(statement(db, &page, values))
                    .await
                    .expect("page");
                return 0;
            }
            RawCount::Capped => format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM connection_logs WHERE {condition} LIMIT {}) c",
                CAP + 1
            ),
            RawCount::Exact => {
                format!("SELECT COUNT(*) AS n FROM connection_logs WHERE {condition}")
            }
        };
        // The server counts in the page's own statement on PostgreSQL, in one of its own
        // on SQLite; so does the floor.
        if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db.query_all_raw(statement(db, &page, values.clone()))
                .await
                .expect("page");
            return db
                .query_one_raw(statement(db, &counting, values))
                .await
                .expect("count")
                .and_then(|r| r.try_get::<i64>("", "n").ok())
                .unwrap_or(0);
        }
        let rows = db
            .query_all_raw(statement(
                db,
                &format!(
                    "SELECT total.n, page.* FROM ({counting}) AS total \
                     LEFT JOIN ({page}) AS page ON 1 = 1 \
                     ORDER BY page.connect_time DESC, page.id DESC"
                ),
                values,
            ))
            .await
            .expect("page and count");
        rows.first()
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or(0)
    }
}
