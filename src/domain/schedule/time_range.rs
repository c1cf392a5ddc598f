//! Prebuild preset schedules: a cron expression read as a continuous range of time rather
//! than as firing instants. `* 9-18 * * 1-5` means every minute from 09:00:00 to 18:59:59,
//! Monday to Friday, in the preset's zone. The minute field must be `*`.
//!
//! A time belongs to a range when the minute containing it is a firing minute (Coder's fixed
//! `IsWithinRange`; its first version was one minute early). The desired number of prebuilds
//! is the instance count of the first schedule whose range contains the time, or the preset's
//! default when none does or the schedules cannot be trusted.

use chrono::{DateTime, Utc};

use super::cron::{CronError, CronSpec, ScheduleKind, ShapeError, local_fields};

/// A preset schedule, parsed: the time range it covers in its zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRange {
    spec: CronSpec,
}

/// Parses a preset schedule `cron` (five fields, minute `*`, weekday 0-6 from Sunday) in the
/// zone `timezone` (an IANA name; empty reads as UTC, like Go's `LoadLocation`).
pub fn parse_preset_schedule(cron: &str, timezone: &str) -> Result<ScheduleRange, CronError> {
    // The shape rules apply to the expression itself; the zone is not part of it.
    // A zone with spaces would shift the fields once joined to the expression.
    if timezone.contains(char::is_whitespace) {
        return Err(CronError::UnknownTimeZone(timezone.to_owned()));
    }
    let fields: Vec<&str> = cron.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(CronError::Shape {
            kind: ScheduleKind::TimeRange,
            shape: ShapeError::FieldCount,
        });
    }
    let spec = CronSpec::parse(
        &format!("CRON_TZ={timezone} {}", fields.join(" ")),
        ScheduleKind::TimeRange,
    )?;
    Ok(ScheduleRange { spec })
}

impl ScheduleRange {
    /// Whether `t` falls inside the range: the minute containing `t`, in the schedule's zone,
    /// is one the expression fires in. For `* 9-18 * * 1-5`, 08:59:59 is outside, 09:00:00
    /// and 18:59:59 inside, 19:00:00 outside.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let spec = &self.spec;
        let (minute, hour, day, month, weekday) = local_fields(t, spec.tz);
        spec.minutes.contains(minute)
            && spec.hours.contains(hour)
            && spec.months.contains(month)
            && spec.day_matches(day, weekday)
    }

    /// The five fields as stored.
    pub fn cron(&self) -> &str {
        &self.spec.cron
    }

    /// The zone as given.
    pub fn time_zone_name(&self) -> &str {
        &self.spec.tz_name
    }
}

/// Whether two preset schedules may cover the same time, by the Terraform provider's rule
/// that Coder applies (`helpers.SchedulesOverlap`): the months overlap, the days overlap and
/// the hours overlap. Days overlap by weekday when either day-of-month is `*`, else by day of
/// month when either weekday is `*`, else when either overlaps.
///
/// The rule compares fields, not instants, so it can report an overlap that never happens
/// (`* 9-18 1 * 1` and `* 9-18 2 * 1` share Mondays); that is Coder's behaviour and keeps the
/// two in agreement about which presets fall back to their default.
pub fn schedules_overlap(a: &ScheduleRange, b: &ScheduleRange) -> bool {
    let (a, b) = (&a.spec, &b.spec);
    if !a.months.intersects(b.months) {
        return false;
    }
    let days = if a.days_of_month.is_wildcard() || b.days_of_month.is_wildcard() {
        a.days_of_week.intersects(b.days_of_week)
    } else if a.days_of_week.is_wildcard() || b.days_of_week.is_wildcard() {
        a.days_of_month.intersects(b.days_of_month)
    } else {
        a.days_of_month.intersects(b.days_of_month) || a.days_of_week.intersects(b.days_of_week)
    };
    days && a.hours.intersects(b.hours)
}

