//! Coder's cron dialect: five fields (minute, hour, day-of-month, month, day-of-week), an
//! optional `CRON_TZ=<IANA zone>` prefix that defaults to UTC, and day-of-week numbered 0-6 from
//! Sunday (7 is rejected). This module parses that dialect with Coder's (robfig/cron v3) rules
//! and error texts, keeps the canonical `CRON_TZ=<zone> <fields>` string for storage, and
//! translates to the `cron` crate only to evaluate.
//!
//! The translation is the dangerous part: the `cron` crate is seconds-first and numbers
//! weekdays 1-7 from Sunday, so copying Coder's `1-5` (Monday to Friday) verbatim would mean
//! Sunday to Thursday. We never copy field text: every field is parsed into a set here and
//! written back out as explicit values, with weekdays as names (`MON,TUE`), which both parsers
//! read the same way.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Which of Coder's parsers a schedule went through; it names the validation error prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleKind {
    /// Workspace autostart (`cron.Weekly`): day-of-month and month must be `*`.
    Weekly,
    /// User quiet hours (`cron.Daily`): day-of-month, month and day-of-week must be `*`.
    Daily,
    /// A prebuild preset schedule read as a time range: the minute must be `*`.
    TimeRange,
}

impl fmt::Display for ScheduleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScheduleKind::Weekly => "weekly",
            ScheduleKind::Daily => "daily",
            ScheduleKind::TimeRange => "time range",
        })
    }
}

/// A shape rule that a schedule breaks, checked on its whitespace-separated fields before
/// any field is parsed (Coder's `validate*Spec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// Fewer than five fields.
    #[error("expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix")]
    FieldCount,
    /// A weekly schedule restricts the day of the month or the month.
    #[error("expected day-of-month and month to be *")]
    WeeklyDays,
    /// A daily schedule restricts a day field.
    #[error("expected day-of-month, month and day-of-week to be *")]
    DailyDays,
    /// A time range whose minute is not `*` (devplane's wording; Coder's was not available).
    #[error("expected minute to be *")]
    MinuteNotWildcard,
}

/// Why a schedule was refused. The texts are Coder's, so clients see the same messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// The schedule breaks a shape rule of its kind.
    #[error("validate {kind} schedule: {shape}")]
    Shape {
        /// The parser that refused it.
        kind: ScheduleKind,
        /// The rule it breaks.
        shape: ShapeError,
    },
    /// `CRON_TZ=` names a zone that is not in the IANA database.
    #[error("parse schedule: provided bad location {0}: unknown time zone {0}")]
    UnknownTimeZone(String),
    /// `CRON_TZ=Local`: the server's zone is not a stable meaning for a stored schedule.
    #[error("schedules scoped to time.Local are not supported")]
    LocalTimeZone,
    /// A field does not parse, or the field count is wrong; the text is robfig/cron's.
    #[error("parse schedule: {0}")]
    Syntax(String),
    /// A quiet-hours schedule fires at more than one time of day.
    #[error("daily schedule {schedule:?} has more than one time: {time}")]
    MoreThanOneTime {
        /// The schedule as given.
        schedule: String,
        /// Coder's rendering of its minute and hour, `cron(<minute> <hour>)`.
        time: String,
    },
    /// The translated expression was refused by the `cron` crate. It cannot happen for a
    /// schedule that passed our parser; it is an error rather than a panic all the same.
    #[error("translate schedule {expression:?} for evaluation: {reason}")]
    Translate {
        /// The seconds-first expression we built.
        expression: String,
        /// The `cron` crate's error.
        reason: String,
    },
}

/// One parsed field: the set of values it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Field {
    /// Bit `v` is set when value `v` is allowed.
    bits: u64,
    /// robfig's "star bit": the field was `*` or `?` without a step above 1. It decides how
    /// day-of-month and day-of-week combine (both must match when either has it, otherwise
    /// either may).
    star: bool,
    /// The field text was exactly `*`; the preset overlap rule compares text, not sets.
    wildcard: bool,
}

impl Field {
    /// Whether `value` is allowed.
    pub(super) fn contains(self, value: u32) -> bool {
        value < 64 && self.bits & (1 << value) != 0
    }

    /// Whether the two fields allow a common value.
    pub(super) fn intersects(self, other: Field) -> bool {
        self.bits & other.bits != 0
    }

