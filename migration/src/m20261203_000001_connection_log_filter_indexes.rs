//! Indexes that let every connection-log filter read only the rows it returns.
//!
//! The list is always ordered `connect_time DESC, id DESC`, pages are 50 to 1000 rows and
//! the total is a count capped at a few thousand. A filter is cheap when an index starts
//! with its equality columns and continues with `connect_time DESC, id DESC`: the first page
//! is then the first entries of one index range, the capped count reads at most cap + 1
//! entries of it (index-only once the table is vacuumed), and a keyset page seeks into it.
//! Single-column indexes on the filtered ids could find the rows but not in list order, so
//! a busy owner or workspace meant sorting all of its rows for every page; they are replaced
//! by their composite forms, which also serve the foreign keys' cascades.
//!
//! What each index costs on ingestion: one entry per inserted row (the partial ones only for
//! rows inside their predicate); a disconnect writes a new version of the row, which leaves
//! the ongoing-sessions index and adds entries to the others, as any update of an indexed
//! table does. With these the table carries nine indexes; the ingestion benchmark measures
//! the resulting rate.
//!
//! Filters the earlier indexes already serve: no filter and `connected_after` /
//! `connected_before` (ranges of `connect_time DESC, id DESC`), `organization`
//! (`organization_id, connect_time DESC, id DESC`), `connection_id` (the unique key that
//! starts with it; a session has one or two rows).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, definition) of each index this migration adds.
const INDEXES: [(&str, &str); 7] = [
    // `organization:X type:Y`, the combination the connection log page's filter helpers
    // write most often.
    (
        "connection_logs_organization_id_type_connect_time_idx",
        "ON connection_logs (organization_id, type, connect_time DESC, id DESC)",
    ),
    // `type:Y` alone: each type is a sixth of the rows, which a scan of the time index
    // would filter row by row from the heap.
    (
        "connection_logs_type_connect_time_idx",
        "ON connection_logs (type, connect_time DESC, id DESC)",
    ),
    // `workspace_owner:` and `workspace_owner_email:` (names and emails are resolved to
    // user ids first), and the cascade when a user is deleted.
    (
        "connection_logs_workspace_owner_id_connect_time_idx",
        "ON connection_logs (workspace_owner_id, connect_time DESC, id DESC)",
    ),
    // `workspace_id:`, and the cascade when a workspace is deleted.
    (
        "connection_logs_workspace_id_connect_time_idx",
        "ON connection_logs (workspace_id, connect_time DESC, id DESC)",
    ),
    // `username:` and `user_email:`. Only web rows record a user, so the index skips the
    // SSH-like majority; an equality on user_id implies the predicate on both engines.
    (
        "connection_logs_user_id_connect_time_idx",
        "ON connection_logs (user_id, connect_time DESC, id DESC) WHERE user_id IS NOT NULL",
    ),
    // `status:ongoing`: sessions still open, a small and changing set. The predicate is
    // written exactly as the query writes the condition, which is how both engines match
    // a query to a partial index. `status:completed` is most SSH-like rows, which the time
    // index finds by filtering few rows per match.
    (
        "connection_logs_ongoing_connect_time_idx",
        "ON connection_logs (connect_time DESC, id DESC) \
         WHERE disconnect_time IS NULL AND type NOT IN ('workspace_app', 'port_forwarding')",
    ),
    // `user_email:` matches deleted requesters too, which the unique index on live users'
    // emails does not cover; without this the lookup scans every user.
    ("users_email_lower_idx", "ON users (lower(email))"),
];

/// The single-column indexes the composite ones above replace.
const REPLACED: [(&str, &str); 3] = [
    (
        "connection_logs_workspace_owner_id_idx",
        "ON connection_logs (workspace_owner_id)",
    ),
    (
        "connection_logs_workspace_id_idx",
        "ON connection_logs (workspace_id)",
    ),
    (
        "connection_logs_user_id_idx",
        "ON connection_logs (user_id)",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, definition) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} {definition}"))
                .await?;
        }
        for (name, _) in REPLACED {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, definition) in REPLACED {
            db.execute_unprepared(&format!("CREATE INDEX {name} {definition}"))
                .await?;
        }
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
