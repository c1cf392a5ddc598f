//! Workspace quota costs as Coder has them: a template version costs the sum of the
//! `daily_cost` of its `coder_metadata` blocks, and a build records the cost it committed
//! when it completed (0 until then, and for stops, deletes and builds refused for quota).
//! The per-template `workspace_cost` this replaces is dropped; going down restores it with
//! its old default.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["template_versions", "workspace_builds"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(
                            integer("daily_cost")
                                .default(0)
                                .check(Expr::col("daily_cost").gte(0)),
                        )
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("templates")
                    .drop_column("workspace_cost")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("templates")
                    .add_column(
                        integer("workspace_cost")
                            .default(1)
                            .check(Expr::col("workspace_cost").gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        for table in ["workspace_builds", "template_versions"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("daily_cost")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
