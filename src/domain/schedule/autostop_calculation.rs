//! When a workspace build stops on its own: the template schedule options that govern it, the
//! autostop calculation run when a build's job completes (Coder's `CalculateAutostop`), the
//! next autostart, the workspace TTL as users set it, and what changing that TTL does to the
//! running build.
//!
//! Two times come out of the calculation. The deadline is a cost measure: the build stops
//! then unless activity bumps it. The max deadline is a compliance measure: the template's
//! autostop requirement placed in the owner's quiet hours, which nothing moves past. Both are
//! `None` when unset (Coder's zero time); we never use the 0001-01-01 sentinel. Whenever a max
//! deadline is set, a deadline is set too and is not later than it.

use chrono::{DateTime, Datelike, Days, NaiveDate, Offset, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::cron::{CronSchedule, local_weekday};

/// How close to a stop day's quiet hours a build may start before that day is skipped, and how
/// far ahead "today" is judged (`autostopRequirementLeeway`, 2h since Coder raised it from 1h).
const REQUIREMENT_LEEWAY: TimeDelta = TimeDelta::hours(2);

/// Subtracted from a stop day's midnight before asking the quiet-hours schedule for its next
/// firing, so that quiet hours at exactly midnight still land on that day
/// (`autostopRequirementBuffer`).
const REQUIREMENT_BUFFER: TimeDelta = TimeDelta::minutes(15);

/// The most weeks an autostop requirement may span.
pub const MAX_AUTOSTOP_REQUIREMENT_WEEKS: i64 = 16;

/// The largest workspace TTL (30 days, Coder's current limit).
pub const MAX_WORKSPACE_TTL: TimeDelta = TimeDelta::days(30);

/// Days of the week as Coder stores them in templates: bit 0 is Monday … bit 6 is Sunday, so
/// the weekend is contiguous. Bit 7 is never set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WeekdayBitmap(u8);

impl WeekdayBitmap {
    /// No day.
    pub const NONE: Self = Self(0);
    /// Every day.
    pub const ALL: Self = Self(0x7F);

    /// The bitmap holding exactly `days`.
    pub fn from_weekdays(days: &[Weekday]) -> Self {
        Self(
            days.iter()
                .fold(0, |bits, day| bits | 1 << day.num_days_from_monday()),
        )
    }

    /// Checks a stored or requested bitmap with Coder's rules; `what` is `autostop` or
    /// `autostart` and only chooses the error.
    fn parse(bits: i16, what: Requirement) -> Result<Self, TemplateScheduleError> {
        if bits & 0b1000_0000 != 0 {
            return Err(match what {
                Requirement::Autostop => TemplateScheduleError::AutostopDaysLastBitSet,
                Requirement::Autostart => TemplateScheduleError::AutostartDaysLastBitSet,
            });
        }
        u8::try_from(bits).map(Self).map_err(|_| match what {
            Requirement::Autostop => TemplateScheduleError::AutostopDaysTooLarge,
            Requirement::Autostart => TemplateScheduleError::AutostartDaysTooLarge,
        })
    }

    /// The stored bits.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether no day is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `day` is set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }
}

#[derive(Clone, Copy)]
enum Requirement {
    Autostop,
    Autostart,
}

/// Why template schedule options were refused (Coder's `Verify*Requirement` texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TemplateScheduleError {
    /// Bit 7 of the autostop days is set.
    #[error("invalid autostop requirement days, last bit is set")]
    AutostopDaysLastBitSet,
    /// The autostop days do not fit in a byte.
    #[error("invalid autostop requirement days, too large")]
    AutostopDaysTooLarge,
    /// Fewer than one week.
    #[error("invalid autostop requirement weeks, less than 1")]
    AutostopWeeksLessThanOne,
    /// More than [`MAX_AUTOSTOP_REQUIREMENT_WEEKS`].
    #[error("invalid autostop requirement weeks, too large")]
    AutostopWeeksTooLarge,
    /// Bit 7 of the allowed autostart days is set.
    #[error("invalid autostart requirement days, last bit is set")]
    AutostartDaysLastBitSet,
    /// The allowed autostart days do not fit in a byte.
    #[error("invalid autostart requirement days, too large")]
    AutostartDaysTooLarge,
}

/// The template's autostop requirement: workspaces must stop in their owner's quiet hours on
/// one of these days, every `weeks` weeks (counted from Monday 2023-01-02).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutostopRequirement {
    days_of_week: WeekdayBitmap,
    weeks: i64,
}

impl AutostopRequirement {
    /// Checks a requested requirement: days a Monday-first bitmap without bit 7, weeks 1-16.
    pub fn new(days_of_week: i16, weeks: i64) -> Result<Self, TemplateScheduleError> {
        let days_of_week = WeekdayBitmap::parse(days_of_week, Requirement::Autostop)?;
        if weeks < 1 {
            return Err(TemplateScheduleError::AutostopWeeksLessThanOne);
        }
        if weeks > MAX_AUTOSTOP_REQUIREMENT_WEEKS {
            return Err(TemplateScheduleError::AutostopWeeksTooLarge);
        }
        Ok(Self {
            days_of_week,
            weeks,
        })
    }

    /// Reads a stored requirement, where weeks 0 means 1 (older rows).
    pub fn from_stored(days_of_week: i16, weeks: i64) -> Result<Self, TemplateScheduleError> {
        Self::new(days_of_week, if weeks == 0 { 1 } else { weeks })
    }

    /// The days a stop may be required on; empty means no requirement.
    pub fn days_of_week(self) -> WeekdayBitmap {
        self.days_of_week
    }