/// The number of prebuilds a preset wants at `at`: the instances of the first schedule (in
/// the given order, the database's) whose range contains `at`, else `default`.
///
/// `default` also applies when there are no schedules, when `timezone` is empty or unknown,
/// when any schedule does not parse, or when any two overlap: a preset whose schedules cannot
/// be trusted keeps its plain instance count rather than a guess.
pub fn desired_instances(
    at: DateTime<Utc>,
    timezone: &str,
    schedules: &[(String, i32)],
    default: i32,
) -> i32 {
    if schedules.is_empty() {
        return default;
    }
    if timezone.is_empty() {
        tracing::warn!("prebuild schedules ignored: the scheduling time zone is not set");
        return default;
    }
    let mut ranges = Vec::with_capacity(schedules.len());
    for (cron, instances) in schedules {
        match parse_preset_schedule(cron, timezone) {
            Ok(range) => ranges.push((range, *instances)),
            Err(err) => {
                tracing::warn!(%cron, %timezone, error = %err, "prebuild schedules ignored: invalid schedule");
                return default;
            }
        }
    }
    for (i, (a, _)) in ranges.iter().enumerate() {
        if let Some((b, _)) = ranges[i + 1..]
            .iter()
            .find(|(b, _)| schedules_overlap(a, b))
        {
            tracing::warn!(
                first = a.cron(),
                second = b.cron(),
                "prebuild schedules ignored: schedules overlap"
            );
            return default;
        }
    }
    ranges
        .iter()
        .find(|(range, _)| range.contains(at))
        .map_or(default, |(_, instances)| *instances)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::utc;

    fn range(cron: &str) -> ScheduleRange {
        parse_preset_schedule(cron, "UTC").expect("valid preset schedule")
    }

    fn schedules(list: &[(&str, i32)]) -> Vec<(String, i32)> {
        list.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
    }

    #[test]
    fn contains_is_exact_per_minute() {
        let r = range("* 9-18 * * 1-5");
        // Monday 2 June 2025.
        for (at, inside) in [
            ("2025-06-02T08:59:59Z", false),
            ("2025-06-02T09:00:00Z", true),
            ("2025-06-02T09:01:00Z", true),
            ("2025-06-02T14:00:00Z", true),
            ("2025-06-02T18:00:00Z", true),
            ("2025-06-02T18:59:59Z", true),
            ("2025-06-02T18:59:59.999Z", true),
            ("2025-06-02T19:00:00Z", false),
            ("2025-06-02T19:01:00Z", false),
            ("2025-06-02T02:00:00Z", false),
            ("2025-06-07T14:00:00Z", false),
            ("2025-06-08T14:00:00Z", false),
        ] {
            assert_eq!(r.contains(utc(at)), inside, "{at}");
        }
        assert!(range("* 9-18 * * 0").contains(utc("2025-06-08T14:00:00Z")));
    }

    #[test]
    fn parse_rules() {
        let shape = |cron: &str| {
            parse_preset_schedule(cron, "UTC")
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            shape("0 9-18 * * 1-5"),
            "validate time range schedule: expected minute to be *"
        );
        assert_eq!(
            shape("* 9-18 * *"),
            "validate time range schedule: expected schedule to consist of 5 fields with an \
             optional CRON_TZ=<timezone> prefix"
        );
        assert_eq!(
            shape("* 9-18 * * 1-5 *"),
            "validate time range schedule: expected schedule to consist of 5 fields with an \
             optional CRON_TZ=<timezone> prefix"
        );
        assert_eq!(
            shape("* 9-18 * * 7"),
            "parse schedule: end of range (7) above maximum (6): 7"
        );
        assert_eq!(
            shape("* 25-26 * * 1-5"),
            "parse schedule: end of range (26) above maximum (23): 25-26"
        );
        assert!(parse_preset_schedule("* 9-18 * * 1-5", "Nowhere/Special").is_err());
        assert!(parse_preset_schedule("* 9-18 * * 1-5", "Local").is_err());
        assert_eq!(
            parse_preset_schedule("* 9-18 * * 1-5", "America/New York")
                .expect_err("refused")
                .to_string(),
            "parse schedule: provided bad location America/New York: unknown time zone \
             America/New York"
        );
        // An empty zone is UTC, as in Go.
        let r = parse_preset_schedule("* 9-18 * * 1-5", "").expect("valid");
        assert_eq!(r.time_zone_name(), "UTC");
        assert_eq!(r.cron(), "* 9-18 * * 1-5");
    }

    /// The Terraform provider's `TestSchedulesOverlap` cases that parse.
    #[test]
    fn overlap_table() {
        for (a, b, overlap) in [
            ("* 9-18 * * 1-5", "* 9-18 * * 1-5", true),
            ("* 9-12 * * 1-5", "* 13-18 * * 1-5", false),
            ("* 9-14 * * 1-5", "* 12-18 * * 1-5", true),
            ("* 9-18 * * 1-5", "* 12-14 * * 1-5", true),
            ("* 9-18 * * 1,3,5", "* 9-18 * * 2,4,6", false),
            ("* 9-18 * * 1-3", "* 9-18 * * 4-5", false),
            ("* 9-18 1 * 1-3", "* 9-18 2 * 4-5", false),
            ("* 9-18 1 * 1-4", "* 9-18 1 * 3-5", true),
            ("* 9-18 1 * 1,3,5", "* 9-18 1 * 2,4,6", true),
            ("* * * * 1-5", "* 9-18 * * 1-5", true),
            ("* 9-18 * * *", "* 9-18 * * 1-5", true),
            ("* 9-18 * * *", "* 9-18 * * *", true),
            ("* 9-11,13-15 * * 1-5", "* 12,16-18 * * 1-5", false),
            ("* 9-11,13-15 * * 1-5", "* 10-12,14-16 * * 1-5", true),
            ("* 9-18 * * 1-5", "* 10-11,13-14 * * 1-5", true),
            ("* 9-18 * * 1-5", "* 9-13 * * 6,0", false),
            // Day-of-week wildcards fall back to the day of month.
            ("* 9-18 1-15 * *", "* 9-18 10-20 * *", true),
            ("* 9-18 1-15 * *", "* 9-18 16-31 * *", false),
            // Months that do not meet never overlap.
            ("* 9-18 * 1-6 *", "* 9-18 * 7-12 *", false),
        ] {
            assert_eq!(
                schedules_overlap(&range(a), &range(b)),
                overlap,
                "{a} / {b}"
            );
            assert_eq!(
                schedules_overlap(&range(b), &range(a)),
                overlap,
                "{b} / {a}"
            );
        }
    }

    /// Coder's `TestCalculateDesiredInstances` (default 1, Monday 2 June 2025).
    #[test]
    fn desired_instances_table() {
        let business = schedules(&[("* 9-18 * * 1-5", 3)]);
        let three = schedules(&[
            ("* 6-10 * * 1-5", 2),
            ("* 12-16 * * 1-5", 3),
            ("* 18-22 * * 1-5", 4),
        ]);
        let week_and_weekend = schedules(&[("* 9-18 * * 1-5", 2), ("* 9-13 * * 6,0", 3)]);
        let la = schedules(&[("* 9-13 * * 1-5", 3)]);
        // (time zone, schedules, at, desired)
        type Row<'a> = (&'a str, &'a [(String, i32)], &'a str, i32);
        let cases: Vec<Row<'_>> = vec![
            ("UTC", &business, "2025-06-02T08:59:59Z", 1),
            ("UTC", &business, "2025-06-02T09:00:00Z", 3),
            ("UTC", &business, "2025-06-02T09:01:00Z", 3),
            ("UTC", &business, "2025-06-02T14:00:00Z", 3),
            ("UTC", &business, "2025-06-02T18:00:00Z", 3),
            ("UTC", &business, "2025-06-02T18:59:59Z", 3),
            ("UTC", &business, "2025-06-02T19:00:00Z", 1),
            ("UTC", &business, "2025-06-02T19:01:00Z", 1),
            ("UTC", &business, "2025-06-02T02:00:00Z", 1),
            ("UTC", &business, "2025-06-07T14:00:00Z", 1),
            ("UTC", &business, "2025-06-08T14:00:00Z", 1),
            ("UTC", &three, "2025-06-02T05:00:00Z", 1),
            ("UTC", &three, "2025-06-02T08:00:00Z", 2),
            ("UTC", &three, "2025-06-02T11:00:00Z", 1),
            ("UTC", &three, "2025-06-02T14:00:00Z", 3),
            ("UTC", &three, "2025-06-02T20:00:00Z", 4),
            ("UTC", &three, "2025-06-02T23:00:00Z", 1),
            ("UTC", &week_and_weekend, "2025-06-02T14:00:00Z", 2),
            ("UTC", &week_and_weekend, "2025-06-07T10:00:00Z", 3),
            ("UTC", &week_and_weekend, "2025-06-07T14:00:00Z", 1),
            ("America/Los_Angeles", &la, "2025-06-02T15:00:00Z", 1),
            ("America/Los_Angeles", &la, "2025-06-02T16:00:00Z", 3),
            ("America/Los_Angeles", &la, "2025-06-02T20:59:00Z", 3),
            ("America/Los_Angeles", &la, "2025-06-02T21:00:00Z", 1),
            ("America/Los_Angeles", &la, "2025-06-02T23:00:00Z", 1),
            // `at` in another zone is converted.
            ("UTC", &business, "2025-06-02T04:00:00-04:00", 1),
            ("UTC", &business, "2025-06-02T05:00:00-04:00", 3),
        ];
        for (tz, list, at, want) in cases {
            assert_eq!(
                desired_instances(utc(at), tz, list, 1),
                want,
                "{tz} {at} {list:?}"
            );
        }
    }

    #[test]
    fn desired_instances_falls_back_to_the_default() {
        let at = utc("2025-06-02T14:00:00Z");
        let business = schedules(&[("* 9-18 * * 1-5", 3)]);
        assert_eq!(desired_instances(at, "UTC", &[], 1), 1);
        assert_eq!(desired_instances(at, "", &business, 1), 1);
        assert_eq!(desired_instances(at, "Invalid/Zone", &business, 1), 1);
        let overlapping = schedules(&[("* 9-14 * * 1-5", 3), ("* 12-18 * * 1-5", 4)]);
        assert_eq!(desired_instances(at, "UTC", &overlapping, 1), 1);
        let second_and_third = schedules(&[
            ("* 9-11 * * 1-5", 2),
            ("* 12-18 * * 1-5", 3),
            ("* 15-20 * * 1-5", 4),
        ]);
        assert_eq!(desired_instances(at, "UTC", &second_and_third, 1), 1);
        let invalid = schedules(&[("0 9-18 * * 1-5", 3)]);
        assert_eq!(desired_instances(at, "UTC", &invalid, 1), 1);
        let seven = schedules(&[("* 9-18 * * 7", 3)]);
        assert_eq!(desired_instances(at, "UTC", &seven, 1), 1);
    }

    /// Coder's `TestPrebuildScheduling`: two presets with default 1.
    #[test]
    fn two_presets_on_a_monday() {
        let p1 = schedules(&[("* 2-4 * * 1-5", 2), ("* 6-8 * * 1-5", 3)]);
        let p2 = schedules(&[("* 10-12 * * 1-5", 4), ("* 14-16 * * 1-5", 5)]);
        for (at, want) in [
            ("2025-06-02T01:00:00Z", (1, 1)),
            ("2025-06-02T03:00:00Z", (2, 1)),
            ("2025-06-02T07:00:00Z", (3, 1)),
            ("2025-06-02T11:00:00Z", (1, 4)),
            ("2025-06-02T15:00:00Z", (1, 5)),
        ] {
            let got = (
                desired_instances(utc(at), "UTC", &p1, 1),
                desired_instances(utc(at), "UTC", &p2, 1),
            );
            assert_eq!(got, want, "{at}");
        }
    }
}
