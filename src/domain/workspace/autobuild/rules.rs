//! The lifecycle executor's rules, pure: given what one workspace looks like at a tick, which
//! build (if any) it gets and whether it becomes dormant. No database and no clock; the
//! executor loads a [`Snapshot`] inside the workspace's transaction and acts on the answer.
//!
//! The rules are tried in a fixed order and the first that matches wins: autostop,
//! autostart, failed-build cleanup, dormancy, auto-delete (docs/rules/workspaces-and-builds.md,
//! "Lifecycle executor").

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    domain::schedule::{CronSchedule, TemplateScheduleOptions, next_allowed_autostart},
    entity::{
        provisioner_job::JobStatus,
        user::UserStatus,
        workspace_build::{BuildReason, Transition},
    },
};

/// How long after a failed delete the executor tries deleting again.
pub const FAILED_DELETE_RETRY: TimeDelta = TimeDelta::hours(24);

/// What the rules read about one workspace.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Owned by the prebuilds system user: prebuilt workspaces follow their own policy.
    pub prebuilt: bool,
    /// The owner's status.
    pub owner_status: UserStatus,
    /// When the workspace was last used.
    pub last_used_at: DateTime<Utc>,
    /// When it became dormant; None: not dormant.
    pub dormant_at: Option<DateTime<Utc>>,
    /// When a dormant workspace is to be deleted; None: not scheduled.
    pub deleting_at: Option<DateTime<Utc>>,
    /// Its autostart schedule; None: none (or one that no longer parses).
    pub autostart: Option<CronSchedule>,
    /// The stored next autostart, as it was before this tick; None: not computed.
    pub next_start_at: Option<DateTime<Utc>>,
    /// The latest build and its job.
    pub latest: LatestBuild,
    /// The template's schedule settings.
    pub template: TemplateScheduleOptions,
}

/// The latest build of a workspace, with what the rules read of its job.
#[derive(Debug, Clone, Copy)]
pub struct LatestBuild {
    /// Start, stop or delete.
    pub transition: Transition,
    /// When the build was queued.
    pub created_at: DateTime<Utc>,
    /// Its autostop deadline; None: none.
    pub deadline: Option<DateTime<Utc>>,
    /// Where its job stands.
    pub job_status: JobStatus,
    /// When the job succeeded or failed; None while it runs.
    pub completed_at: Option<DateTime<Utc>>,
    /// When the job was canceled; None: never.
    pub canceled_at: Option<DateTime<Utc>>,
}

/// The rule that decided, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Autostop,
    Autostart,
    FailedBuildCleanup,
    Dormancy,
    Autodelete,
}

/// The build the executor queues for this workspace at `tick`, with its reason; None for no
/// build (nothing is due, or the workspace only becomes dormant: see [`marks_dormant`]).
pub fn next_transition(s: &Snapshot, tick: DateTime<Utc>) -> Option<(Transition, BuildReason)> {
    match first_rule(s, tick)? {
        Rule::Autostop | Rule::FailedBuildCleanup => {
            Some((Transition::Stop, BuildReason::Autostop))
        }
        Rule::Autostart => Some((Transition::Start, BuildReason::Autostart)),
        // Only a started workspace is stopped; any other is just marked dormant.
        Rule::Dormancy => (s.latest.transition == Transition::Start)
            .then_some((Transition::Stop, BuildReason::Dormancy)),
        Rule::Autodelete => Some((Transition::Delete, BuildReason::Autodelete)),
    }
}

/// Whether the workspace becomes dormant at `tick`: the dormancy rule is the first that
/// matches (a workspace due to stop for its deadline first stops, and turns dormant on a later
/// tick).
pub fn marks_dormant(s: &Snapshot, tick: DateTime<Utc>) -> bool {
    first_rule(s, tick) == Some(Rule::Dormancy)
}