    /// Every how many weeks (1 = weekly).
    pub fn weeks(self) -> i64 {
        self.weeks
    }
}

impl Default for AutostopRequirement {
    /// No requirement (no day), weekly.
    fn default() -> Self {
        Self {
            days_of_week: WeekdayBitmap::NONE,
            weeks: 1,
        }
    }
}

/// The days on which the template lets workspaces autostart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutostartRequirement {
    days_of_week: WeekdayBitmap,
}

impl AutostartRequirement {
    /// Checks the allowed days (a Monday-first bitmap without bit 7). The database stores
    /// the inverse, `autostart_block_days_of_week`; convert before calling.
    pub fn new(days_of_week: i16) -> Result<Self, TemplateScheduleError> {
        Ok(Self {
            days_of_week: WeekdayBitmap::parse(days_of_week, Requirement::Autostart)?,
        })
    }

    /// The allowed days.
    pub fn days_of_week(self) -> WeekdayBitmap {
        self.days_of_week
    }
}

impl Default for AutostartRequirement {
    /// Every day allowed.
    fn default() -> Self {
        Self {
            days_of_week: WeekdayBitmap::ALL,
        }
    }
}

/// A template's schedule settings, as the autostop calculation and the lifecycle executor use
/// them. Durations of zero mean "off".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateScheduleOptions {
    /// Users may set their workspace's autostart schedule.
    pub user_autostart_enabled: bool,
    /// Users may set their workspace's TTL; when false the template's `default_ttl` applies.
    pub user_autostop_enabled: bool,
    /// The TTL new workspaces get, and the one enforced when users may not set their own.
    pub default_ttl: TimeDelta,
    /// How far activity pushes the deadline.
    pub activity_bump: TimeDelta,
    /// Where the max deadline comes from.
    pub autostop_requirement: AutostopRequirement,
    /// The days autostart may fire on.
    pub autostart_requirement: AutostartRequirement,
    /// How long a failed build stays before it is stopped.
    pub failure_ttl: TimeDelta,
    /// Inactivity before a workspace becomes dormant.
    pub time_til_dormant: TimeDelta,
    /// Dormancy before a workspace is deleted.
    pub time_til_dormant_autodelete: TimeDelta,
}

impl Default for TemplateScheduleOptions {
    /// What Coder's AGPL store returns for a template with no default TTL: users may set
    /// autostart and autostop, every day may autostart, no autostop requirement, activity bumps
    /// by an hour, and no failure, dormancy or deletion timers.
    fn default() -> Self {
        Self {
            user_autostart_enabled: true,
            user_autostop_enabled: true,
            default_ttl: TimeDelta::zero(),
            activity_bump: TimeDelta::hours(1),
            autostop_requirement: AutostopRequirement::default(),
            autostart_requirement: AutostartRequirement::default(),
            failure_ttl: TimeDelta::zero(),
            time_til_dormant: TimeDelta::zero(),
            time_til_dormant_autodelete: TimeDelta::zero(),
        }
    }
}

/// What the autostop calculation reads.
#[derive(Debug, Clone, Copy)]
pub struct AutostopInput<'a> {
    /// When the build's job completed.
    pub now: DateTime<Utc>,
    /// The workspace's TTL; `None` when autostop is off (a NULL `ttl`).
    pub workspace_ttl: Option<TimeDelta>,
    /// The workspace's autostart schedule, if any.
    pub workspace_autostart: Option<&'a CronSchedule>,
    /// The template's schedule settings.
    pub template: &'a TemplateScheduleOptions,
    /// The owner's quiet hours (see [`CronSchedule::parse_quiet_hours`]), or the deployment
    /// default; `None` when quiet hours are not available, which means no max deadline.
    pub user_quiet_hours: Option<&'a CronSchedule>,
}

/// A build's deadline and max deadline; `None` is unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Autostop {
    /// When the build stops unless activity bumps it.
    pub deadline: Option<DateTime<Utc>>,
    /// The latest the deadline may be bumped to.
    pub max_deadline: Option<DateTime<Utc>>,
}

impl Autostop {
    /// The database's `workspace_builds_deadline_below_max_deadline` rule: with a max deadline
    /// there is a deadline, and it is not later than the max.
    pub fn respects_max_deadline(&self) -> bool {
        match (self.deadline, self.max_deadline) {
            (_, None) => true,
            (Some(deadline), Some(max)) => deadline <= max,
            (None, Some(_)) => false,
        }
    }
}

/// Why the autostop calculation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutostopError {
    /// The stop day falls before the week-counting epoch, Monday 2023-01-02.
    #[error(
        "coder server system clock is incorrect, cannot calculate template autostop requirement"
    )]
    ClockBeforeEpoch,
    /// No day of the requirement within a week (only when the bitmap is unusable).
    #[error("could not find suitable day for template autostop requirement in the next 7 days")]
    NoSuitableDay,
    /// The quiet-hours schedule never fires after `checked_from`.
    #[error(
        "could not find next occurrence of template autostop requirement in user quiet hours \
         schedule, checked from time {checked_from}"
    )]
    NoQuietHours {
        /// Where the search started.
        checked_from: DateTime<Utc>,
    },
    /// A computed time lies before the job's completion.
    #[error(
        "deadline calculation error, computed deadline or max deadline is in the past for \
         workspace build: deadline={deadline:?} maxDeadline={max_deadline:?} now={now}"
    )]
    InThePast {
        /// The computed deadline.
        deadline: Option<DateTime<Utc>>,
        /// The computed max deadline.
        max_deadline: Option<DateTime<Utc>>,
        /// The completion time.
        now: DateTime<Utc>,
    },
    /// A TTL so large that the deadline is beyond the representable range.
    #[error("deadline calculation overflowed")]
    Overflow,
}

