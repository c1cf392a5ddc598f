//! What the audit log needs to be written by every mutation and searched like the
//! connection log.
//!
//! `build_reason` records why a build happened (`initiator`, `autostart`, ...) on the rows
//! of workspace builds, so `build_reason:autostart` is an equality on a column instead of a
//! join through `workspace_builds` for every row read.
//!
//! The list is ordered `time DESC, id DESC` and counted with a cap, so each filter an
//! auditor uses often gets an index that starts with its equality column and continues in
//! list order; a page is then one index range and the capped count reads at most cap + 1
//! entries. The audit log is written once per mutation, orders of magnitude less often than
//! the connection log, so four indexes cost ingestion nothing measurable. Filters without an
//! index of their own (`resource_target`, `action`, `build_reason`, `request_id`) are rare,
//! narrow searches that walk the time index.

use sea_orm_migration::{prelude::*, schema::string_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, definition) of each index this migration adds.
const INDEXES: [(&str, &str); 5] = [
    // No filter, and `date_from` / `date_to`.
    (
        "audit_logs_time_id_idx",
        "ON audit_logs (time DESC, id DESC)",
    ),
    // `organization:`, and the organization-scoped reads of organization auditors.
    (
        "audit_logs_organization_id_time_idx",
        "ON audit_logs (organization_id, time DESC, id DESC)",
    ),
    // `username:` and `email:` (resolved to user ids first).
    (
        "audit_logs_user_id_time_idx",
        "ON audit_logs (user_id, time DESC, id DESC)",
    ),
    // `resource_type:` (a bare word in the query means this key).
    (
        "audit_logs_resource_type_time_idx",
        "ON audit_logs (resource_type, time DESC, id DESC)",
    ),
    // `resource_id:`: the history of one object.
    (
        "audit_logs_resource_id_time_idx",
        "ON audit_logs (resource_id, time DESC, id DESC)",
    ),
];

/// The indexes the composite ones above replace.
const REPLACED: [(&str, &str); 2] = [
    ("audit_logs_time_idx", "ON audit_logs (time)"),
    (
        "audit_logs_organization_id_idx",
        "ON audit_logs (organization_id)",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("audit_logs")
                    .add_column(string_null("build_reason"))
                    .to_owned(),
            )
            .await?;
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
        manager
            .alter_table(
                Table::alter()
                    .table("audit_logs")
                    .drop_column("build_reason")
                    .to_owned(),
            )
            .await
    }
}
