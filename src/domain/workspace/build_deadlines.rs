//! The glue between stored rows and the pure schedule arithmetic: a template row's
//! schedule options, the deadlines of a start build completing now, a workspace's next
//! allowed autostart, and what a change of the template's schedule does to its running
//! workspaces.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::is_latest_build;
use crate::{
    domain::{
        by_id::rows_by_id,
        identity::PREBUILDS_SYSTEM_USER_ID,
        schedule::{
            AutostartRequirement, Autostop, AutostopError, AutostopInput, AutostopRequirement,
            CronError, CronSchedule, TemplateScheduleError, TemplateScheduleOptions,
            calculate_autostop, next_allowed_autostart,
        },
    },
    entity::{
        provisioner_job::{self, JobStatus},
        template, workspace,
        workspace_build::{self, Transition},
    },
};

/// The quiet hours used for every user until users can set their own: Coder's deployment
/// default (midnight UTC). Without quiet hours a template's autostop requirement could
/// never produce a max deadline.
pub const DEFAULT_QUIET_HOURS: &str = "CRON_TZ=UTC 0 0 * * *";

/// Why the deadlines of a start build could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum DeadlineError {
    /// The template's stored schedule settings are out of range.
    #[error(transparent)]
    Schedule(#[from] TemplateScheduleError),
    /// The quiet hours do not parse.
    #[error(transparent)]
    QuietHours(#[from] CronError),
    /// The autostop calculation failed.
    #[error(transparent)]
    Autostop(#[from] AutostopError),
}

/// A template row's schedule settings.
pub fn schedule_options(
    tmpl: &template::Model,
) -> Result<TemplateScheduleOptions, TemplateScheduleError> {
    Ok(TemplateScheduleOptions {
        user_autostart_enabled: tmpl.allow_user_autostart,
        user_autostop_enabled: tmpl.allow_user_autostop,
        default_ttl: TimeDelta::milliseconds(tmpl.default_ttl_ms),
        activity_bump: TimeDelta::milliseconds(tmpl.activity_bump_ms),
        autostop_requirement: AutostopRequirement::from_stored(
            tmpl.autostop_requirement_days_of_week,
            tmpl.autostop_requirement_weeks.into(),
        )?,
        autostart_requirement: AutostartRequirement::new(tmpl.autostart_allowed_days_of_week)?,
        failure_ttl: TimeDelta::milliseconds(tmpl.failure_ttl_ms),
        time_til_dormant: TimeDelta::milliseconds(tmpl.time_til_dormant_ms),
        time_til_dormant_autodelete: TimeDelta::milliseconds(tmpl.time_til_dormant_autodelete_ms),
    })
}

/// The deadline and max deadline of a start build of `ws` completing at `now`.
pub fn deadlines_for(
    ws: &workspace::Model,
    tmpl: &template::Model,
    now: DateTime<Utc>,
) -> Result<Autostop, DeadlineError> {
    let options = schedule_options(tmpl)?;
    // A stored schedule was valid when written; one that no longer parses only loses the
    // autostart border, it must not fail the build.
    let autostart = ws
        .autostart_schedule
        .as_deref()
        .and_then(|s| CronSchedule::parse_weekly(s).ok());
    let quiet_hours = CronSchedule::parse_quiet_hours(DEFAULT_QUIET_HOURS)?;
    calculate_autostop(&AutostopInput {
        now,
        workspace_ttl: ws.ttl_ms.map(TimeDelta::milliseconds),
        workspace_autostart: autostart.as_ref(),
        template: &options,
        user_quiet_hours: Some(&quiet_hours),
    })
    .map_err(DeadlineError::from)
}

/// The `next_start_at` of a workspace autostarting on `schedule`: its first firing after
/// `after` on a day the template allows, looking a week ahead (None when there is none).
/// Creating a workspace, setting its schedule and the lifecycle executor all store this.
pub fn next_start_at(
    schedule: &CronSchedule,
    tmpl: &template::Model,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, TemplateScheduleError> {
    let allowed = AutostartRequirement::new(tmpl.autostart_allowed_days_of_week)?;
    Ok(next_allowed_autostart(after, schedule, allowed))
}

/// How close a max deadline may be to "now" after a template change: a running workspace
/// always gets this long before the template's new rules stop it.
const SCHEDULE_CHANGE_GRACE: TimeDelta = TimeDelta::hours(2);

/// Brings the template's live workspaces in line with its changed schedule, inside the
/// caller's transaction (the one that changed the template):
///
/// - running builds get the deadline and max deadline a build completing when they did
///   would get under the new settings. The max deadline is never less than two hours from
///   `now`. The deadline is recomputed only when the TTL settings changed, and then is
///   never moved earlier than two hours from now (unless it already was); otherwise it
///   keeps its value (activity bumps included). Either way it is clamped to the new max.
///   Builds whose max deadline is less than two hours away are left alone;
/// - dormant workspaces get their deletion time from the new auto-delete setting.
///
/// (New allowed autostart days get the workspaces' next autostarts from the template
/// module, after this.)
///
/// Prebuilt workspaces are never touched. Returns how many running builds changed.
pub async fn apply_template_schedule_change(
    db: &impl ConnectionTrait,
    old: &template::Model,
    new: &template::Model,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let live_workspaces = || {
        Query::select()
            .column(workspace::Column::Id)
            .from(workspace::Entity)
            .and_where(workspace::Column::TemplateId.eq(new.id))
            .and_where(workspace::Column::OwnerId.ne(PREBUILDS_SYSTEM_USER_ID))
            .and_where(workspace::Column::Deleted.eq(false))
            .to_owned()
    };
    if old.time_til_dormant_autodelete_ms != new.time_til_dormant_autodelete_ms {
        let dormant = workspace::Entity::find()
            .filter(workspace::Column::Id.in_subquery(live_workspaces()))
            .filter(workspace::Column::DormantAt.is_not_null())
            .all(db)
            .await?;
        for ws in dormant {
            let deleting_at = ws.dormant_at.and_then(|at| {
                (new.time_til_dormant_autodelete_ms > 0)
                    .then(|| at + TimeDelta::milliseconds(new.time_til_dormant_autodelete_ms))
            });
            workspace::Entity::update_many()
                .col_expr(workspace::Column::DeletingAt, Expr::value(deleting_at))
                .filter(workspace::Column::Id.eq(ws.id))
                .exec(db)
                .await?;
        }
    }
    let ttl_changed = old.default_ttl_ms != new.default_ttl_ms
        || old.allow_user_autostop != new.allow_user_autostop;
    let requirement_changed = old.autostop_requirement_days_of_week
        != new.autostop_requirement_days_of_week
        || old.autostop_requirement_weeks != new.autostop_requirement_weeks;
    if !ttl_changed && !requirement_changed {
        return Ok(0);
    }
    let builds = workspace_build::Entity::find()
        .filter(workspace_build::Column::WorkspaceId.in_subquery(live_workspaces()))
        .filter(workspace_build::Column::Transition.eq(Transition::Start))
        .filter(is_latest_build())
        .all(db)
        .await?;
    let job_ids: Vec<Uuid> = builds.iter().map(|b| b.job_id).collect();
    let workspace_ids: Vec<Uuid> = builds.iter().map(|b| b.workspace_id).collect();
    let jobs = rows_by_id::<provisioner_job::Entity>(db, &job_ids).await?;
    let workspaces = rows_by_id::<workspace::Entity>(db, &workspace_ids).await?;
    let grace = now + SCHEDULE_CHANGE_GRACE;
    let mut changed = 0;
    for build in builds {
        let (Some(job), Some(ws)) = (jobs.get(&build.job_id), workspaces.get(&build.workspace_id))
        else {
            continue;
        };
        let Some(completed_at) = job
            .completed_at
            .filter(|_| job.status == JobStatus::Succeeded)
        else {
            continue;
        };
        if build.max_deadline.is_some_and(|max| max < grace) {
            continue;
        }
        let computed = match deadlines_for(ws, new, completed_at) {
            Ok(computed) => computed,
            Err(err) => {
                // The template's settings were just validated; a failure here is one
                // workspace's odd data, which must not block the template change.
                tracing::warn!(workspace.id = %ws.id, error = %err, "cannot recompute deadlines");
                continue;
            }
        };
        let max_deadline = computed.max_deadline.map(|max| max.max(grace));
        let mut deadline = if ttl_changed {
            computed.deadline.map(|new_deadline| {
                let floor = build.deadline.map_or(grace, |old| old.min(grace));
                new_deadline.max(floor)
            })
        } else {
            build.deadline
        };
        if let Some(max) = max_deadline {
            deadline = Some(deadline.map_or(max, |d| d.min(max)));
        }
        if deadline == build.deadline && max_deadline == build.max_deadline {
            continue;
        }
        workspace_build::Entity::update_many()
            .col_expr(workspace_build::Column::Deadline, Expr::value(deadline))
            .col_expr(
                workspace_build::Column::MaxDeadline,
                Expr::value(max_deadline),
            )
            .col_expr(workspace_build::Column::UpdatedAt, Expr::value(now))
            .filter(workspace_build::Column::Id.eq(build.id))
            .exec(db)
            .await?;
        changed += 1;
    }
    Ok(changed)
}