    /// Whether the field was written as `*`.
    pub(super) fn is_wildcard(self) -> bool {
        self.wildcard
    }

    /// Whether every value in `min..=max` is allowed.
    fn is_full(self, bounds: &Bounds) -> bool {
        (bounds.min..=bounds.max).all(|v| self.contains(v))
    }

    /// The allowed values, smallest first.
    fn values(self, bounds: &Bounds) -> impl Iterator<Item = u32> {
        (bounds.min..=bounds.max).filter(move |v| self.contains(*v))
    }
}

/// The legal values of one field, and the names it accepts.
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DAYS_OF_MONTH: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
/// Coder's day-of-week: 0-6 from Sunday. 7 is out of range, unlike Vixie cron.
const DAYS_OF_WEEK: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// The names the `cron` crate reads for days 0 (Sunday) to 6 (Saturday).
const WEEKDAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A schedule in Coder's dialect, parsed: its zone, its canonical field text and the value
/// set of each field. Shared by [`CronSchedule`] and the preset time ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CronSpec {
    pub(super) tz: Tz,
    /// The zone as written after `CRON_TZ=` (`UTC` when absent or empty).
    pub(super) tz_name: String,
    /// The five fields as written, joined by single spaces.
    pub(super) cron: String,
    pub(super) minutes: Field,
    pub(super) hours: Field,
    pub(super) days_of_month: Field,
    pub(super) months: Field,
    pub(super) days_of_week: Field,
}

impl CronSpec {
    /// Parses `raw` as Coder's `cron.Weekly`, `cron.Daily` or time-range parser would: the
    /// shape check of `kind`, then the `CRON_TZ=` prefix, then the five fields.
    pub(super) fn parse(raw: &str, kind: ScheduleKind) -> Result<Self, CronError> {
        check_shape(raw, kind)?;

        // Coder prepends `CRON_TZ=UTC ` when there is no prefix, so the server's own zone
        // never leaks into a schedule.
        let (tz_text, rest) = match raw.strip_prefix("CRON_TZ=") {
            Some(after) => match after.split_once(char::is_whitespace) {
                Some((tz, rest)) => (tz, rest.trim()),
                None => (after, ""),
            },
            None => ("UTC", raw),
        };
        let tz = match tz_text {
            // Go's LoadLocation reads "" as UTC; "Local" loads, and is refused after the
            // fields parse, as Coder does.
            "" | "UTC" | "Local" => Tz::UTC,
            name => name
                .parse::<Tz>()
                .map_err(|_| CronError::UnknownTimeZone(name.to_owned()))?,
        };

        if rest.starts_with('@') {
            return Err(CronError::Syntax(format!(
                "parser does not accept descriptors: {rest}"
            )));
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let [minute, hour, dom, month, dow] = fields[..] else {
            return Err(CronError::Syntax(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            )));
        };
        let spec = CronSpec {
            tz,
            tz_name: if tz_text.is_empty() {
                "UTC".to_owned()
            } else {
                tz_text.to_owned()
            },
            cron: fields.join(" "),
            minutes: parse_field(minute, &MINUTES)?,
            hours: parse_field(hour, &HOURS)?,
            days_of_month: parse_field(dom, &DAYS_OF_MONTH)?,
            months: parse_field(month, &MONTHS)?,
            days_of_week: parse_field(dow, &DAYS_OF_WEEK)?,
        };
        if tz_text == "Local" {
            return Err(CronError::LocalTimeZone);
        }
        Ok(spec)
    }