/// Computes a completed build's deadline and max deadline (docs/rules/schedules.md).
///
/// The deadline is `now + ttl`, where the ttl is the workspace's own when users may set it
/// (a workspace without one has no deadline; the template default only seeds new
/// workspaces) and the template default otherwise. A deadline past the next allowed
/// autostart moves to that autostart plus the ttl, so a 12h TTL started at 21:45 with a 09:00
/// autostart stops at 21:00 the next day. The max deadline is set when the template has an
/// autostop requirement and quiet hours are available, and caps the deadline.
///
/// Unlike older Coder code, the deadline comes only from the effective ttl: a template that
/// forbids user autostop with no default TTL gives no deadline even if the workspace row
/// still holds a TTL.
pub fn calculate_autostop(input: &AutostopInput<'_>) -> Result<Autostop, AutostopError> {
    let now = input.now;
    let template = input.template;

    let ttl = if template.user_autostop_enabled {
        input.workspace_ttl.unwrap_or_default()
    } else {
        template.default_ttl
    };

    let mut deadline = None;
    if ttl > TimeDelta::zero() {
        let mut until = add(now, ttl)?;
        // Crossing the next autostart would stop the workspace just after it started itself;
        // count the ttl from that autostart instead.
        let next_start = input
            .workspace_autostart
            .and_then(|schedule| next_autostart(now, schedule, template.autostart_requirement));
        if let Some((next_start, true)) = next_start
            && until > next_start
        {
            until = add(next_start, ttl)?;
        }
        deadline = Some(until);
    }

    let requirement = template.autostop_requirement;
    let max_deadline = match input.user_quiet_hours {
        Some(quiet_hours) if !requirement.days_of_week().is_empty() => {
            Some(requirement_max_deadline(now, quiet_hours, requirement)?)
        }
        _ => None,
    };

    if let Some(max) = max_deadline
        && deadline.is_none_or(|d| max < d)
    {
        deadline = Some(max);
    }

    if deadline.is_some_and(|d| d < now) || max_deadline.is_some_and(|m| m < now) {
        return Err(AutostopError::InThePast {
            deadline,
            max_deadline,
            now,
        });
    }
    Ok(Autostop {
        deadline,
        max_deadline,
    })
}

fn add(t: DateTime<Utc>, d: TimeDelta) -> Result<DateTime<Utc>, AutostopError> {
    t.checked_add_signed(d).ok_or(AutostopError::Overflow)
}

/// The first quiet-hours firing on a required stop day, at least two hours out (step 3 in
/// docs/rules/schedules.md). Days are local dates in the quiet-hours zone: DST never shifts a day.
fn requirement_max_deadline(
    now: DateTime<Utc>,
    quiet_hours: &CronSchedule,
    requirement: AutostopRequirement,
) -> Result<DateTime<Utc>, AutostopError> {
    let tz = quiet_hours.time_zone();
    let soon = add(now, REQUIREMENT_LEEWAY)?;
    let mut day = soon.with_timezone(&tz).date_naive();

    if requirement.weeks() > 1 {
        day = next_applicable_monday(day, requirement.weeks())?;
    }

    // Today's quiet hours are too close or already over: start from tomorrow.
    let first_check = quiet_hours.next_after(midnight(day, tz)? - REQUIREMENT_BUFFER);
    if first_check.is_none_or(|t| t < soon) {
        day = next_day(day)?;
    }

    let mut found = false;
    for _ in 0..7 {
        if requirement.days_of_week().contains(day.weekday()) {
            found = true;
            break;
        }
        day = next_day(day)?;
    }
    if !found {
        return Err(AutostopError::NoSuitableDay);
    }

    let start = midnight(day, tz)?;
    let in_an_hour = add(now, TimeDelta::hours(1))?;
    let checked_from = if start < in_an_hour {
        in_an_hour
    } else {
        start - REQUIREMENT_BUFFER
    };
    quiet_hours
        .next_after(checked_from)
        .ok_or(AutostopError::NoQuietHours { checked_from })
}

/// The first day of the week-counting epoch: Monday 2023-01-02, in whatever zone.
const REQUIREMENT_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 2) {
    Some(day) => day,
    None => panic!("2023-01-02 is a valid date"),
};

/// `day` itself when its week (counted in calendar days from the epoch) is a multiple of
/// `weeks`, else the Monday of the next week that is.
fn next_applicable_monday(day: NaiveDate, weeks: i64) -> Result<NaiveDate, AutostopError> {
    let epoch = REQUIREMENT_EPOCH;
    if day < epoch {
        return Err(AutostopError::ClockBeforeEpoch);
    }
    let week = (day - epoch).num_days() / 7;
    let remainder = week % weeks;
    if remainder == 0 {
        return Ok(day);
    }
    let target_week = week + (weeks - remainder);
    u64::try_from(target_week * 7)
        .ok()
        .and_then(|days| epoch.checked_add_days(Days::new(days)))
        .ok_or(AutostopError::Overflow)
}

fn next_day(day: NaiveDate) -> Result<NaiveDate, AutostopError> {
    day.succ_opt().ok_or(AutostopError::Overflow)
}

