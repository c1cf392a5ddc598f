//! Schedules: Coder's 5-field cron dialect (weekday 0-6 from Sunday, optional `CRON_TZ=`)
//! translated at the boundary to the `cron` crate, prebuild preset schedules read as time
//! ranges, the autostop calculation with the template schedule options it reads, and the
//! activity bump.
//!
//! Everything here is pure: callers load rows, build these values and store the results.

mod activity_bump;
mod autostop_calculation;
mod cron;
#[cfg(test)]
mod cron_fuzz;
mod time_range;

pub use activity_bump::{ActivityBumpInput, bumped_deadline};
pub use autostop_calculation::{
    AutostartRequirement, Autostop, AutostopError, AutostopInput, AutostopRequirement,
    MAX_AUTOSTOP_REQUIREMENT_WEEKS, MAX_WORKSPACE_TTL, TemplateScheduleError,
    TemplateScheduleOptions, TtlError, WeekdayBitmap, calculate_autostop, next_allowed_autostart,
    next_autostart, ttl_update_deadline, workspace_ttl_from_millis,
};
pub use cron::{CronError, CronSchedule, ScheduleKind, ShapeError};
pub use time_range::{ScheduleRange, desired_instances, parse_preset_schedule, schedules_overlap};

/// An RFC 3339 test timestamp in UTC.
#[cfg(test)]
fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("test timestamp")
        .with_timezone(&chrono::Utc)
}