    /// Whether the local calendar day matches, with robfig's rule: when either day field is
    /// a plain `*` both must match, otherwise either may.
    pub(super) fn day_matches(&self, day_of_month: u32, weekday_from_sunday: u32) -> bool {
        let dom = self.days_of_month.contains(day_of_month);
        let dow = self.days_of_week.contains(weekday_from_sunday);
        if self.days_of_month.star || self.days_of_week.star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The field text, split (always five entries).
    fn field_texts(&self) -> Vec<&str> {
        self.cron.split(' ').collect()
    }
}

/// Coder's `validateWeeklySpec`/`validateDailySpec`, literally: the checks look at the
/// whitespace-separated parts, dropping the first only when there are exactly six.
fn check_shape(raw: &str, kind: ScheduleKind) -> Result<(), CronError> {
    let shape_error = |shape| CronError::Shape { kind, shape };
    let mut parts: Vec<&str> = raw.split_whitespace().collect();
    if parts.len() < 5 {
        return Err(shape_error(ShapeError::FieldCount));
    }
    if parts.len() == 6 {
        parts.remove(0);
    }
    match kind {
        ScheduleKind::Weekly if parts[2] != "*" || parts[3] != "*" => {
            Err(shape_error(ShapeError::WeeklyDays))
        }
        ScheduleKind::Daily if parts[2] != "*" || parts[3] != "*" || parts[4] != "*" => {
            Err(shape_error(ShapeError::DailyDays))
        }
        ScheduleKind::TimeRange if parts[0] != "*" => {
            Err(shape_error(ShapeError::MinuteNotWildcard))
        }
        _ => Ok(()),
    }
}

/// One field: comma-separated ranges (robfig's `getField`).
fn parse_field(text: &str, bounds: &Bounds) -> Result<Field, CronError> {
    let mut field = Field {
        bits: 0,
        star: false,
        wildcard: text == "*",
    };
    for expr in text.split(',') {
        let (bits, star) = parse_range(expr, bounds).map_err(CronError::Syntax)?;
        field.bits |= bits;
        field.star |= star;
    }
    Ok(field)
}

/// One range: `*`, `?`, `n`, `a-b`, each with an optional `/step`; `n/step` means
/// `n-max/step` (robfig's `getRange`, with its messages and its order of checks).
fn parse_range(expr: &str, bounds: &Bounds) -> Result<(u64, bool), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;

    let (start, mut end, mut star) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (u64::from(bounds.min), u64::from(bounds.max), true)
    } else {
        let start = parse_int_or_name(low_and_high[0], bounds)?;
        let end = match low_and_high[..] {
            [_] => start,
            [_, high] => parse_int_or_name(high, bounds)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end, false)
    };

    let step = match range_and_step[..] {
        [_] => 1,
        [_, step_text] => {
            let step = parse_int(step_text)?;
            if single {
                end = u64::from(bounds.max);
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };

    if start < u64::from(bounds.min) {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        ));
    }
    if end > u64::from(bounds.max) {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            bounds.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }

    let mut bits = 0u64;
    let mut value = start;
    // `end` is at most 59 here, so every shift is in range.
    while value <= end {
        bits |= 1 << value;
        match value.checked_add(step) {
            Some(next) => value = next,
            None => break,
        }
    }
    Ok((bits, star))
}

fn parse_int_or_name(text: &str, bounds: &Bounds) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    match bounds.names.iter().find(|(name, _)| *name == lower) {
        Some((_, value)) => Ok(u64::from(*value)),
        None => parse_int(text),
    }
}

/// Go's `strconv.Atoi` plus robfig's refusal of negative numbers, with their messages.
fn parse_int(text: &str) -> Result<u64, String> {
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {text}")),
        Ok(n) => Ok(n.unsigned_abs()),
        Err(err) => {
            let reason = match err.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    "value out of range"
                }
                _ => "invalid syntax",
            };
            Err(format!(
                "failed to parse int from {text}: strconv.Atoi: parsing {text:?}: {reason}"
            ))
        }
    }
}

/// The last year the `cron` crate searches for firings.
const CRON_CRATE_LAST_YEAR: i32 = 2100;

/// A weekly or daily schedule in Coder's dialect, ready to evaluate.
///
/// [`Display`](fmt::Display) gives the canonical stored form, `CRON_TZ=<zone> <5 fields>`,
/// with the fields as the user wrote them (names stay names).
#[derive(Debug, Clone)]
pub struct CronSchedule {
    spec: CronSpec,
    /// The same schedule in the `cron` crate's dialect; see the module documentation.
    compiled: ::cron::Schedule,
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Eq for CronSchedule {}

impl CronSchedule {
    /// Parses a workspace autostart schedule (Coder's `cron.Weekly`): day-of-month and month
    /// must be `*`.
    pub fn parse_weekly(raw: &str) -> Result<Self, CronError> {
        Self::compile(CronSpec::parse(raw, ScheduleKind::Weekly)?)
    }

