//! What licenses and entitlements read and write: the `licenses` table, the counts that
//! fill `actual`, and the deployment id that licenses may be locked to.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    domain::is_unique_violation,
    entity::{
        license,
        provisioner_job::{self, JobStatus},
        site_config,
        user::{self, UserStatus},
        workspace_build::{self, Transition},
    },
};

const DEPLOYMENT_ID_KEY: &str = "deployment_id";

/// Stores an uploaded license.
pub async fn insert_license(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    jwt: &str,
    exp: DateTime<Utc>,
    uuid: Uuid,
) -> Result<license::Model, sea_orm::DbErr> {
    license::ActiveModel {
        uploaded_at: Set(now),
        jwt: Set(jwt.to_owned()),
        exp: Set(exp),
        uuid: Set(uuid),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Every stored license, expired ones included, by id.
pub async fn all_licenses(
    db: &impl ConnectionTrait,
) -> Result<Vec<license::Model>, sea_orm::DbErr> {
    license::Entity::find()
        .order_by_asc(license::Column::Id)
        .all(db)
        .await
}

/// The licenses whose `exp` is still ahead, by id: the input of the entitlements.
pub async fn unexpired_licenses(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<license::Model>, sea_orm::DbErr> {
    license::Entity::find()
        .filter(license::Column::Exp.gt(now))
        .order_by_asc(license::Column::Id)
        .all(db)
        .await
}

/// Deletes a license; false when there was none with that id.
pub async fn delete_license(db: &impl ConnectionTrait, id: i64) -> Result<bool, sea_orm::DbErr> {
    Ok(license::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Users that count against `user_limit`: active, not deleted, not system users.
pub async fn active_user_count(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    let count = user::Entity::find()
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(user::Column::Deleted.eq(false))
        .filter(user::Column::IsSystem.eq(false))
        .count(db)
        .await?;
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}

/// Coder's `GetManagedAgentCount`: AI-task start builds whose job is pending, running or
/// succeeded, created within `[start, end]` (inclusive). One query, on the partial index
/// `workspace_builds_ai_task_created_at_idx`.
pub async fn managed_agent_count(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<i64, sea_orm::DbErr> {
    let count = workspace_build::Entity::find()
        .inner_join_on_job()
        .filter(workspace_build::Column::Transition.eq(Transition::Start))
        .filter(workspace_build::Column::HasAiTask.eq(true))
        .filter(workspace_build::Column::CreatedAt.between(start, end))
        .filter(
            Expr::col((provisioner_job::Entity, provisioner_job::Column::Status)).is_in([
                JobStatus::Pending,
                JobStatus::Running,
                JobStatus::Succeeded,
            ]),
        )
        .select_only()
        .column_as(
            Expr::col((workspace_build::Entity, workspace_build::Column::Id)).count_distinct(),
            "n",
        )
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(count.unwrap_or(0))
}

/// Joins a build query to its provisioner job (no relation is declared on the entities).
trait JoinJob {
    fn inner_join_on_job(self) -> Self;
}

impl JoinJob for sea_orm::Select<workspace_build::Entity> {
    fn inner_join_on_job(self) -> Self {
        self.join(
            sea_orm::JoinType::InnerJoin,
            workspace_build::Entity::belongs_to(provisioner_job::Entity)
                .from(workspace_build::Column::JobId)
                .to(provisioner_job::Column::Id)
                .into(),
        )
    }
}

/// This deployment's id, created on first use; licenses may be locked to it.
pub async fn deployment_id(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<String, sea_orm::DbErr> {
    let read = || site_config::Entity::find_by_id(DEPLOYMENT_ID_KEY.to_owned()).one(db);
    if let Some(row) = read().await? {
        return Ok(row.value.as_str().unwrap_or_default().to_owned());
    }
    let id = Uuid::new_v4().to_string();
    let inserted = site_config::ActiveModel {
        key: Set(DEPLOYMENT_ID_KEY.to_owned()),
        value: Set(serde_json::Value::String(id.clone())),
        updated_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(id),
        // Another replica created it first.
        Err(e) if is_unique_violation(&e) => Ok(read()
            .await?
            .and_then(|r| r.value.as_str().map(str::to_owned))
            .unwrap_or_default()),
        Err(e) => Err(e),
    }
}
