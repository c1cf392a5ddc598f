//! Property tests of the cron dialect: parsing never panics, whatever the string, and a
//! schedule that parses can be evaluated, described and stored without panicking.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::cron::CronSchedule;
use super::time_range::{desired_instances, parse_preset_schedule, schedules_overlap};

/// A field robfig accepts for values `min..=max`, with `names` as aliases: `*`, values,
/// ranges, steps and lists of them.
fn valid_field(min: u32, max: u32, names: &'static [&'static str]) -> BoxedStrategy<String> {
    let value = move || {
        let number = (min..=max).prop_map(|v| v.to_string());
        if names.is_empty() {
            number.boxed()
        } else {
            prop_oneof![4 => number, 1 => prop::sample::select(names).prop_map(str::to_owned)]
                .boxed()
        }
    };
    let range = prop_oneof![
        3 => value(),
        2 => (min..=max, min..=max).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
    ];
    let element = prop_oneof![
        2 => Just("*".to_owned()),
        4 => range.clone(),
        2 => (prop_oneof![Just("*".to_owned()), range], 1..=max.max(1) + 1)
            .prop_map(|(range, step)| format!("{range}/{step}")),
    ];
    prop::collection::vec(element, 1..4)
        .prop_map(|elements| elements.join(","))
        .boxed()
}

/// Field texts near the dialect: numbers out of range, reversed ranges, zero steps, stray
/// separators, the syntax robfig refuses.
fn broken_field() -> BoxedStrategy<String> {
    let atom = prop_oneof![
        4 => (0u64..70).prop_map(|n| n.to_string()),
        2 => prop::sample::select(vec![
            "*", "?", "-1", "007", "99999999999999999999", "mon", "SUN", "Fri", "jan", "DEC",
            "", "L", "W", "#", "*/*",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z0-9*?/,-]{1,4}",
    ];
    let range = prop_oneof![
        3 => atom.clone(),
        2 => (atom.clone(), atom.clone()).prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (atom.clone(), atom.clone(), atom.clone()).prop_map(|(a, b, c)| format!("{a}-{b}-{c}")),
    ];
    let stepped = prop_oneof![
        3 => range.clone(),
        2 => (range.clone(), atom.clone()).prop_map(|(r, s)| format!("{r}/{s}")),
        1 => (range, atom.clone(), atom).prop_map(|(r, s, t)| format!("{r}/{s}/{t}")),
    ];
    prop::collection::vec(stepped, 1..4)
        .prop_map(|parts| parts.join(","))
        .boxed()
}

/// A field for values `min..=max`: mostly valid, sometimes broken.
fn field(min: u32, max: u32, names: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![4 => valid_field(min, max, names), 1 => broken_field()].boxed()
}

const MONTHS: &[&str] = &["jan", "FEB", "Mar", "dec"];
const WEEKDAYS: &[&str] = &["sun", "MON", "Tue", "sat"];

/// IANA names, names that are not, and the special cases `Local` and empty.
fn zone() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "UTC", "US/Central", "Australia/Sydney", "America/Chicago", "Asia/Kathmandu",
            "Pacific/Chatham", "Etc/GMT+12", "Etc/GMT-14", "Europe/Dublin",
        ])
        .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["", "Local", "utc", "Mars/Olympus", "UTC ", "../UTC"])
            .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Schedules: usually five fields, sometimes more or fewer, with or without `CRON_TZ=`, and
/// with the shapes the weekly and daily parsers want (`*` for the day fields) often enough.
fn schedule() -> impl Strategy<Value = String> {
    // The weekly and daily parsers want `*` for the day fields, so `*` is common there.
    let day_field =
        |field: BoxedStrategy<String>| prop_oneof![2 => Just("*".to_owned()), 1 => field];
    let five = (
        prop_oneof![3 => field(0, 59, &[]), 1 => Just("*".to_owned())],
        field(0, 23, &[]),
        day_field(field(1, 31, &[])),
        day_field(field(1, 12, MONTHS)),
        day_field(field(0, 6, WEEKDAYS)),
    )
        .prop_map(|(m, h, dom, mon, dow)| vec![m, h, dom, mon, dow]);
    // One time of day, as quiet hours need.
    let daily = (0u32..60, 0u32..24).prop_map(|(m, h)| {
        vec![
            m.to_string(),
            h.to_string(),
            "*".into(),
            "*".into(),
            "*".into(),
        ]
    });
    let other = prop::collection::vec(broken_field(), 0..8);
    (
        prop::option::of(zone()),
        prop_oneof![6 => five, 1 => daily, 1 => other],
        prop::sample::select(vec![" ", "  ", "\t", " \n "]),
    )
        .prop_map(|(zone, fields, separator)| {
            let fields = fields.join(separator);
            match zone {
                Some(zone) => format!("CRON_TZ={zone}{separator}{fields}"),
                None => fields,
            }
        })
}

/// Instants from 1970 to 2099, where the `cron` crate finds firings.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_070_908_800, 0u32..1_000_000_000).prop_filter_map("in range", |(secs, nanos)| {
        DateTime::from_timestamp(secs, nanos)
    })
}