fn first_rule(s: &Snapshot, tick: DateTime<Utc>) -> Option<Rule> {
    // A build in progress is left to finish: the builder would refuse another anyway.
    if s.prebuilt || s.latest.job_status.is_active() {
        return None;
    }
    if autostop_due(s, tick) {
        Some(Rule::Autostop)
    } else if autostart_due(s, tick) {
        Some(Rule::Autostart)
    } else if failed_build_cleanup_due(s, tick) {
        Some(Rule::FailedBuildCleanup)
    } else if dormancy_due(s, tick) {
        Some(Rule::Dormancy)
    } else if autodelete_due(s, tick) {
        Some(Rule::Autodelete)
    } else {
        None
    }
}

/// A started, non-dormant workspace whose build did not fail: its deadline has come (at the
/// deadline itself, not a moment later), or its owner is suspended.
fn autostop_due(s: &Snapshot, tick: DateTime<Utc>) -> bool {
    s.latest.job_status != JobStatus::Failed
        && s.dormant_at.is_none()
        && s.latest.transition == Transition::Start
        && (s.owner_status == UserStatus::Suspended
            || s.latest.deadline.is_some_and(|deadline| tick >= deadline))
}

/// A stopped, non-dormant workspace of an active owner, on a template that allows autostart:
/// the first allowed firing after its last build was queued has come. The stored
/// `next_start_at` gates it too, so a schedule set long after the workspace stopped waits
/// for its next firing instead of starting the workspace at once.
fn autostart_due(s: &Snapshot, tick: DateTime<Utc>) -> bool {
    let Some(schedule) = &s.autostart else {
        return false;
    };
    s.owner_status == UserStatus::Active
        && s.latest.job_status != JobStatus::Failed
        && s.dormant_at.is_none()
        && s.latest.transition == Transition::Stop
        && s.template.user_autostart_enabled
        && s.next_start_at.is_none_or(|next| tick >= next)
        && next_allowed_autostart(
            s.latest.created_at,
            schedule,
            s.template.autostart_requirement,
        )
        .is_some_and(|next| tick >= next)
}

/// A failed start, longer ago than the template's failure TTL.
fn failed_build_cleanup_due(s: &Snapshot, tick: DateTime<Utc>) -> bool {
    let ttl = s.template.failure_ttl;
    ttl > TimeDelta::zero()
        && s.latest.transition == Transition::Start
        && s.latest.job_status == JobStatus::Failed
        && s.latest.completed_at.is_some_and(|at| tick - at > ttl)
}

/// Unused for longer than the template's dormancy threshold, and not dormant yet.
fn dormancy_due(s: &Snapshot, tick: DateTime<Utc>) -> bool {
    let threshold = s.template.time_til_dormant;
    s.dormant_at.is_none() && threshold > TimeDelta::zero() && tick - s.last_used_at > threshold
}

