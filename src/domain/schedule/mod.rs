//! Schedules: Coder's 5-field cron dialect (weekday 0-6 from Sunday, optional `CRON_TZ=`)
//! translated at the boundary to the `cron` crate, and the autostop calculation.
