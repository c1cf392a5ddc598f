//! The connection log: one row per connection (agent-reported SSH-like sessions, keyed by
//! connection id) or per web session, with the indexes its filters and its
//! `connect_time DESC, id DESC` order read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("connection_logs")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("connect_time"))
                    .col(uuid("organization_id"))
                    .col(uuid("workspace_owner_id"))
                    .col(uuid("workspace_id"))
                    .col(string("workspace_name"))
                    .col(string("agent_name"))
                    .col(string("type").check(Expr::col("type").is_in([
                        "ssh",
                        "vscode",
                        "jetbrains",
                        "reconnecting_pty",
                        "workspace_app",
                        "port_forwarding",
                    ])))
                    .col(string_null("ip"))
                    .col(integer_null("code"))
                    .col(text_null("user_agent"))
                    .col(uuid_null("user_id"))
                    .col(string_null("slug_or_port"))
                    .col(uuid_null("connection_id"))
                    .col(timestamp_with_time_zone_null("disconnect_time"))
                    .col(text_null("disconnect_reason"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("connection_logs", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("connection_logs", "workspace_owner_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("connection_logs", "workspace_id")
                            .to("workspaces", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // NULL connection ids (web events) never conflict: every web event is a new row.
            "CREATE UNIQUE INDEX connection_logs_connection_id_workspace_id_agent_name_key \
             ON connection_logs (connection_id, workspace_id, agent_name)",
            // The list order, and keyset pages on it.
            "CREATE INDEX connection_logs_connect_time_id_idx ON connection_logs (connect_time DESC, id DESC)",
            // Organization-scoped pages (RBAC and the organization filter) in list order.
            "CREATE INDEX connection_logs_organization_id_connect_time_idx \
             ON connection_logs (organization_id, connect_time DESC, id DESC)",
            "CREATE INDEX connection_logs_workspace_owner_id_idx ON connection_logs (workspace_owner_id)",
            "CREATE INDEX connection_logs_workspace_id_idx ON connection_logs (workspace_id)",
            "CREATE INDEX connection_logs_user_id_idx ON connection_logs (user_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("connection_logs").to_owned())
            .await
    }
}
