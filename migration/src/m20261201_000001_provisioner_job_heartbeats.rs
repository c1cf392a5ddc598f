//! Heartbeats of provisioner jobs: `heartbeat_at` is when the provisioner holding a job last
//! said it was still working, so that a job whose provisioner died can be told from one that
//! is merely slow. Jobs already running are counted as alive at their last update.

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
            .alter_table(
                Table::alter()
                    .table("provisioner_jobs")
                    .add_column(timestamp_with_time_zone_null("heartbeat_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE provisioner_jobs SET heartbeat_at = updated_at \
                 WHERE status IN ('running', 'canceling')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("provisioner_jobs")
                    .drop_column("heartbeat_at")
                    .to_owned(),
            )
            .await
    }
}
