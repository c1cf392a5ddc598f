//! Workspace quotas, as Coder's enterprise quota has them. A user's allowance in an
//! organization is the sum of the `quota_allowance` of the groups of that organization they
//! belong to; what they consume is the sum of the `daily_cost` of the latest builds of their
//! live workspaces there. A build's cost is committed when the provisioner finishes it
//! ([`commit`], called from the build's completion): a start that would take the owner over
//! the allowance fails with [`INSUFFICIENT_QUOTA`] instead of being refused up front, which
//! is what lets the prebuild reconciler see a failed build and back off.
//!
//! Two rules of devplane's own: a user in no group of the organization is not limited (there
//! is no "Everyone" group to give them an allowance), and a cost of 0 is never limited.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Statement,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use super::{Error, Result, queries::is_latest_build};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    entity::{group, group_member, organization, user, workspace, workspace_build},
};

/// The error of a start build that did not fit the owner's quota (Coder's wording).
pub const INSUFFICIENT_QUOTA: &str = "insufficient quota";

/// A user's quota in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceQuota {
    /// The sum of the quota allowances of the user's groups in the organization (0 when in
    /// none, and then the user is not limited).
    pub allowance: i64,
    /// The sum of the daily costs of the latest builds of the user's live workspaces there.
    pub consumed: i64,
}

/// The quota of `user_id` in `organization_id`, for the user themselves and whoever may read
/// that user's workspaces in the organization (organization admins, owners). Anyone else,
/// and an unknown user or organization, gets not found, as Coder answers.
pub async fn workspace_quota(
    db: &impl ConnectionTrait,
    subject: &Subject,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<WorkspaceQuota> {
    const WHAT: &str = "workspace quota";
    let workspaces = Object::new(Resource::Workspace)
        .in_org(organization_id)
        .owned_by(user_id);
    if !authz::is_allowed(subject, Action::Read, &workspaces) {
        return Err(Error::NotFound(WHAT));
    }
    let org_exists = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .is_some();
    let user_exists = user::Entity::find_by_id(user_id)
        .filter(user::Column::Deleted.eq(false))
        .one(db)
        .await?
        .is_some();
    if !org_exists || !user_exists {
        return Err(Error::NotFound(WHAT));
    }
    Ok(WorkspaceQuota {
        allowance: allowance(db, user_id, organization_id).await?.unwrap_or(0),
        consumed: consumed(db, user_id, organization_id, None).await?,
    })
}

/// The sum of the allowances of `user_id`'s groups in `organization_id`; None when the user
/// is in no group there (not limited).
async fn allowance(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Uuid,
) -> Result<Option<i64>, DbErr> {
    let allowances: Vec<i32> = group::Entity::find()
        .select_only()
        .column(group::Column::QuotaAllowance)
        .filter(group::Column::OrganizationId.eq(organization_id))
        .filter(
            group::Column::Id.in_subquery(
                Query::select()
                    .column(group_member::Column::GroupId)
                    .from(group_member::Entity)
                    .and_where(group_member::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    if allowances.is_empty() {
        return Ok(None);
    }
    Ok(Some(allowances.into_iter().map(i64::from).sum()))
}

/// The sum of the daily costs of the latest builds of `user_id`'s live workspaces in
/// `organization_id`, leaving out workspace `except`.
async fn consumed(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Uuid,
    except: Option<Uuid>,
) -> Result<i64, DbErr> {
    let mut workspaces = Query::select();
    workspaces
        .column(workspace::Column::Id)
        .from(workspace::Entity)
        .and_where(workspace::Column::OwnerId.eq(user_id))
        .and_where(workspace::Column::OrganizationId.eq(organization_id))
        .and_where(workspace::Column::Deleted.eq(false));
    if let Some(except) = except {
        workspaces.and_where(workspace::Column::Id.ne(except));
    }
    let total: Option<i64> = workspace_build::Entity::find()
        .select_only()
        .expr(Func::coalesce([
            Expr::col(workspace_build::Column::DailyCost).sum(),
            Expr::val(0i64),
        ]))
        .filter(workspace_build::Column::WorkspaceId.in_subquery(workspaces.to_owned()))
        .filter(is_latest_build())
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.unwrap_or(0))
}

/// Serializes quota commits of one owner in one organization until the transaction ends, so
/// that two builds completing at once cannot both fit under the same remaining allowance.
/// SQLite needs no lock: its one writer already runs completions one after another (the
/// completion has written the job before it reads the quota).
async fn lock_quota(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    organization_id: Uuid,
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let key = crate::db::advisory_lock_id(&format!("workspace-quota:{user_id}:{organization_id}"));
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Whether start build `build` of `ws`, costing `cost`, fits its owner's quota: the commit
/// of Coder's quota committer, in the completion's transaction. A cost of 0 and an owner
/// in no group always fit. Otherwise the costs of the owner's other workspaces plus this
/// one must stay within the allowance, except that (as in Coder) a build costing less than
/// the workspace's previous build is let through, since it lowers what is consumed. The
/// caller records the cost on the build when it fits.
pub(super) async fn commit(
    txn: &DatabaseTransaction,
    ws: &workspace::Model,
    build: &workspace_build::Model,
    cost: i32,
) -> Result<bool, DbErr> {
    if cost == 0 {
        return Ok(true);
    }
    lock_quota(txn, ws.owner_id, ws.organization_id).await?;
    let Some(allowance) = allowance(txn, ws.owner_id, ws.organization_id).await? else {
        return Ok(true);
    };
    let consumed = consumed(txn, ws.owner_id, ws.organization_id, Some(ws.id)).await?;
    let previous_cost: Option<i32> = workspace_build::Entity::find()
        .select_only()
        .column(workspace_build::Column::DailyCost)
        .filter(workspace_build::Column::WorkspaceId.eq(ws.id))
        .filter(workspace_build::Column::BuildNumber.eq(build.build_number - 1))
        .into_tuple()
        .one(txn)
        .await?;
    let raises = cost >= previous_cost.unwrap_or(0);
    let fits = consumed + i64::from(cost) <= allowance;
    if !fits && raises {
        tracing::info!(
            workspace.id = %ws.id,
            build.id = %build.id,
            cost,
            consumed,
            allowance,
            "insufficient quota: the start build fails"
        );
        return Ok(false);
    }
    Ok(true)
}