    /// Parses a daily schedule (Coder's `cron.Daily`): every day field must be `*`.
    pub fn parse_daily(raw: &str) -> Result<Self, CronError> {
        Self::compile(CronSpec::parse(raw, ScheduleKind::Daily)?)
    }

    /// Parses a user's quiet-hours schedule: a daily schedule that fires at exactly one time
    /// of day (`*/5` and ranges are refused), as Coder's enterprise quiet-hours store does.
    pub fn parse_quiet_hours(raw: &str) -> Result<Self, CronError> {
        let schedule = Self::parse_daily(raw)?;
        if schedule.time_of_day().is_none() {
            return Err(CronError::MoreThanOneTime {
                schedule: raw.to_owned(),
                time: schedule.time_text(),
            });
        }
        Ok(schedule)
    }

    fn compile(spec: CronSpec) -> Result<Self, CronError> {
        let expression = translate(&spec);
        let compiled =
            expression
                .parse::<::cron::Schedule>()
                .map_err(|err| CronError::Translate {
                    expression: expression.clone(),
                    reason: err.to_string(),
                })?;
        Ok(Self { spec, compiled })
    }

    /// The earliest firing strictly after `t` (second granularity), evaluated in the
    /// schedule's zone. A local time that does not exist (spring-forward) is skipped: a daily
    /// 02:30 in Sydney fires on 2023-10-02, not on 2023-10-01. A local time that happens twice
    /// (fall-back) fires once, at its first instant. `None` only past the year 2100, the
    /// `cron` crate's horizon.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz = self.spec.tz;
        let local = t.with_timezone(&tz);
        // Past its horizon the crate finds nothing, and at the end of chrono's range it
        // overflows adding its first second instead of saying so.
        if local.year() > CRON_CRATE_LAST_YEAR {
            return None;
        }
        // The crate searches by local fields and yields both instants of an ambiguous local
        // time, the earlier first, even when `t` lies between them. Keeping only instants
        // after `t` that are not the second pass of a repeated time makes the answer the same
        // however `t` falls in the repeated hour (robfig fires at both instants; one is
        // enough for an autostart or a quiet-hours stop).
        self.compiled
            .after(&local)
            .find(|candidate| {
                let second_pass = matches!(
                    tz.from_local_datetime(&candidate.naive_local()),
                    chrono::LocalResult::Ambiguous(_, later) if later == *candidate
                );
                *candidate > local && !second_pass
            })
            .map(|candidate| candidate.with_timezone(&Utc))
    }

    /// The zone the schedule is evaluated in.
    pub fn time_zone(&self) -> Tz {
        self.spec.tz
    }

    /// The zone as stored after `CRON_TZ=`.
    pub fn time_zone_name(&self) -> &str {
        &self.spec.tz_name
    }

    /// The five fields without the zone (Coder's `Cron()`).
    pub fn cron(&self) -> &str {
        &self.spec.cron
    }

    /// Whether the schedule fires on `weekday` (when the hour and minute match).
    pub fn fires_on(&self, weekday: chrono::Weekday) -> bool {
        self.spec
            .days_of_week
            .contains(weekday.num_days_from_sunday())
    }

    /// The single local time of day the schedule fires at, when the minute and hour fields
    /// are plain numbers (Go parses them with the layout `15:4`).
    pub fn time_of_day(&self) -> Option<NaiveTime> {
        let fields = self.spec.field_texts();
        let (minute, hour) = (fields.first()?, fields.get(1)?);
        let one_or_two_digits =
            |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !one_or_two_digits(minute) || !one_or_two_digits(hour) {
            return None;
        }
        NaiveTime::from_hms_opt(hour.parse().ok()?, minute.parse().ok()?, 0)
    }

    /// Coder's `Time()`: `9:30AM` for a single time, else `cron(<minute> <hour>)`.
    pub fn time_text(&self) -> String {
        match self.time_of_day() {
            Some(time) => time.format("%-I:%M%p").to_string(),
            None => {
                let fields = self.spec.field_texts();
                format!(
                    "cron({} {})",
                    fields.first().copied().unwrap_or_default(),
                    fields.get(1).copied().unwrap_or_default()
                )
            }
        }
    }

