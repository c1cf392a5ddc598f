//! Workspace activity reported by its agent: the workspace was used now. That keeps it from
//! going dormant (`last_used_at`, written at most once a minute) and moves a running build's
//! deadline out by the template's activity bump (see `schedule::bumped_deadline`).
//! Prebuilt workspaces are never bumped: nobody uses them until they are claimed.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{Result, builder::latest_build};
use crate::{
    domain::{
        identity::PREBUILDS_SYSTEM_USER_ID,
        schedule::{ActivityBumpInput, bumped_deadline},
    },
    entity::{
        provisioner_job::JobStatus,
        template, workspace,
        workspace_build::{self, Transition},
    },
};

/// How stale `last_used_at` may get before activity refreshes it; avoids a write per report.
const LAST_USED_GRANULARITY: TimeDelta = TimeDelta::minutes(1);

/// What recording activity changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// The running build's deadline after the activity (None: autostop is off, or the
    /// workspace is not running).
    pub deadline: Option<DateTime<Utc>>,
    /// Whether the deadline moved.
    pub bumped: bool,
}

/// Records that `workspace_id` was used at `now`: refreshes `last_used_at` and bumps the
/// deadline of its running build, in one transaction.
pub async fn record_activity(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    workspace_id: Uuid,
) -> Result<Activity> {
    let txn = db.begin().await?;
    let activity = record_activity_in(&txn, now, workspace_id).await?;
    txn.commit().await?;
    Ok(activity)
}

/// [`record_activity`] inside the caller's transaction.
pub async fn record_activity_in(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    workspace_id: Uuid,
) -> Result<Activity> {
    let unchanged = Activity {
        deadline: None,
        bumped: false,
    };
    let Some(ws) = workspace::Entity::find_by_id(workspace_id)
        .filter(workspace::Column::Deleted.eq(false))
        .filter(workspace::Column::OwnerId.ne(PREBUILDS_SYSTEM_USER_ID))
        .one(db)
        .await?
    else {
        return Ok(unchanged);
    };
    workspace::Entity::update_many()
        .col_expr(workspace::Column::LastUsedAt, Expr::value(now))
        .filter(workspace::Column::Id.eq(ws.id))
        .filter(workspace::Column::LastUsedAt.lt(now - LAST_USED_GRANULARITY))
        .exec(db)
        .await?;
    let Some((build, job)) = latest_build(db, ws.id).await? else {
        return Ok(unchanged);
    };
    if build.transition != Transition::Start || job.status != JobStatus::Succeeded {
        return Ok(unchanged);
    }
    let Some(tmpl) = template::Entity::find_by_id(ws.template_id).one(db).await? else {
        return Ok(unchanged);
    };
    let ttl_ms = if tmpl.allow_user_autostop {
        ws.ttl_ms.unwrap_or(0)
    } else {
        tmpl.default_ttl_ms
    };
    let input = ActivityBumpInput {
        now,
        deadline: build.deadline,
        max_deadline: build.max_deadline,
        activity_bump: TimeDelta::milliseconds(tmpl.activity_bump_ms),
        next_autostart: ws.next_start_at,
        ttl: TimeDelta::milliseconds(ttl_ms),
    };
    let Some(deadline) = bumped_deadline(&input) else {
        return Ok(Activity {
            deadline: build.deadline,
            bumped: false,
        });
    };
    // Only if nothing changed the deadline meanwhile: a concurrent bump or a new build wins.
    let updated = workspace_build::Entity::update_many()
        .col_expr(workspace_build::Column::Deadline, Expr::value(deadline))
        .col_expr(workspace_build::Column::UpdatedAt, Expr::value(now))
        .filter(workspace_build::Column::Id.eq(build.id))
        .filter(match build.deadline {
            Some(old) => workspace_build::Column::Deadline.eq(old),
            None => workspace_build::Column::Deadline.is_null(),
        })
        .exec(db)
        .await?;
    let bumped = updated.rows_affected > 0;
    Ok(Activity {
        deadline: if bumped {
            Some(deadline)
        } else {
            build.deadline
        },
        bumped,
    })
}
