//! Indexes for prebuilt workspaces. Readiness — every agent of a prebuild's latest build is
//! ready — is asked for each running prebuild in the reconciler's snapshot and in every
//! claim, by build id; without this index each question scans all agents. Its cost on
//! ingestion is one index entry per agent, written once per start build.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("workspace_agents_build_id_idx")
                    .table("workspace_agents")
                    .col("build_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("workspace_agents_build_id_idx")
                    .table("workspace_agents")
                    .to_owned(),
            )
            .await
    }
}
