//! Licenses, and the index the managed-agent usage count reads.

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
                    .table("licenses")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .col(text("jwt"))
                    .col(timestamp_with_time_zone("exp"))
                    .col(uuid("uuid"))
                    .to_owned(),
            )
            .await?;
        // Entitlements read the unexpired licenses.
        manager
            .create_index(
                Index::create()
                    .name("licenses_exp_idx")
                    .table("licenses")
                    .col("exp")
                    .to_owned(),
            )
            .await?;
        // The managed-agent count: AI-task start builds created in a period. A partial index
        // keeps it small; both engines support the WHERE clause.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX workspace_builds_ai_task_created_at_idx ON workspace_builds (created_at) \
                 WHERE has_ai_task AND transition = 'start'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("workspace_builds_ai_task_created_at_idx")
                    .table("workspace_builds")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("licenses").to_owned())
            .await
    }
}
