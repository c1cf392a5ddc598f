//! The glue between stored rows and the pure schedule arithmetic: a template row's
//! schedule options, the deadlines of a start build completing now, and a workspace's next
//! allowed autostart.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    domain::schedule::{
        AutostartRequirement, Autostop, AutostopError, AutostopInput, AutostopRequirement,
        CronError, CronSchedule, TemplateScheduleError, TemplateScheduleOptions,
        calculate_autostop, next_allowed_autostart,
    },
    entity::{template, workspace},
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
