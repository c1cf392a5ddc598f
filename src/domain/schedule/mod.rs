//! Schedules: Coder's 5-field cron dialect (weekday 0-6 from Sunday, optional `CRON_TZ=`)
//! translated at the boundary to the `cron` crate, prebuild preset schedules read as time
//! ranges, and the autostop calculation with the template schedule options it reads.
//!
//! Everything here is pure: callers load rows, build these values and store the results.

mod cron;
mod time_range;

pub use cron::{CronError, CronSchedule, ScheduleKind, ShapeError};
pub use time_range::{ScheduleRange, desired_instances, parse_preset_schedule, schedules_overlap};