    /// Coder's `DaysOfWeek()`: `daily` for `*`, otherwise the field with the first
    /// occurrence of each digit 0-6 replaced by its day name (`1-5` gives `Mon-Fri`).
    pub fn days_of_week_text(&self) -> String {
        let fields = self.spec.field_texts();
        let mut text = fields.get(4).copied().unwrap_or("*").to_owned();
        if text == "*" {
            return "daily".to_owned();
        }
        for (digit, name) in ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            .iter()
            .enumerate()
        {
            text = text.replacen(&digit.to_string(), name, 1);
        }
        text
    }

    /// Coder's `Humanize()`: `9:30AM Mon-Fri (US/Central)`.
    pub fn humanize(&self) -> String {
        format!(
            "{} {} ({})",
            self.time_text(),
            self.days_of_week_text(),
            self.spec.tz_name
        )
    }

    /// Coder's `Min()`: the shortest gap between consecutive firings within one week,
    /// starting from 1970-01-01 01:01:01 UTC; a week when it fires at most once.
    pub fn min_interval(&self) -> TimeDelta {
        let week = TimeDelta::weeks(1);
        let Some(start) = Utc.with_ymd_and_hms(1970, 1, 1, 1, 1, 1).single() else {
            return week;
        };
        let end = start + week;
        let mut shortest = week;
        let Some(mut previous) = self.next_after(start) else {
            return week;
        };
        while let Some(current) = self.next_after(previous) {
            shortest = shortest.min(current - previous);
            if current > end {
                break;
            }
            previous = current;
        }
        shortest
    }
}

impl fmt::Display for CronSchedule {
    /// The canonical stored form, `CRON_TZ=<zone> <5 fields>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CRON_TZ={} {}", self.spec.tz_name, self.spec.cron)
    }
}

/// The `cron` crate's seconds-first expression for `spec`, built from the parsed sets so no
/// field text crosses over. Weekdays become names because the crate numbers them 1-7 from
/// Sunday. Only weekly and daily schedules are compiled, and their day-of-month is `*`, so
/// the crate's "both day fields must match" rule gives robfig's answer.
fn translate(spec: &CronSpec) -> String {
    fn list(field: Field, bounds: &Bounds, name: impl Fn(u32) -> String) -> String {
        if field.is_full(bounds) {
            "*".to_owned()
        } else {
            field.values(bounds).map(name).collect::<Vec<_>>().join(",")
        }
    }
    let number = |v: u32| v.to_string();
    let weekday = |v: u32| {
        WEEKDAY_NAMES
            .get(v as usize)
            .copied()
            .unwrap_or("SUN")
            .to_owned()
    };
    format!(
        "0 {} {} {} {} {}",
        list(spec.minutes, &MINUTES, number),
        list(spec.hours, &HOURS, number),
        list(spec.days_of_month, &DAYS_OF_MONTH, number),
        list(spec.months, &MONTHS, number),
        list(spec.days_of_week, &DAYS_OF_WEEK, weekday),
    )
}

/// The weekday of `t`'s local date in `tz`.
pub(super) fn local_weekday(t: DateTime<Utc>, tz: Tz) -> chrono::Weekday {
    t.with_timezone(&tz).weekday()
}