/// Any instant chrono can hold, for what must not panic at the edges.
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    prop_oneof![
        (min..=max).prop_filter_map("in range", |secs| DateTime::from_timestamp(secs, 0)),
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
    ]
}

/// Everything a parsed schedule offers, none of which may panic; the stored form parses
/// back to the same schedule.
fn exercise(schedule: &CronSchedule, at: DateTime<Utc>) -> Result<(), TestCaseError> {
    if let Some(next) = schedule.next_after(at) {
        prop_assert!(next > at, "{} fired at {} after {}", schedule, next, at);
        // A weekly schedule fires every week, so within eight days of any instant (a day
        // of slack for zone changes).
        prop_assert!(
            next - at <= TimeDelta::days(8),
            "{} next after {}: {}",
            schedule,
            at,
            next
        );
    }
    let stored = schedule.to_string();
    let reparsed = CronSchedule::parse_weekly(&stored);
    prop_assert_eq!(reparsed.as_ref(), Ok(schedule));
    let _ = (
        schedule.humanize(),
        schedule.time_text(),
        schedule.days_of_week_text(),
        schedule.time_of_day(),
        schedule.cron(),
        schedule.time_zone_name(),
    );
    for weekday in [chrono::Weekday::Sun, chrono::Weekday::Sat] {
        let _ = schedule.fires_on(weekday);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsing_never_panics_on_arbitrary_strings(raw in any::<String>()) {
        let _ = CronSchedule::parse_weekly(&raw);
        let _ = CronSchedule::parse_daily(&raw);
        let _ = CronSchedule::parse_quiet_hours(&raw);
        let _ = parse_preset_schedule(&raw, "UTC");
        let _ = parse_preset_schedule("* 9-18 * * 1-5", &raw);
    }

    #[test]
    fn parsed_weekly_schedules_evaluate(raw in schedule(), at in instant()) {
        if let Ok(schedule) = CronSchedule::parse_weekly(&raw) {
            exercise(&schedule, at)?;
        }
    }

    #[test]
    fn parsed_daily_schedules_evaluate(raw in schedule(), at in instant()) {
        if let Ok(schedule) = CronSchedule::parse_daily(&raw) {
            exercise(&schedule, at)?;
            prop_assert!(schedule.next_after(at).is_some_and(|next| next - at <= TimeDelta::days(2)));
        }
        if let Ok(quiet) = CronSchedule::parse_quiet_hours(&raw) {
            prop_assert!(quiet.time_of_day().is_some(), "{} has no single time", quiet);
        }
    }

    #[test]
    fn evaluation_never_panics_at_any_instant(raw in schedule(), at in any_instant()) {
        if let Ok(schedule) = CronSchedule::parse_weekly(&raw)
            && let Some(next) = schedule.next_after(at)
        {
            prop_assert!(next > at, "{} fired at {} after {}", schedule, next, at);
        }
        if let Ok(range) = parse_preset_schedule(&raw, "Australia/Sydney") {
            let _ = range.contains(at);
        }
        let _ = desired_instances(at, "UTC", &[(raw, 2)], 1);
    }

    #[test]
    fn preset_schedules_evaluate(
        a in schedule(),
        b in schedule(),
        zone in zone(),
        at in instant(),
        instances in any::<i32>(),
    ) {
        let parsed_a = parse_preset_schedule(&a, &zone);
        let parsed_b = parse_preset_schedule(&b, &zone);
        if let (Ok(a), Ok(b)) = (&parsed_a, &parsed_b) {
            let _ = (a.contains(at), b.contains(at));
            prop_assert_eq!(schedules_overlap(a, b), schedules_overlap(b, a));
        }
        let _ = desired_instances(at, &zone, &[(a, instances), (b, instances)], 1);
    }
}

/// `min_interval` walks a week of firings, thousands for `* * * * *`, so it is checked on
/// fewer schedules than the rest.
#[test]
fn min_interval_of_parsed_schedules() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(32));
    runner
        .run(&schedule(), |raw| {
            if let Ok(schedule) = CronSchedule::parse_weekly(&raw) {
                let interval = schedule.min_interval();
                prop_assert!(interval > TimeDelta::zero() && interval <= TimeDelta::weeks(1));
            }
            Ok(())
        })
        .unwrap_or_else(|err| panic!("{err}"));
}

/// Found by `evaluation_never_panics_at_any_instant`: the `cron` crate overflowed adding a
/// second to the last instant chrono can hold.
#[test]
fn next_after_the_last_instant_is_none() {
    let schedule = CronSchedule::parse_daily("0 0 * * *").expect("daily");
    assert_eq!(schedule.next_after(DateTime::<Utc>::MAX_UTC), None);
    let schedule = CronSchedule::parse_weekly("CRON_TZ=Etc/GMT-14 * * * * *").expect("weekly");
    assert_eq!(schedule.next_after(DateTime::<Utc>::MAX_UTC), None);
}
