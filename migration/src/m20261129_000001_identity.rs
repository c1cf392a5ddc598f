//! Identity and shared tables: organizations, users (with the prebuilds system user and the
//! triggers that protect it), organization members, groups, API keys, site configuration
//! and the audit log.

use sea_orm::prelude::Uuid;
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::PREBUILDS_SYSTEM_USER_ID;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The message both engines raise when something touches a system user; Coder's wording.
const SYSTEM_USER_MESSAGE: &str = "Cannot modify or delete system users";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // SQLite supports transactional DDL too; a half-applied migration is never wanted.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organizations")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("display_name"))
                    .col(text("description").default(""))
                    .col(string("icon").default(""))
                    .col(boolean("is_default").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organizations_name_key")
                    .table("organizations")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(string("email"))
                    .col(string("username"))
                    .col(string("name").default(""))
                    .col(string("avatar_url").default(""))
                    .col(string("hashed_password"))
                    .col(
                        string("status")
                            .default("active")
                            .check(Expr::col("status").is_in(["active", "suspended", "dormant"])),
                    )
                    .col(
                        string("login_type")
                            .check(Expr::col("login_type").is_in(["password", "none"])),
                    )
                    .col(json("rbac_roles"))
                    .col(boolean("is_system").default(false))
                    .col(boolean("deleted").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("last_seen_at"))
                    .to_owned(),
            )
            .await?;
        // Case-insensitive uniqueness among live users, as Coder does; expression and
        // partial indexes have the same syntax on both engines.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email)) WHERE NOT deleted",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username)) WHERE NOT deleted",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("organization_members")
                    .col(uuid("organization_id"))
                    .col(uuid("user_id"))
                    .col(json("roles"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("organization_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("organization_members", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("organization_members", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organization_members_user_id_idx")
                    .table("organization_members")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("groups")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("name"))
                    .col(string("display_name").default(""))
                    .col(string("avatar_url").default(""))
                    .col(
                        integer("quota_allowance")
                            .default(0)
                            .check(Expr::col("quota_allowance").gte(0)),
                    )
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("groups", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("groups_organization_id_name_key")
                    .table("groups")
                    .col("organization_id")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("group_members")
                    .col(uuid("group_id"))
                    .col(uuid("user_id"))
                    .primary_key(Index::create().col("group_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("group_members", "group_id")
                            .to("groups", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("group_members", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("group_members_user_id_idx")
                    .table("group_members")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(string_len("id", 10).primary_key())
                    .col(string("hashed_secret"))
                    .col(uuid("user_id"))
                    .col(string_null("token_name"))
                    .col(
                        string("login_type")
                            .check(Expr::col("login_type").is_in(["password", "token"])),
                    )
                    .col(big_integer("lifetime_seconds"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("api_keys", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_user_id_idx")
                    .table("api_keys")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX api_keys_user_id_token_name_key ON api_keys (user_id, token_name) \
             WHERE login_type = 'token'",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("site_configs")
                    .col(string("key").primary_key())
                    .col(json("value"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_logs")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("time"))
                    .col(uuid_null("user_id"))
                    .col(uuid_null("organization_id"))
                    .col(string("action").check(Expr::col("action").is_in([
                        "create",
                        "write",
                        "delete",
                        "start",
                        "stop",
                        "login",
                        "logout",
                        "register",
                        "connect",
                        "disconnect",
                        "open",
                        "close",
                    ])))
                    .col(string("resource_type"))
                    .col(uuid_null("resource_id"))
                    .col(string("resource_target").default(""))
                    .col(json("diff"))
                    .col(integer("status_code"))
                    .col(string_null("ip"))
                    .col(string("user_agent").default(""))
                    .col(string("request_id").default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_logs_time_idx")
                    .table("audit_logs")
                    .col("time")
                    .to_owned(),
            )
            .await?;
        // The retention purge deletes old connection events by action and time.
        manager
            .create_index(
                Index::create()
                    .name("audit_logs_action_time_idx")
                    .table("audit_logs")
                    .col("action")
                    .col("time")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_logs_organization_id_idx")
                    .table("audit_logs")
                    .col("organization_id")
                    .to_owned(),
            )
            .await?;

        insert_prebuilds_system_user(manager).await?;
        create_system_user_triggers(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "DROP TRIGGER IF EXISTS prevent_system_user_updates ON users; \
                     DROP TRIGGER IF EXISTS prevent_system_user_deletions ON users; \
                     DROP FUNCTION IF EXISTS prevent_system_user_changes();",
                )
                .await?;
        }
        for table in [
            "audit_logs",
            "site_configs",
            "api_keys",
            "group_members",
            "groups",
            "organization_members",
            "users",
            "organizations",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn insert_prebuilds_system_user(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let id = Uuid::parse_str(PREBUILDS_SYSTEM_USER_ID)
        .map_err(|e| DbErr::Migration(format!("system user id: {e}")))?;
    let now = sea_orm::prelude::ChronoUtc::now();
    let insert = Query::insert()
        .into_table("users")
        .columns([
            "id",
            "email",
            "username",
            "name",
            "avatar_url",
            "hashed_password",
            "status",
            "login_type",
            "rbac_roles",
            "is_system",
            "deleted",
            "created_at",
            "updated_at",
        ])
        .values([
            id.into(),
            "prebuilds@system".into(),
            "prebuilds".into(),
            "Prebuilds Owner".into(),
            "".into(),
            "none".into(),
            "active".into(),
            "none".into(),
            sea_orm::JsonValue::Array(vec![]).into(),
            true.into(),
            false.into(),
            now.into(),
            now.into(),
        ])
        .map_err(|e| DbErr::Migration(format!("system user row: {e}")))?
        .to_owned();
    manager.exec_stmt(insert).await
}

async fn create_system_user_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION prevent_system_user_changes() RETURNS trigger AS $$ \
                 BEGIN \
                   RAISE EXCEPTION '{SYSTEM_USER_MESSAGE}'; \
                 END; $$ LANGUAGE plpgsql"
            ))
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER prevent_system_user_updates BEFORE UPDATE ON users \
                 FOR EACH ROW WHEN (OLD.is_system) EXECUTE FUNCTION prevent_system_user_changes()",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER prevent_system_user_deletions BEFORE DELETE ON users \
                 FOR EACH ROW WHEN (OLD.is_system) EXECUTE FUNCTION prevent_system_user_changes()",
            )
            .await?;
        }
        _ => {
            // SQLite: DROP TABLE does not fire these, so `migrate down` still works.
            for (name, event) in [
                ("prevent_system_user_updates", "UPDATE"),
                ("prevent_system_user_deletions", "DELETE"),
            ] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} BEFORE {event} ON users FOR EACH ROW WHEN OLD.is_system \
                     BEGIN SELECT RAISE(ABORT, '{SYSTEM_USER_MESSAGE}'); END"
                ))
                .await?;
            }
        }
    }
    Ok(())
}