/// The instant `day` starts in `tz`, like Go's `time.Date(y, m, d, 0, 0, 0, 0, loc)`: the
/// earlier instant when midnight happens twice, and the instant after the gap when a DST
/// change skips midnight.
fn midnight(day: NaiveDate, tz: Tz) -> Result<DateTime<Utc>, AutostopError> {
    let local = day.and_time(chrono::NaiveTime::MIN);
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return Ok(t.with_timezone(&Utc));
    }
    // Midnight is in a gap: read it with the offset in force the day before, which lands
    // after the gap, as Go does.
    let before = local - TimeDelta::days(1);
    let offset = tz
        .from_local_datetime(&before)
        .earliest()
        .map(|t| t.offset().fix())
        .ok_or(AutostopError::Overflow)?;
    let utc = local - TimeDelta::seconds(i64::from(offset.local_minus_utc()));
    Ok(Utc.from_utc_datetime(&utc))
}

/// The next autostart after `at` and whether the template allows it: the schedule's next
/// firing (whole minutes), with its weekday taken in the schedule's zone, so "Saturday" is the
/// schedule's Saturday (Coder's `NextAutostart`). `None` past the schedule's horizon.
pub fn next_autostart(
    at: DateTime<Utc>,
    schedule: &CronSchedule,
    requirement: AutostartRequirement,
) -> Option<(DateTime<Utc>, bool)> {
    let next = schedule.next_after(at)?;
    let allowed = requirement
        .days_of_week()
        .contains(local_weekday(next, schedule.time_zone()));
    Some((next, allowed))
}

/// The first autostart after `at` that the template allows (Coder's `NextAllowedAutostart`):
/// the schedule's firings are tried in order, skipping those on days the template does not
/// allow (judged in the schedule's zone), while they lie within a week of `at`. `None` when
/// no allowed firing is found by then. This is what `workspaces.next_start_at` holds, and
/// the lifecycle executor starts a workspace once the tick reaches it.
pub fn next_allowed_autostart(
    at: DateTime<Utc>,
    schedule: &CronSchedule,
    requirement: AutostartRequirement,
) -> Option<DateTime<Utc>> {
    let mut next = at;
    // A weekly schedule repeats after seven days: by then every firing has been tried.
    while next - at < TimeDelta::weeks(1) {
        match next_autostart(next, schedule, requirement)? {
            (start, true) => return Some(start),
            (start, false) => next = start,
        }
    }
    None
}

/// Why a requested workspace TTL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    /// Below one minute once truncated to whole minutes.
    #[error("time until shutdown must be at least one minute")]
    TooShort,
    /// Above [`MAX_WORKSPACE_TTL`].
    #[error("time until shutdown must be less than 30 days")]
    TooLong,
}

/// A workspace TTL from a request's `ttl_ms` (Coder's `validWorkspaceTTLMillis`): `None`
/// turns autostop off. Without a template default (the TTL update), absent or 0 means off;
/// at creation an absent value takes the template default. Values are truncated to whole
/// minutes and must lie between one minute and 30 days.
pub fn workspace_ttl_from_millis(
    millis: Option<i64>,
    template_default: TimeDelta,
) -> Result<Option<TimeDelta>, TtlError> {
    let millis = match millis {
        None | Some(0) if template_default.is_zero() => return Ok(None),
        None => return Ok(Some(template_default)),
        Some(millis) => millis,
    };
    let Some(ttl) = TimeDelta::try_milliseconds(millis) else {
        return Err(if millis < 0 {
            TtlError::TooShort
        } else {
            TtlError::TooLong
        });
    };
    // Go's Duration.Truncate rounds toward zero.
    let minutes = TimeDelta::minutes(ttl.num_minutes());
    if minutes < TimeDelta::minutes(1) {
        return Err(TtlError::TooShort);
    }
    if minutes > MAX_WORKSPACE_TTL {
        return Err(TtlError::TooLong);
    }
    Ok(Some(minutes))
}

