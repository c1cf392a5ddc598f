//! The activity bump: when a running workspace is used, its deadline moves out so it does not
//! stop under its user (Coder's `ActivityBumpWorkspace`).
//!
//! The bump is by the template's activity bump (default one hour), or, when that would cross
//! the workspace's next autostart, up to that autostart plus the workspace's TTL, so that a
//! workspace used late in the evening lives through the night as if it had just autostarted.
//! The deadline only ever moves later, never past the max deadline (the template's autostop
//! requirement wins over activity), and not at all until less than 95% of the interval is
//! left, so a busy workspace does not rewrite its build on every report.

use chrono::{DateTime, TimeDelta, Utc};

/// What the bump needs to know about a running build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityBumpInput {
    /// When the activity happened.
    pub now: DateTime<Utc>,
    /// The build's deadline; None: autostop is off, nothing to bump.
    pub deadline: Option<DateTime<Utc>>,
    /// The build's max deadline, which the bump never passes.
    pub max_deadline: Option<DateTime<Utc>>,
    /// The template's activity bump; zero or less turns bumping off.
    pub activity_bump: TimeDelta,
    /// The workspace's next allowed autostart, if any.
    pub next_autostart: Option<DateTime<Utc>>,
    /// The TTL a build started now would get (the workspace's, or the template's default
    /// when users may not set their own).
    pub ttl: TimeDelta,
}

/// The new deadline after activity at `now`, or None when the deadline stays as it is.
pub fn bumped_deadline(input: &ActivityBumpInput) -> Option<DateTime<Utc>> {
    let deadline = input.deadline?;
    if input.activity_bump <= TimeDelta::zero() {
        return None;
    }
    let mut interval = input.activity_bump;
    if let Some(next) = input.next_autostart
        && next > input.now
        && input.now + input.activity_bump > next
    {
        interval = (next - input.now) + input.ttl;
    }
    // Bump only once less than 95% of the interval is left.
    let threshold = interval * 95 / 100;
    if deadline - threshold >= input.now {
        return None;
    }
    let mut bumped = deadline.max(input.now + interval);
    if let Some(max) = input.max_deadline {
        bumped = bumped.min(max);
    }
    (bumped > deadline).then_some(bumped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::utc;

    fn input(now: &str, deadline: Option<&str>) -> ActivityBumpInput {
        ActivityBumpInput {
            now: utc(now),
            deadline: deadline.map(utc),
            max_deadline: None,
            activity_bump: TimeDelta::hours(1),
            next_autostart: None,
            ttl: TimeDelta::hours(8),
        }
    }

    #[test]
    fn bump_table() {
        let t = |s: &str| Some(utc(s));
        // (case, input, expected new deadline)
        let cases: Vec<(&str, ActivityBumpInput, Option<DateTime<Utc>>)> = vec![
            (
                "no deadline: autostop off, nothing to bump",
                input("2024-01-01T10:00:00Z", None),
                None,
            ),
            (
                "deadline in 10 minutes: one hour from now",
                input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z")),
                t("2024-01-01T11:00:00Z"),
            ),
            (
                "deadline passed but not yet acted on: one hour from now",
                input("2024-01-01T10:00:00Z", Some("2024-01-01T09:59:00Z")),
                t("2024-01-01T11:00:00Z"),
            ),
            (
                "more than 95% of the hour left: unchanged",
                input("2024-01-01T10:00:00Z", Some("2024-01-01T10:58:00Z")),
                None,
            ),
            (
                "just under 95% left (56m59s): bumped",
                input("2024-01-01T10:00:00Z", Some("2024-01-01T10:56:59Z")),
                t("2024-01-01T11:00:00Z"),
            ),
            (
                "deadline further out than the bump: never moved earlier",
                input("2024-01-01T10:00:00Z", Some("2024-01-01T18:00:00Z")),
                None,
            ),
            (
                "capped at the max deadline",
                ActivityBumpInput {
                    max_deadline: t("2024-01-01T10:30:00Z"),
                    ..input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z"))
                },
                t("2024-01-01T10:30:00Z"),
            ),
            (
                "already at the max deadline: unchanged",
                ActivityBumpInput {
                    max_deadline: t("2024-01-01T10:10:00Z"),
                    ..input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z"))
                },
                None,
            ),
            (
                "template bump 0: off",
                ActivityBumpInput {
                    activity_bump: TimeDelta::zero(),
                    ..input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z"))
                },
                None,
            ),
            (
                "crossing the next autostart: until autostart plus TTL",
                ActivityBumpInput {
                    next_autostart: t("2024-01-01T10:30:00Z"),
                    ..input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z"))
                },
                t("2024-01-01T18:30:00Z"),
            ),
            (
                "autostart beyond the bump: the plain hour",
                ActivityBumpInput {
                    next_autostart: t("2024-01-02T09:00:00Z"),
                    ..input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z"))
                },
                t("2024-01-01T11:00:00Z"),
            ),
            (
                "autostart in the past is ignored",
                ActivityBumpInput {
                    next_autostart: t("2024-01-01T09:00:00Z"),
                    ..input("2024-01-01T10:00:00Z", Some("2024-01-01T10:10:00Z"))
                },
                t("2024-01-01T11:00:00Z"),
            ),
        ];
        for (case, input, expected) in cases {
            assert_eq!(bumped_deadline(&input), expected, "{case}");
        }
    }
}
