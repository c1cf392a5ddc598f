//! Templates, versions and their sources, presets, workspaces, builds, agents and the
//! provisioner job queue.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &str, col: &str, to: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.to_owned(), col.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(on_delete)
        .to_owned()
}

fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for col in cols {
        index.col(String::from(*col));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();

        // Template sources: tar archives, stored once per organization by content hash.
        manager
            .create_table(
                Table::create()
                    .table("files")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("hash"))
                    .col(string("mimetype"))
                    .col(blob("data"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "files",
                        "organization_id",
                        "organizations",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "files_organization_id_hash_key",
                    "files",
                    &["organization_id", "hash"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("templates")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("name"))
                    .col(string("display_name").default(""))
                    .col(text("description").default(""))
                    .col(string("icon").default(""))
                    .col(uuid_null("active_version_id"))
                    .col(uuid("created_by"))
                    .col(boolean("deleted").default(false))
                    .col(
                        big_integer("default_ttl_ms")
                            .default(0)
                            .check(Expr::col("default_ttl_ms").gte(0)),
                    )
                    .col(
                        big_integer("activity_bump_ms")
                            .default(3_600_000)
                            .check(Expr::col("activity_bump_ms").gte(0)),
                    )
                    .col(boolean("allow_user_autostart").default(true))
                    .col(boolean("allow_user_autostop").default(true))
                    .col(
                        small_integer("autostop_requirement_days_of_week")
                            .default(0)
                            .check(Expr::col("autostop_requirement_days_of_week").between(0, 127)),
                    )
                    .col(
                        integer("autostop_requirement_weeks")
                            .default(1)
                            .check(Expr::col("autostop_requirement_weeks").between(1, 16)),
                    )
                    .col(
                        small_integer("autostart_allowed_days_of_week")
                            .default(127)
                            .check(Expr::col("autostart_allowed_days_of_week").between(0, 127)),
                    )
                    .col(
                        big_integer("failure_ttl_ms")
                            .default(0)
                            .check(Expr::col("failure_ttl_ms").gte(0)),
                    )
                    .col(
                        big_integer("time_til_dormant_ms")
                            .default(0)
                            .check(Expr::col("time_til_dormant_ms").gte(0)),
                    )
                    .col(
                        big_integer("time_til_dormant_autodelete_ms")
                            .default(0)
                            .check(Expr::col("time_til_dormant_autodelete_ms").gte(0)),
                    )
                    .col(boolean("require_active_version").default(false))
                    .col(
                        integer("workspace_cost")
                            .default(1)
                            .check(Expr::col("workspace_cost").gte(0)),
                    )
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "templates",
                        "organization_id",
                        "organizations",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX templates_organization_id_name_key ON templates (organization_id, lower(name)) \
             WHERE NOT deleted",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("template_versions")
                    .col(pk_uuid("id"))
                    .col(uuid("template_id"))
                    .col(uuid("organization_id"))
                    .col(integer("number"))
                    .col(string("name"))
                    .col(text("message").default(""))
                    .col(uuid("file_id"))
                    .col(
                        string("import_status").check(Expr::col("import_status").is_in([
                            "pending",
                            "running",
                            "succeeded",
                            "failed",
                        ])),
                    )
                    .col(text("import_error").default(""))
                    .col(json("parameters"))
                    .col(json("agents"))
                    .col(boolean("has_ai_task").default(false))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "template_versions",
                        "template_id",
                        "templates",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "template_versions",
                        "file_id",
                        "files",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "template_versions_template_id_number_key",
                    "template_versions",
                    &["template_id", "number"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("template_version_presets")
                    .col(pk_uuid("id"))
                    .col(uuid("template_version_id"))
                    .col(string("name"))
                    .col(json("parameters"))
                    .col(
                        integer_null("desired_instances")
                            .check(Expr::col("desired_instances").gte(0)),
                    )
                    .col(integer_null("invalidate_after_secs"))
                    .col(string("scheduling_timezone").default(""))
                    .col(string("prebuild_status").default("healthy").check(
                        Expr::col("prebuild_status").is_in([
                            "healthy",
                            "hard_limited",
                            "validation_failed",
                        ]),
                    ))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "template_version_presets",
                        "template_version_id",
                        "template_versions",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "template_version_presets_version_name_key",
                    "template_version_presets",
                    &["template_version_id", "name"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("template_version_preset_prebuild_schedules")
                    .col(pk_uuid("id"))
                    .col(uuid("preset_id"))
                    .col(string("cron_expression"))
                    .col(integer("desired_instances").check(Expr::col("desired_instances").gte(0)))
                    .col(integer("position"))
                    .foreign_key(&mut fk(
                        "template_version_preset_prebuild_schedules",
                        "preset_id",
                        "template_version_presets",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "template_version_preset_prebuild_schedules_preset_id_idx",
                "template_version_preset_prebuild_schedules",
                &["preset_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("provisioner_jobs")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("kind").check(
                        Expr::col("kind").is_in(["workspace_build", "template_version_import"]),
                    ))
                    .col(string("status").check(Expr::col("status").is_in([
                        "pending",
                        "running",
                        "succeeded",
                        "failed",
                        "canceling",
                        "canceled",
                    ])))
                    .col(json("input"))
                    .col(text("error").default(""))
                    .col(string_null("worker_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("started_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone_null("canceled_at"))
                    .foreign_key(&mut fk(
                        "provisioner_jobs",
                        "organization_id",
                        "organizations",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Acquisition takes the oldest pending job.
        manager
            .create_index(index(
                "provisioner_jobs_status_created_at_idx",
                "provisioner_jobs",
                &["status", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("workspaces")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid("owner_id"))
                    .col(uuid("template_id"))
                    .col(string("name"))
                    .col(big_integer_null("ttl_ms").check(Expr::col("ttl_ms").gt(0)))
                    .col(string_null("autostart_schedule"))
                    .col(timestamp_with_time_zone_null("next_start_at"))
                    .col(timestamp_with_time_zone("last_used_at"))
                    .col(timestamp_with_time_zone_null("dormant_at"))
                    .col(timestamp_with_time_zone_null("deleting_at"))
                    .col(
                        string("automatic_updates")
                            .default("never")
                            .check(Expr::col("automatic_updates").is_in(["always", "never"])),
                    )
                    .col(boolean("deleted").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "workspaces",
                        "organization_id",
                        "organizations",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "workspaces",
                        "owner_id",
                        "users",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "workspaces",
                        "template_id",
                        "templates",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX workspaces_owner_id_name_key ON workspaces (owner_id, lower(name)) WHERE NOT deleted",
        )
        .await?;
        manager
            .create_index(index(
                "workspaces_template_id_idx",
                "workspaces",
                &["template_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "workspaces_organization_id_idx",
                "workspaces",
                &["organization_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("workspace_builds")
                    .col(pk_uuid("id"))
                    .col(uuid("workspace_id"))
                    .col(integer("build_number").check(Expr::col("build_number").gte(1)))
                    .col(
                        string("transition")
                            .check(Expr::col("transition").is_in(["start", "stop", "delete"])),
                    )
                    .col(string("reason").check(Expr::col("reason").is_in([
                        "initiator",
                        "autostart",
                        "autostop",
                        "dormancy",
                        "autodelete",
                        "failedstop",
                    ])))
                    .col(uuid("initiator_id"))
                    .col(uuid("template_version_id"))
                    .col(uuid_null("template_version_preset_id"))
                    .col(json("parameters"))
                    .col(boolean("has_ai_task").default(false))
                    .col(timestamp_with_time_zone_null("deadline"))
                    .col(timestamp_with_time_zone_null("max_deadline"))
                    .col(uuid("job_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    // Coder #19203: a max deadline bounds the deadline; NULL means unset.
                    .check((
                        "workspace_builds_deadline_below_max_deadline",
                        Expr::col("max_deadline").is_null().or(Expr::col("deadline")
                            .is_not_null()
                            .and(Expr::col("deadline").lte(Expr::col("max_deadline")))),
                    ))
                    .foreign_key(&mut fk(
                        "workspace_builds",
                        "workspace_id",
                        "workspaces",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "workspace_builds",
                        "template_version_id",
                        "template_versions",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "workspace_builds",
                        "job_id",
                        "provisioner_jobs",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "workspace_builds_workspace_id_build_number_key",
                    "workspace_builds",
                    &["workspace_id", "build_number"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "workspace_builds_job_id_idx",
                "workspace_builds",
                &["job_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("workspace_agents")
                    .col(pk_uuid("id"))
                    .col(uuid("workspace_id"))
                    .col(uuid("build_id"))
                    .col(string("name"))
                    .col(string("lifecycle_state").default("created").check(
                        Expr::col("lifecycle_state").is_in([
                            "created",
                            "starting",
                            "start_timeout",
                            "start_error",
                            "ready",
                            "shutting_down",
                            "shutdown_timeout",
                            "shutdown_error",
                            "off",
                        ]),
                    ))
                    .col(string("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "workspace_agents",
                        "workspace_id",
                        "workspaces",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "workspace_agents",
                        "build_id",
                        "workspace_builds",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "workspace_agents_workspace_id_name_key",
                    "workspace_agents",
                    &["workspace_id", "name"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "workspace_agents_token_hash_key",
                    "workspace_agents",
                    &["token_hash"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "workspace_agents",
            "workspace_builds",
            "workspaces",
            "provisioner_jobs",
            "template_version_preset_prebuild_schedules",
            "template_version_presets",
            "template_versions",
            "templates",
            "files",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