/// What a TTL update does to the latest build (docs/rules/workspaces-and-builds.md, with Coder's
/// #19203 fix): `None` leaves it alone, `Some` gives its new deadlines.
///
/// A new TTL only applies from the next build. Removing the TTL of a running (start) build
/// drops its deadline back to the max deadline: disabling TTL autostop does not override the
/// template's autostop requirement, so the build never has "no deadline" while a max deadline
/// is set. Without a max deadline it has no deadline at all.
pub fn ttl_update_deadline(
    new_ttl: Option<TimeDelta>,
    latest_build_is_start: bool,
    current: Autostop,
) -> Option<Autostop> {
    if new_ttl.is_some() || !latest_build_is_start {
        return None;
    }
    Some(Autostop {
        deadline: current.max_deadline,
        max_deadline: current.max_deadline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::utc;

    fn quiet(raw: &str) -> CronSchedule {
        CronSchedule::parse_quiet_hours(raw).expect("quiet hours")
    }

    fn requirement(days: &[Weekday], weeks: i64) -> AutostopRequirement {
        AutostopRequirement::from_stored(
            i16::from(WeekdayBitmap::from_weekdays(days).bits()),
            weeks,
        )
        .expect("valid requirement")
    }

    const ALL_DAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// One row of Coder's `TestCalculateAutoStop` table (docs/rules/schedules.md).
    struct Case {
        name: &'static str,
        now: DateTime<Utc>,
        allow_user_autostop: bool,
        template_default_ttl: TimeDelta,
        workspace_ttl: Option<TimeDelta>,
        requirement: AutostopRequirement,
        quiet_hours: Option<&'static str>,
        autostart: Option<&'static str>,
        /// `None` with a max deadline means "= max", as in Coder's table.
        deadline: Option<DateTime<Utc>>,
        max_deadline: Option<DateTime<Utc>>,
        /// The expected error text, for a failing case.
        error: Option<&'static str>,
    }

    fn run(case: &Case) -> Result<Autostop, AutostopError> {
        let template = TemplateScheduleOptions {
            user_autostop_enabled: case.allow_user_autostop,
            default_ttl: case.template_default_ttl,
            autostop_requirement: case.requirement,
            ..TemplateScheduleOptions::default()
        };
        let quiet_hours = case.quiet_hours.map(quiet);
        let autostart = case
            .autostart
            .map(|raw| CronSchedule::parse_weekly(raw).expect("autostart"));
        calculate_autostop(&AutostopInput {
            now: case.now,
            workspace_ttl: case.workspace_ttl,
            workspace_autostart: autostart.as_ref(),
            template: &template,
            user_quiet_hours: quiet_hours.as_ref(),
        })
    }

    #[test]
    fn calculate_autostop_table() {
        let now = utc("2024-05-06T12:00:00Z");
        let h = TimeDelta::hours;
        let none = AutostopRequirement::default();
        let sydney_midnight = Some("CRON_TZ=Australia/Sydney 0 0 * * *");
        // Wednesday 2023-02-08 00:00 UTC (11:00 in Sydney).
        let w = utc("2023-02-08T00:00:00Z");
        // Friday 2023-02-10 22:00 and Saturday 2023-02-11 00:00 in Sydney (+11).
        let f = utc("2023-02-10T22:00:00+11:00");
        let s = utc("2023-02-11T00:00:00+11:00");
        let saturday = |weeks| requirement(&[Weekday::Sat], weeks);
        let sunday = requirement(&[Weekday::Sun], 1);
        let daily = requirement(&ALL_DAYS, 0);
        let chicago_autostart = Some("CRON_TZ=America/Chicago 0 9 * * *");
        // Wednesday 2024-02-14 in Chicago (-06:00).
        let chicago_2145 = utc("2024-02-14T21:45:00-06:00");
        let chicago_2030 = utc("2024-02-14T20:30:00-06:00");
        let base = Case {
            name: "",
            now,
            allow_user_autostop: true,
            template_default_ttl: TimeDelta::zero(),
            workspace_ttl: None,
            requirement: none,
            quiet_hours: None,
            autostart: None,
            deadline: None,
            max_deadline: None,
            error: None,
        };
        let cases = [
            Case { name: "OK", ..base },
            Case {
                name: "Delete",
                ..base
            },
            Case {
                name: "WorkspaceTTL",
                workspace_ttl: Some(h(1)),
                deadline: Some(now + h(1)),
                ..base
            },
            Case {
                name: "TemplateDefaultTTLIgnored",
                template_default_ttl: h(1),
                ..base
            },
            Case {
                name: "WorkspaceTTLOverridesTemplateDefaultTTL",
                template_default_ttl: h(2),
                workspace_ttl: Some(h(1)),
                deadline: Some(now + h(1)),
                ..base
            },
            Case {
                name: "TemplateBlockWorkspaceTTL",
                allow_user_autostop: false,
                template_default_ttl: h(3),
                workspace_ttl: Some(h(4)),
                deadline: Some(now + h(3)),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirement",
                now: w,
                requirement: saturday(0),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirement1HourSkip",
                now: s - TimeDelta::minutes(59),
                requirement: saturday(1),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s + TimeDelta::days(7)),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementDaily",
                now: f,
                requirement: daily,
                quiet_hours: sydney_midnight,
                max_deadline: Some(s),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementFortnightly/Skip",
                now: w,
                requirement: saturday(2),
                quiet_hours: sydney_midnight,
                max_deadline: Some(utc("2023-02-18T00:00:00+11:00")),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementFortnightly/NoSkip",
                now: w + TimeDelta::days(7),
                requirement: saturday(2),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s + TimeDelta::days(7)),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementTriweekly/Skip",
                now: w,
                requirement: saturday(3),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s + TimeDelta::days(7)),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementTriweekly/NoSkip",
                now: w + TimeDelta::days(7),
                requirement: saturday(3),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s + TimeDelta::days(7)),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementOverridesWorkspaceTTL",
                now: f.with_timezone(&Utc),
                workspace_ttl: Some(h(3)),
                requirement: saturday(0),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s),
                ..base
            },
            Case {
                name: "TemplateAutostopRequirementOverridesTemplateDefaultTTL",
                now: f,
                template_default_ttl: h(3),
                requirement: saturday(0),
                quiet_hours: sydney_midnight,
                max_deadline: Some(s),
                ..base
            },
            Case {
                name: "TimeBeforeEpoch",
                now: utc("2023-01-01T21:59:59+11:00"),
                requirement: saturday(2),
                quiet_hours: sydney_midnight,
                error: Some(
                    "coder server system clock is incorrect, cannot calculate template \
                     autostop requirement",
                ),
                ..base
            },
            Case {
                name: "DaylightSavings/OK",
                now: utc("2023-10-04T00:00:00+11:00"),
                requirement: saturday(1),
                quiet_hours: sydney_midnight,
                max_deadline: Some(utc("2023-10-07T00:00:00+11:00")),
                ..base
            },
            Case {
                name: "DaylightSavings/SwitchMidWeek/In",
                now: utc("2023-10-01T00:00:00+10:00"),
                requirement: saturday(1),
                quiet_hours: sydney_midnight,
                max_deadline: Some(utc("2023-10-07T00:00:00+11:00")),
                ..base
            },
            Case {
                name: "DaylightSavings/SwitchMidWeek/Out",
                now: utc("2024-04-07T00:00:00+11:00"),
                requirement: saturday(1),
                quiet_hours: sydney_midnight,
                max_deadline: Some(utc("2024-04-13T00:00:00+10:00")),
                ..base
            },
            Case {
                name: "DaylightSavings/QuietHoursFallsOnDstSwitch/In",
                now: utc("2023-09-30T00:00:00+10:00"),
                requirement: sunday,
                quiet_hours: Some("CRON_TZ=Australia/Sydney 30 2 * * *"),
                // 02:30 does not exist on Sunday 2023-10-01; the next one is Monday's.
                max_deadline: Some(utc("2023-10-02T02:30:00+11:00")),
                ..base
            },
            Case {
                name: "DaylightSavings/QuietHoursFallsOnDstSwitch/Out",
                now: utc("2024-04-06T00:00:00+11:00"),
                requirement: sunday,
                quiet_hours: Some("CRON_TZ=Australia/Sydney 30 3 * * *"),
                max_deadline: Some(utc("2024-04-07T03:30:00+10:00")),
                ..base
            },
            Case {
                name: "AutostopCrossAutostartBorder",
                now: chicago_2145,
                allow_user_autostop: false,
                template_default_ttl: h(12),
                workspace_ttl: Some(h(12)),
                autostart: chicago_autostart,
                deadline: Some(utc("2024-02-15T21:00:00-06:00")),
                ..base
            },
            Case {
                name: "AutostopCrossMissAutostartBorder",
                now: chicago_2030,
                allow_user_autostop: false,
                template_default_ttl: h(12),
                workspace_ttl: Some(h(12)),
                autostart: chicago_autostart,
                deadline: Some(utc("2024-02-15T08:30:00-06:00")),
                ..base
            },
            Case {
                name: "AutostopCrossAutostartBorderMaxEarlyDeadline",
                now: chicago_2145,
                allow_user_autostop: false,
                template_default_ttl: h(12),
                workspace_ttl: Some(h(12)),
                autostart: chicago_autostart,
                requirement: daily,
                quiet_hours: Some("CRON_TZ=America/Chicago 0 6 * * *"),
                deadline: Some(utc("2024-02-15T06:00:00-06:00")),
                max_deadline: Some(utc("2024-02-15T06:00:00-06:00")),
                ..base
            },
            Case {
                name: "AutostopCrossAutostartBorderMaxDeadline",
                now: chicago_2145,
                allow_user_autostop: false,
                template_default_ttl: h(12),
                workspace_ttl: Some(h(12)),
                autostart: chicago_autostart,
                requirement: daily,
                quiet_hours: Some("CRON_TZ=America/Chicago 0 11 * * *"),
                deadline: Some(utc("2024-02-15T11:00:00-06:00")),
                max_deadline: Some(utc("2024-02-15T11:00:00-06:00")),
                ..base
            },
        ];

        for case in &cases {
            let result = run(case);
            match case.error {
                Some(text) => {
                    let err = result.expect_err(case.name);
                    assert_eq!(err.to_string(), text, "{}", case.name);
                }
                None => {
                    let got = result.unwrap_or_else(|e| panic!("{}: {e}", case.name));
                    // A blank deadline in Coder's table means "= max deadline".
                    let want_deadline = case.deadline.or(case.max_deadline);
                    assert_eq!(got.deadline, want_deadline, "{} deadline", case.name);
                    assert_eq!(got.max_deadline, case.max_deadline, "{} max", case.name);
                    assert!(got.respects_max_deadline(), "{}", case.name);
                }
            }
        }
    }

    #[test]
    fn no_quiet_hours_means_no_max_deadline() {
        let template = TemplateScheduleOptions {
            autostop_requirement: requirement(&[Weekday::Sat], 1),
            ..TemplateScheduleOptions::default()
        };
        let now = utc("2023-02-08T00:00:00Z");
        let got = calculate_autostop(&AutostopInput {
            now,
            workspace_ttl: Some(TimeDelta::hours(8)),
            workspace_autostart: None,
            template: &template,
            user_quiet_hours: None,
        })
        .expect("autostop");
        assert_eq!(
            got,
            Autostop {
                deadline: Some(now + TimeDelta::hours(8)),
                max_deadline: None,
            }
        );
    }

    #[test]
    fn template_without_default_ignores_a_leftover_workspace_ttl() {
        // Coder's quirk Q1 set a deadline from the workspace TTL here; we do not.
        let template = TemplateScheduleOptions {
            user_autostop_enabled: false,
            ..TemplateScheduleOptions::default()
        };
        let got = calculate_autostop(&AutostopInput {
            now: utc("2024-05-06T12:00:00Z"),
            workspace_ttl: Some(TimeDelta::hours(4)),
            workspace_autostart: None,
            template: &template,
            user_quiet_hours: None,
        })
        .expect("autostop");
        assert_eq!(got, Autostop::default());
    }

    #[test]
    fn disallowed_autostart_day_does_not_move_the_deadline() {
        // Autostart every day at 09:00 Chicago, but the template allows no Thursday start.
        let days: Vec<Weekday> = ALL_DAYS
            .into_iter()
            .filter(|d| *d != Weekday::Thu)
            .collect();
        let template = TemplateScheduleOptions {
            user_autostop_enabled: false,
            default_ttl: TimeDelta::hours(12),
            autostart_requirement: AutostartRequirement::new(i16::from(
                WeekdayBitmap::from_weekdays(&days).bits(),
            ))
            .expect("valid"),
            ..TemplateScheduleOptions::default()
        };
        let autostart =
            CronSchedule::parse_weekly("CRON_TZ=America/Chicago 0 9 * * *").expect("autostart");
        let now = utc("2024-02-14T21:45:00-06:00");
        let got = calculate_autostop(&AutostopInput {
            now,
            workspace_ttl: None,
            workspace_autostart: Some(&autostart),
            template: &template,
            user_quiet_hours: None,
        })
        .expect("autostop");
        assert_eq!(got.deadline, Some(now + TimeDelta::hours(12)));
    }

    #[test]
    fn next_allowed_autostart_skips_blocked_days() {
        let schedule =
            CronSchedule::parse_weekly("CRON_TZ=Australia/Sydney 0 9 * * *").expect("schedule");
        let weekend_only = AutostartRequirement::new(i16::from(
            WeekdayBitmap::from_weekdays(&[Weekday::Sat, Weekday::Sun]).bits(),
        ))
        .expect("valid");
        // Monday 2025-06-02 10:00 in Sydney; Saturday is judged in Sydney, not UTC.
        let at = utc("2025-06-02T10:00:00+10:00");
        assert_eq!(
            next_allowed_autostart(at, &schedule, weekend_only),
            Some(utc("2025-06-07T09:00:00+10:00"))
        );
        assert_eq!(
            next_autostart(at, &schedule, weekend_only),
            Some((utc("2025-06-03T09:00:00+10:00"), false))
        );
        let never = AutostartRequirement::new(0).expect("valid");
        assert_eq!(next_allowed_autostart(at, &schedule, never), None);
    }

    /// `next_allowed_autostart` (what `next_start_at` holds), from Monday 2025-06-02 (UTC
    /// unless the schedule names a zone). Days are the template's allowed days.
    #[test]
    fn next_allowed_autostart_table() {
        use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
        const WEEKDAYS: &[Weekday] = &[Mon, Tue, Wed, Thu, Fri];
        let cases: &[(&str, &str, &[Weekday], Option<&str>)] = &[
            // Monday (1): later today, or next Monday once today's has passed.
            (
                "0 9 * * 1",
                "2025-06-02T08:00:00Z",
                &ALL_DAYS,
                Some("2025-06-02T09:00:00Z"),
            ),
            (
                "0 9 * * 1",
                "2025-06-02T09:00:00Z",
                &ALL_DAYS,
                Some("2025-06-09T09:00:00Z"),
            ),
            (
                "0 9 * * 1",
                "2025-06-02T10:00:00Z",
                &[Mon],
                Some("2025-06-09T09:00:00Z"),
            ),
            // Sunday is 0 (and SUN), never Monday.
            (
                "0 9 * * 0",
                "2025-06-02T10:00:00Z",
                &ALL_DAYS,
                Some("2025-06-08T09:00:00Z"),
            ),
            (
                "0 9 * * SUN",
                "2025-06-02T10:00:00Z",
                &[Sun],
                Some("2025-06-08T09:00:00Z"),
            ),
            // Monday to Friday: Tuesday next; with only Friday allowed, Friday.
            (
                "30 9 * * 1-5",
                "2025-06-02T10:00:00Z",
                WEEKDAYS,
                Some("2025-06-03T09:30:00Z"),
            ),
            (
                "30 9 * * 1-5",
                "2025-06-02T10:00:00Z",
                &[Fri],
                Some("2025-06-06T09:30:00Z"),
            ),
            // A weekday schedule on a weekend-only template never starts.
            ("30 9 * * 1-5", "2025-06-02T10:00:00Z", &[Sat, Sun], None),
            // Weekends (6,0): Saturday first.
            (
                "0 10 * * 6,0",
                "2025-06-02T10:00:00Z",
                &ALL_DAYS,
                Some("2025-06-07T10:00:00Z"),
            ),
            (
                "0 10 * * 6,0",
                "2025-06-02T10:00:00Z",
                &[Sun],
                Some("2025-06-08T10:00:00Z"),
            ),
            // Every day on a Wednesday-only template, set on a Monday: Wednesday, not Monday.
            (
                "58 8 * * *",
                "2025-06-02T07:00:00Z",
                &[Wed],
                Some("2025-06-04T08:58:00Z"),
            ),
            // Set on Wednesday just after the firing: a week later, the last firing tried.
            (
                "58 8 * * *",
                "2025-06-04T09:00:00Z",
                &[Wed],
                Some("2025-06-11T08:58:00Z"),
            ),
            // CRON_TZ: 08:00 in Chicago (UTC-5 in June) is 13:00Z, and its weekday is
            // Chicago's: Monday 20:00 Chicago is already Tuesday in UTC.
            (
                "CRON_TZ=America/Chicago 0 8 * * *",
                "2025-06-02T10:00:00Z",
                &ALL_DAYS,
                Some("2025-06-02T13:00:00Z"),
            ),
            (
                "CRON_TZ=America/Chicago 0 20 * * 1",
                "2025-06-02T10:00:00Z",
                &[Mon],
                Some("2025-06-03T01:00:00Z"),
            ),
            (
                "CRON_TZ=America/Chicago 0 20 * * 1",
                "2025-06-02T10:00:00Z",
                &[Tue],
                None,
            ),
            // No day allowed.
            ("0 9 * * *", "2025-06-02T10:00:00Z", &[], None),
        ];
        for (raw, at, days, expected) in cases {
            let schedule = CronSchedule::parse_weekly(raw).expect("schedule");
            let allowed =
                AutostartRequirement::new(i16::from(WeekdayBitmap::from_weekdays(days).bits()))
                    .expect("valid");
            assert_eq!(
                next_allowed_autostart(utc(at), &schedule, allowed),
                expected.map(utc),
                "{raw} after {at} on {days:?}"
            );
        }
    }

    #[test]
    fn requirement_validation_texts() {
        let text = |r: Result<AutostopRequirement, TemplateScheduleError>| {
            r.expect_err("refused").to_string()
        };
        assert_eq!(
            text(AutostopRequirement::new(0b1000_0000, 1)),
            "invalid autostop requirement days, last bit is set"
        );
        assert_eq!(
            text(AutostopRequirement::new(0x100, 1)),
            "invalid autostop requirement days, too large"
        );
        assert_eq!(
            text(AutostopRequirement::new(1, 0)),
            "invalid autostop requirement weeks, less than 1"
        );
        assert_eq!(
            text(AutostopRequirement::new(1, 17)),
            "invalid autostop requirement weeks, too large"
        );
        assert_eq!(
            AutostartRequirement::new(0b1000_0000)
                .expect_err("refused")
                .to_string(),
            "invalid autostart requirement days, last bit is set"
        );
        let ok = AutostopRequirement::new(0b0110_0000, 16).expect("valid");
        assert!(ok.days_of_week().contains(Weekday::Sat));
        assert!(ok.days_of_week().contains(Weekday::Sun));
        assert!(!ok.days_of_week().contains(Weekday::Mon));
        assert_eq!(
            AutostopRequirement::from_stored(1, 0).map(|r| r.weeks()),
            Ok(1)
        );
    }

    #[test]
    fn workspace_ttl_rules() {
        let zero = TimeDelta::zero();
        let minute_ms = 60_000;
        assert_eq!(workspace_ttl_from_millis(None, zero), Ok(None));
        assert_eq!(workspace_ttl_from_millis(Some(0), zero), Ok(None));
        assert_eq!(
            workspace_ttl_from_millis(None, TimeDelta::hours(2)),
            Ok(Some(TimeDelta::hours(2)))
        );
        assert_eq!(
            workspace_ttl_from_millis(Some(0), TimeDelta::hours(2)),
            Err(TtlError::TooShort)
        );
        assert_eq!(
            workspace_ttl_from_millis(Some(minute_ms - 1), zero),
            Err(TtlError::TooShort)
        );
        assert_eq!(
            workspace_ttl_from_millis(Some(-minute_ms), zero),
            Err(TtlError::TooShort)
        );
        // Truncated to whole minutes.
        assert_eq!(
            workspace_ttl_from_millis(Some(minute_ms * 90 + 59_999), zero),
            Ok(Some(TimeDelta::minutes(90)))
        );
        let thirty_days_ms = 30 * 24 * 60 * minute_ms;
        assert_eq!(
            workspace_ttl_from_millis(Some(thirty_days_ms), zero),
            Ok(Some(TimeDelta::days(30)))
        );
        assert_eq!(
            workspace_ttl_from_millis(Some(thirty_days_ms + minute_ms), zero),
            Err(TtlError::TooLong)
        );
        assert_eq!(
            workspace_ttl_from_millis(Some(i64::MAX), zero),
            Err(TtlError::TooLong)
        );
        assert_eq!(
            TtlError::TooShort.to_string(),
            "time until shutdown must be at least one minute"
        );
        assert_eq!(
            TtlError::TooLong.to_string(),
            "time until shutdown must be less than 30 days"
        );
    }

    /// The TTL update cases of docs/rules/workspaces-and-builds.md and the #19203 fix.
    #[test]
    fn ttl_update_deadline_cases() {
        let deadline = utc("2025-06-02T17:00:00Z");
        let max = utc("2025-06-07T00:00:00Z");
        let with_max = Autostop {
            deadline: Some(deadline),
            max_deadline: Some(max),
        };
        let without_max = Autostop {
            deadline: Some(deadline),
            max_deadline: None,
        };

        // Removing the TTL of a running build falls back to the max deadline, never to none.
        let got = ttl_update_deadline(None, true, with_max).expect("updated");
        assert_eq!(
            got,
            Autostop {
                deadline: Some(max),
                max_deadline: Some(max),
            }
        );
        assert!(got.respects_max_deadline());

        // With no max deadline, autostop is fully off.
        assert_eq!(
            ttl_update_deadline(None, true, without_max),
            Some(Autostop::default())
        );

        // A new TTL applies from the next build only, even when the deadline was cleared.
        assert_eq!(
            ttl_update_deadline(Some(TimeDelta::hours(2)), true, with_max),
            None
        );
        assert_eq!(
            ttl_update_deadline(Some(TimeDelta::hours(2)), true, Autostop::default()),
            None
        );

        // A stopped or deleted workspace's build is left alone.
        assert_eq!(ttl_update_deadline(None, false, with_max), None);
    }

    #[test]
    fn the_check_constraint() {
        let t = utc("2025-06-02T17:00:00Z");
        let later = t + TimeDelta::hours(1);
        let pair = |deadline, max_deadline| Autostop {
            deadline,
            max_deadline,
        };
        assert!(pair(None, None).respects_max_deadline());
        assert!(pair(Some(t), None).respects_max_deadline());
        assert!(pair(Some(t), Some(t)).respects_max_deadline());
        assert!(pair(Some(t), Some(later)).respects_max_deadline());
        assert!(!pair(Some(later), Some(t)).respects_max_deadline());
        assert!(!pair(None, Some(t)).respects_max_deadline());
    }
}