/// The local minute, hour, day of month, month and weekday (0 = Sunday) of `t` in `tz`.
pub(super) fn local_fields(t: DateTime<Utc>, tz: Tz) -> (u32, u32, u32, u32, u32) {
    let local = t.with_timezone(&tz);
    (
        local.minute(),
        local.hour(),
        local.day(),
        local.month(),
        local.weekday().num_days_from_sunday(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::utc;

    fn weekly(raw: &str) -> CronSchedule {
        CronSchedule::parse_weekly(raw).expect("valid weekly schedule")
    }

    fn weekly_err(raw: &str) -> String {
        CronSchedule::parse_weekly(raw)
            .expect_err("schedule must be refused")
            .to_string()
    }

    /// The next `n` firings after `t`.
    fn firings(s: &CronSchedule, mut t: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        for _ in 0..n {
            t = s.next_after(t).expect("fires");
            out.push(t);
        }
        out
    }

    // 2025-06-01 is a Sunday.
    const SUNDAY_MORNING: &str = "2025-06-01T00:00:00Z";

    #[test]
    fn monday_is_1() {
        let s = weekly("30 9 * * 1");
        assert_eq!(
            s.next_after(utc(SUNDAY_MORNING)),
            Some(utc("2025-06-02T09:30:00Z"))
        );
        assert_eq!(
            firings(&s, utc(SUNDAY_MORNING), 2)[1],
            utc("2025-06-09T09:30:00Z")
        );
    }

    #[test]
    fn sunday_is_0_and_sun() {
        for raw in ["30 9 * * 0", "30 9 * * SUN", "30 9 * * sun"] {
            let s = weekly(raw);
            assert_eq!(
                s.next_after(utc("2025-06-02T10:00:00Z")),
                Some(utc("2025-06-08T09:30:00Z")),
                "{raw}"
            );
            assert!(s.fires_on(chrono::Weekday::Sun));
            assert!(!s.fires_on(chrono::Weekday::Mon));
        }
    }

    #[test]
    fn one_to_five_is_monday_to_friday() {
        let s = weekly("30 9 * * 1-5");
        assert_eq!(
            firings(&s, utc(SUNDAY_MORNING), 6),
            vec![
                utc("2025-06-02T09:30:00Z"),
                utc("2025-06-03T09:30:00Z"),
                utc("2025-06-04T09:30:00Z"),
                utc("2025-06-05T09:30:00Z"),
                utc("2025-06-06T09:30:00Z"),
                utc("2025-06-09T09:30:00Z"),
            ]
        );
        assert_eq!(s.days_of_week_text(), "Mon-Fri");
        // Names read the same; the stored text keeps the user's spelling.
        let named = weekly("30 9 * * mon-FRI");
        assert_eq!(
            firings(&named, utc(SUNDAY_MORNING), 6),
            firings(&s, utc(SUNDAY_MORNING), 6)
        );
        assert_eq!(named.to_string(), "CRON_TZ=UTC 30 9 * * mon-FRI");
    }

    #[test]
    fn six_and_zero_are_the_weekend() {
        let s = weekly("0 10 * * 6,0");
        assert_eq!(
            firings(&s, utc("2025-06-02T00:00:00Z"), 3),
            vec![
                utc("2025-06-07T10:00:00Z"),
                utc("2025-06-08T10:00:00Z"),
                utc("2025-06-14T10:00:00Z"),
            ]
        );
    }

    #[test]
    fn steps_start_at_sunday() {
        // `*/2` is Sunday, Tuesday, Thursday, Saturday in both dialects.
        let s = weekly("0 10 * * */2");
        let days: Vec<_> = firings(&s, utc("2025-05-31T12:00:00Z"), 4)
            .iter()
            .map(|t| t.weekday())
            .collect();
        use chrono::Weekday::*;
        assert_eq!(days, vec![Sun, Tue, Thu, Sat]);
    }

    #[test]
    fn seven_is_rejected() {
        assert_eq!(
            weekly_err("30 9 * * 7"),
            "parse schedule: end of range (7) above maximum (6): 7"
        );
        assert_eq!(
            weekly_err("* 9-18 * * 7"),
            "parse schedule: end of range (7) above maximum (6): 7"
        );
        assert_eq!(
            weekly_err("30 9 * * 5-7"),
            "parse schedule: end of range (7) above maximum (6): 5-7"
        );
    }

    #[test]
    fn descriptors_are_rejected() {
        assert_eq!(
            weekly_err("@daily"),
            "validate weekly schedule: expected schedule to consist of 5 fields with an \
             optional CRON_TZ=<timezone> prefix"
        );
        assert_eq!(
            weekly_err("CRON_TZ=UTC @daily * * * *"),
            "parse schedule: parser does not accept descriptors: @daily * * * *"
        );
    }

    #[test]
    fn weekly_needs_wildcard_day_of_month_and_month() {
        for raw in ["30 9 1 * *", "30 9 * 1 *", "CRON_TZ=UTC 30 9 * JAN 1"] {
            assert_eq!(
                weekly_err(raw),
                "validate weekly schedule: expected day-of-month and month to be *",
                "{raw}"
            );
        }
    }

    #[test]
    fn field_errors_use_robfig_texts() {
        assert_eq!(
            weekly_err("60 9 * * 1"),
            "parse schedule: end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            weekly_err("30 x * * 1"),
            "parse schedule: failed to parse int from x: strconv.Atoi: parsing \"x\": \
             invalid syntax"
        );
        assert_eq!(
            weekly_err("30 9-5 * * 1"),
            "parse schedule: beginning of range (9) beyond end of range (5): 9-5"
        );
        assert_eq!(
            weekly_err("*/0 9 * * 1"),
            "parse schedule: step of range should be a positive number: */0"
        );
        assert_eq!(
            weekly_err("30 9 * * 1 2 3"),
            "parse schedule: expected exactly 5 fields, found 7: [30 9 * * 1 2 3]"
        );
        // Six parts are read as a zone plus five fields, so a wrong prefix is a count error;
        // as in Coder, only a schedule that starts with `CRON_TZ=` has a zone.
        assert_eq!(
            weekly_err("TZ=UTC 30 9 * * 1"),
            "parse schedule: expected exactly 5 fields, found 6: [TZ=UTC 30 9 * * 1]"
        );
        assert_eq!(
            weekly_err(" CRON_TZ=UTC 30 9 * * 1"),
            "parse schedule: expected exactly 5 fields, found 6: [CRON_TZ=UTC 30 9 * * 1]"
        );
    }

    #[test]
    fn cron_tz_defaults_to_utc_and_is_kept() {
        let s = weekly("30 9 * * 1-5");
        assert_eq!(s.to_string(), "CRON_TZ=UTC 30 9 * * 1-5");
        assert_eq!(s.time_zone(), Tz::UTC);
        assert_eq!(s.cron(), "30 9 * * 1-5");

        let s = weekly("CRON_TZ=US/Central   30  9 * *   mon-fri ");
        assert_eq!(s.to_string(), "CRON_TZ=US/Central 30 9 * * mon-fri");
        assert_eq!(s.time_zone(), chrono_tz::US::Central);
        assert_eq!(s.time_zone_name(), "US/Central");

        // The canonical form parses back to the same schedule.
        assert_eq!(weekly(&s.to_string()), s);
    }

    #[test]
    fn cron_tz_local_and_unknown_zones_are_refused() {
        assert_eq!(
            weekly_err("CRON_TZ=Local 30 9 * * 1"),
            "schedules scoped to time.Local are not supported"
        );
        assert_eq!(
            weekly_err("CRON_TZ=Mars/Olympus 30 9 * * 1"),
            "parse schedule: provided bad location Mars/Olympus: unknown time zone Mars/Olympus"
        );
    }

    #[test]
    fn next_is_strictly_after() {
        let s = weekly("30 9 * * *");
        assert_eq!(
            s.next_after(utc("2025-06-02T09:30:00Z")),
            Some(utc("2025-06-03T09:30:00Z"))
        );
        assert_eq!(
            s.next_after(utc("2025-06-02T09:29:59.500Z")),
            Some(utc("2025-06-02T09:30:00Z"))
        );
    }

    #[test]
    fn us_central_examples() {
        let s = weekly("CRON_TZ=US/Central 30 9 * * 1-5");
        assert_eq!(
            s.next_after(utc("2022-04-01T14:29:00Z")),
            Some(utc("2022-04-01T14:30:00Z"))
        );
        assert_eq!(s.min_interval(), TimeDelta::hours(24));
        assert_eq!(s.time_text(), "9:30AM");
        assert_eq!(s.days_of_week_text(), "Mon-Fri");
        assert_eq!(s.humanize(), "9:30AM Mon-Fri (US/Central)");

        let s = weekly("CRON_TZ=US/Central */5 12-18 * * 1,3,6");
        assert_eq!(
            s.next_after(utc("2022-04-01T14:29:00Z")),
            Some(utc("2022-04-02T17:00:00Z"))
        );
        assert_eq!(s.min_interval(), TimeDelta::minutes(5));
        assert_eq!(s.time_text(), "cron(*/5 12-18)");
        assert_eq!(s.days_of_week_text(), "Mon,Wed,Sat");
    }

    #[test]
    fn dst_gap_is_skipped_to_the_next_day() {
        // Sydney springs forward at 02:00 on 2023-10-01: 02:30 does not exist that day.
        let s = CronSchedule::parse_daily("CRON_TZ=Australia/Sydney 30 2 * * *").expect("daily");
        // 2023-10-01 00:00 AEST (+10).
        assert_eq!(
            s.next_after(utc("2023-09-30T14:00:00Z")),
            Some(utc("2023-10-02T02:30:00+11:00"))
        );
    }

    #[test]
    fn dst_overlap_fires_once_at_the_earlier_instant() {
        // Sydney falls back at 03:00 on 2024-04-07: 02:30 happens at +11 and again at +10.
        let s = CronSchedule::parse_daily("CRON_TZ=Australia/Sydney 30 2 * * *").expect("daily");
        let first = s.next_after(utc("2024-04-06T14:00:00Z")).expect("fires");
        assert_eq!(first, utc("2024-04-07T02:30:00+11:00"));
        let next_day = Some(utc("2024-04-08T02:30:00+10:00"));
        // The second pass of 02:30 is not a firing, wherever `t` lies in the repeated hour.
        for t in [
            first,
            utc("2024-04-07T02:45:00+11:00"),
            utc("2024-04-07T02:15:00+10:00"),
            utc("2024-04-07T02:30:00+10:00"),
        ] {
            assert_eq!(s.next_after(t), next_day, "{t}");
        }
        // Every minute in the repeated hour fires once.
        let s = CronSchedule::parse_daily("CRON_TZ=Australia/Sydney * 2 * * *").expect("daily");
        let fired = firings(&s, utc("2024-04-07T01:59:00+11:00"), 61);
        assert_eq!(fired[0], utc("2024-04-07T02:00:00+11:00"));
        assert_eq!(fired[59], utc("2024-04-07T02:59:00+11:00"));
        assert_eq!(fired[60], utc("2024-04-08T02:00:00+10:00"));
        // An unambiguous time after the switch is at +10.
        let s = CronSchedule::parse_daily("CRON_TZ=Australia/Sydney 30 3 * * *").expect("daily");
        assert_eq!(
            s.next_after(utc("2024-04-06T13:00:00Z")),
            Some(utc("2024-04-07T03:30:00+10:00"))
        );
    }

    #[test]
    fn next_after_is_monotonic_across_dst() {
        for raw in [
            "CRON_TZ=Australia/Sydney */20 * * * *",
            "CRON_TZ=America/Chicago 30 1 * * *",
        ] {
            let s = CronSchedule::parse_weekly(raw).expect("schedule");
            for start in [
                "2024-04-06T12:00:00Z",
                "2024-11-03T04:00:00Z",
                "2024-03-10T06:00:00Z",
            ] {
                let mut t = utc(start);
                let mut last = s.next_after(t).expect("fires");
                for _ in 0..(6 * 60) {
                    t += TimeDelta::minutes(1);
                    let next = s.next_after(t).expect("fires");
                    assert!(next > t, "{raw}: {next} after {t}");
                    assert!(next >= last, "{raw}: {next} before {last} at {t}");
                    last = next;
                }
            }
        }
    }

    #[test]
    fn daily_refuses_day_fields() {
        let err = CronSchedule::parse_daily("0 0 * * 1").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "validate daily schedule: expected day-of-month, month and day-of-week to be *"
        );
        let err = CronSchedule::parse_daily("0 0 *").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "validate daily schedule: expected schedule to consist of 5 fields with an \
             optional CRON_TZ=<timezone> prefix"
        );
    }

    #[test]
    fn quiet_hours_need_a_single_time() {
        let s = CronSchedule::parse_quiet_hours("CRON_TZ=Australia/Sydney 0 0 * * *")
            .expect("quiet hours");
        assert_eq!(s.time_of_day(), NaiveTime::from_hms_opt(0, 0, 0));
        assert_eq!(s.time_text(), "12:00AM");
        assert_eq!(
            CronSchedule::parse_quiet_hours("*/5 * * * *")
                .expect_err("refused")
                .to_string(),
            "daily schedule \"*/5 * * * *\" has more than one time: cron(*/5 *)"
        );
        assert!(CronSchedule::parse_quiet_hours("0 1-2 * * *").is_err());
    }

    #[test]
    fn translation_never_copies_weekday_numbers() {
        let spec = CronSpec::parse("30 9 * * 1-5", ScheduleKind::Weekly).expect("spec");
        assert_eq!(translate(&spec), "0 30 9 * * MON,TUE,WED,THU,FRI");
        let spec = CronSpec::parse("*/15 * * * *", ScheduleKind::Weekly).expect("spec");
        assert_eq!(translate(&spec), "0 0,15,30,45 * * * *");
    }
}