/// Dormant, past its deletion time, on a template that deletes dormant workspaces; a delete
/// that failed is retried only once it finished more than a day ago.
fn autodelete_due(s: &Snapshot, tick: DateTime<Utc>) -> bool {
    let failed_delete =
        s.latest.transition == Transition::Delete && s.latest.job_status == JobStatus::Failed;
    let retry_allowed = !failed_delete
        || s.latest
            .completed_at
            .or(s.latest.canceled_at)
            .is_some_and(|finished| tick - finished > FAILED_DELETE_RETRY);
    s.dormant_at.is_some()
        && s.deleting_at.is_some_and(|at| tick > at)
        && s.template.time_til_dormant_autodelete > TimeDelta::zero()
        && retry_allowed
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;
    use crate::domain::schedule::{AutostartRequirement, WeekdayBitmap};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .to_utc()
    }

    /// Monday 2025-06-02 12:00 UTC: every case ticks here.
    const TICK: &str = "2025-06-02T12:00:00Z";

    fn tick() -> DateTime<Utc> {
        at(TICK)
    }

    fn minutes(n: i64) -> TimeDelta {
        TimeDelta::minutes(n)
    }

    /// A running workspace of an active owner, used a minute ago, on a template with no
    /// timers: nothing is due.
    fn running() -> Snapshot {
        Snapshot {
            prebuilt: false,
            owner_status: UserStatus::Active,
            last_used_at: tick() - minutes(1),
            dormant_at: None,
            deleting_at: None,
            autostart: None,
            next_start_at: None,
            latest: LatestBuild {
                transition: Transition::Start,
                created_at: tick() - TimeDelta::hours(2),
                deadline: None,
                job_status: JobStatus::Succeeded,
                completed_at: Some(tick() - TimeDelta::hours(2)),
                canceled_at: None,
            },
            template: TemplateScheduleOptions::default(),
        }
    }

    /// The same, stopped since Sunday 18:00, with a 09:00 daily autostart stored as due at
    /// 09:00 today.
    fn stopped_with_autostart() -> Snapshot {
        let mut s = running();
        s.latest.transition = Transition::Stop;
        s.latest.created_at = at("2025-06-01T18:00:00Z");
        s.latest.completed_at = Some(at("2025-06-01T18:00:00Z"));
        s.autostart = Some(CronSchedule::parse_weekly("0 9 * * *").expect("schedule"));
        s.next_start_at = Some(at("2025-06-02T09:00:00Z"));
        s
    }

    fn allowed_days(days: &[Weekday]) -> AutostartRequirement {
        AutostartRequirement::new(i16::from(WeekdayBitmap::from_weekdays(days).bits()))
            .expect("valid")
    }

    type Change = fn(&mut Snapshot);

    /// Name, base snapshot, change, expected build, expected dormancy mark.
    type Case = (
        &'static str,
        fn() -> Snapshot,
        Change,
        Option<(Transition, BuildReason)>,
        bool,
    );

    #[test]
    fn rules_table() {
        use BuildReason as R;
        use Transition as T;
        let stop = Some((T::Stop, R::Autostop));
        let start = Some((T::Start, R::Autostart));
        let cases: &[Case] = &[
            ("nothing due", running, |_| {}, None, false),
            // Autostop.
            (
                "deadline reached exactly",
                running,
                |s| s.latest.deadline = Some(tick()),
                stop,
                false,
            ),
            (
                "deadline passed",
                running,
                |s| s.latest.deadline = Some(tick() - minutes(5)),
                stop,
                false,
            ),
            (
                "deadline one second ahead",
                running,
                |s| s.latest.deadline = Some(tick() + TimeDelta::seconds(1)),
                None,
                false,
            ),
            (
                "no deadline (TTL removed)",
                running,
                |s| s.latest.deadline = None,
                None,
                false,
            ),
            (
                "suspended owner, no deadline",
                running,
                |s| s.owner_status = UserStatus::Suspended,
                stop,
                false,
            ),
            (
                "suspended owner, failed start",
                running,
                |s| {
                    s.owner_status = UserStatus::Suspended;
                    s.latest.job_status = JobStatus::Failed;
                },
                None,
                false,
            ),
            (
                "deadline passed on a failed start",
                running,
                |s| {
                    s.latest.deadline = Some(tick() - minutes(5));
                    s.latest.job_status = JobStatus::Failed;
                },
                None,
                false,
            ),
            (
                "deadline passed on a dormant workspace",
                running,
                |s| {
                    s.latest.deadline = Some(tick() - minutes(5));
                    s.dormant_at = Some(tick() - minutes(10));
                },
                None,
                false,
            ),
            (
                "deadline passed, start still running",
                running,
                |s| {
                    s.latest.deadline = Some(tick() - minutes(5));
                    s.latest.job_status = JobStatus::Running;
                },
                None,
                false,
            ),
            (
                "deadline passed on a stopped workspace",
                running,
                |s| {
                    s.latest.deadline = Some(tick() - minutes(5));
                    s.latest.transition = T::Stop;
                },
                None,
                false,
            ),
            // Autostart.
            (
                "autostart due",
                stopped_with_autostart,
                |_| {},
                start,
                false,
            ),
            (
                "autostart exactly at its firing",
                stopped_with_autostart,
                |s| {
                    s.latest.created_at = at("2025-06-02T08:59:00Z");
                },
                start,
                false,
            ),
            (
                "stopped after today's firing",
                stopped_with_autostart,
                |s| {
                    s.latest.created_at = at("2025-06-02T10:00:00Z");
                },
                None,
                false,
            ),
            (
                "stored next start still ahead",
                stopped_with_autostart,
                |s| {
                    s.next_start_at = Some(at("2025-06-03T09:00:00Z"));
                },
                None,
                false,
            ),
            (
                "next start not computed",
                stopped_with_autostart,
                |s| s.next_start_at = None,
                start,
                false,
            ),
            (
                "template forbids autostart",
                stopped_with_autostart,
                |s| {
                    s.template.user_autostart_enabled = false;
                },
                None,
                false,
            ),
            (
                "Monday not allowed",
                stopped_with_autostart,
                |s| {
                    s.template.autostart_requirement = allowed_days(&[Weekday::Tue, Weekday::Wed]);
                },
                None,
                false,
            ),
            (
                "Monday allowed, Sunday's stop",
                stopped_with_autostart,
                |s| {
                    s.template.autostart_requirement = allowed_days(&[Weekday::Mon]);
                },
                start,
                false,
            ),
            (
                "owner suspended",
                stopped_with_autostart,
                |s| s.owner_status = UserStatus::Suspended,
                None,
                false,
            ),
            (
                "owner dormant",
                stopped_with_autostart,
                |s| s.owner_status = UserStatus::Dormant,
                None,
                false,
            ),
            (
                "stop failed",
                stopped_with_autostart,
                |s| s.latest.job_status = JobStatus::Failed,
                None,
                false,
            ),
            (
                "stop still pending",
                stopped_with_autostart,
                |s| s.latest.job_status = JobStatus::Pending,
                None,
                false,
            ),
            (
                "dormant workspace",
                stopped_with_autostart,
                |s| s.dormant_at = Some(tick() - minutes(1)),
                None,
                false,
            ),
            (
                "no schedule",
                stopped_with_autostart,
                |s| s.autostart = None,
                None,
                false,
            ),
            // Failed-build cleanup.
            (
                "failed start past the failure TTL",
                running,
                |s| {
                    s.template.failure_ttl = minutes(30);
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - minutes(31));
                },
                stop,
                false,
            ),
            (
                "failed start exactly at the failure TTL",
                running,
                |s| {
                    s.template.failure_ttl = minutes(30);
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - minutes(30));
                },
                None,
                false,
            ),
            (
                "failed start, no failure TTL",
                running,
                |s| {
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - TimeDelta::days(30));
                },
                None,
                false,
            ),
            (
                "failed stop past the failure TTL",
                running,
                |s| {
                    s.template.failure_ttl = minutes(30);
                    s.latest.transition = T::Stop;
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - minutes(31));
                },
                None,
                false,
            ),
            // Dormancy.
            (
                "idle past the threshold, running",
                running,
                |s| {
                    s.template.time_til_dormant = TimeDelta::days(7);
                    s.last_used_at = tick() - TimeDelta::days(7) - TimeDelta::seconds(1);
                },
                Some((T::Stop, R::Dormancy)),
                true,
            ),
            (
                "idle past the threshold, stopped",
                running,
                |s| {
                    s.template.time_til_dormant = TimeDelta::days(7);
                    s.last_used_at = tick() - TimeDelta::days(8);
                    s.latest.transition = T::Stop;
                },
                None,
                true,
            ),
            (
                "idle past the threshold, failed start",
                running,
                |s| {
                    s.template.time_til_dormant = TimeDelta::days(7);
                    s.last_used_at = tick() - TimeDelta::days(8);
                    s.latest.job_status = JobStatus::Failed;
                },
                Some((T::Stop, R::Dormancy)),
                true,
            ),
            (
                "idle exactly the threshold",
                running,
                |s| {
                    s.template.time_til_dormant = TimeDelta::days(7);
                    s.last_used_at = tick() - TimeDelta::days(7);
                },
                None,
                false,
            ),
            (
                "idle, no dormancy threshold",
                running,
                |s| s.last_used_at = tick() - TimeDelta::days(300),
                None,
                false,
            ),
            (
                "idle and past the deadline: stops first",
                running,
                |s| {
                    s.template.time_til_dormant = TimeDelta::days(7);
                    s.last_used_at = tick() - TimeDelta::days(8);
                    s.latest.deadline = Some(tick() - minutes(1));
                },
                stop,
                false,
            ),
            // Auto-delete.
            (
                "dormant past its deletion time",
                running,
                |s| {
                    s.template.time_til_dormant = TimeDelta::days(7);
                    s.template.time_til_dormant_autodelete = TimeDelta::days(7);
                    s.latest.transition = T::Stop;
                    s.dormant_at = Some(tick() - TimeDelta::days(8));
                    s.deleting_at = Some(tick() - TimeDelta::days(1));
                },
                Some((T::Delete, R::Autodelete)),
                false,
            ),
            (
                "dormant, deletion time exactly now",
                running,
                |s| {
                    s.template.time_til_dormant_autodelete = TimeDelta::days(7);
                    s.latest.transition = T::Stop;
                    s.dormant_at = Some(tick() - TimeDelta::days(7));
                    s.deleting_at = Some(tick());
                },
                None,
                false,
            ),
            (
                "dormant, auto-delete turned off",
                running,
                |s| {
                    s.latest.transition = T::Stop;
                    s.dormant_at = Some(tick() - TimeDelta::days(8));
                    s.deleting_at = Some(tick() - TimeDelta::days(1));
                },
                None,
                false,
            ),
            (
                "dormant, failed delete an hour ago",
                running,
                |s| {
                    s.template.time_til_dormant_autodelete = TimeDelta::days(7);
                    s.latest.transition = T::Delete;
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - TimeDelta::hours(1));
                    s.dormant_at = Some(tick() - TimeDelta::days(8));
                    s.deleting_at = Some(tick() - TimeDelta::days(1));
                },
                None,
                false,
            ),
            (
                "dormant, failed delete over a day ago",
                running,
                |s| {
                    s.template.time_til_dormant_autodelete = TimeDelta::days(7);
                    s.latest.transition = T::Delete;
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - TimeDelta::hours(25));
                    s.dormant_at = Some(tick() - TimeDelta::days(8));
                    s.deleting_at = Some(tick() - TimeDelta::days(2));
                },
                Some((T::Delete, R::Autodelete)),
                false,
            ),
            (
                "dormant, canceled delete",
                running,
                |s| {
                    s.template.time_til_dormant_autodelete = TimeDelta::days(7);
                    s.latest.transition = T::Delete;
                    s.latest.job_status = JobStatus::Canceled;
                    s.latest.canceled_at = Some(tick() - TimeDelta::hours(1));
                    s.dormant_at = Some(tick() - TimeDelta::days(8));
                    s.deleting_at = Some(tick() - TimeDelta::days(1));
                },
                Some((T::Delete, R::Autodelete)),
                false,
            ),
            // Prebuilt workspaces: no rule applies, however due.
            (
                "prebuilt, everything due",
                running,
                |s| {
                    s.prebuilt = true;
                    s.owner_status = UserStatus::Active;
                    s.latest.deadline = Some(tick() - minutes(5));
                    s.template.time_til_dormant = TimeDelta::days(1);
                    s.last_used_at = tick() - TimeDelta::days(30);
                },
                None,
                false,
            ),
            (
                "prebuilt, stopped and due to start",
                stopped_with_autostart,
                |s| s.prebuilt = true,
                None,
                false,
            ),
            (
                "prebuilt, failed start past the TTL",
                running,
                |s| {
                    s.prebuilt = true;
                    s.template.failure_ttl = minutes(1);
                    s.latest.job_status = JobStatus::Failed;
                    s.latest.completed_at = Some(tick() - TimeDelta::days(1));
                },
                None,
                false,
            ),
        ];
        for (name, base, change, transition, dormant) in cases {
            let mut s = base();
            change(&mut s);
            assert_eq!(
                next_transition(&s, tick()),
                *transition,
                "{name}: transition"
            );
            assert_eq!(marks_dormant(&s, tick()), *dormant, "{name}: dormancy mark");
        }
    }
}
