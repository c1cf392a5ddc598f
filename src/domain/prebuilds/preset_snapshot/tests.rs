//! The reconciliation cases as Coder's preset snapshot tests state them: a snapshot in, a
//! state and the actions out. Row names (U1…) follow the case table in
//! docs/rules/prebuilds.md.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::{
    Backoff, InProgress, PrebuildStatus, PresetInfo, PresetSnapshot, ReconciliationAction,
    RunningPrebuild, State,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 12, 0, 0)
        .single()
        .expect("valid test time")
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn preset(desired: i32) -> PresetSnapshot {
    PresetSnapshot {
        preset: PresetInfo {
            id: id(1000),
            name: "preset".into(),
            template_version_id: id(2000),
            template_id: id(3000),
            template_name: "template".into(),
            organization_id: id(4000),
            organization_name: "org".into(),
            using_active_version: true,
            template_deleted: false,
            template_deprecated: false,
            desired_instances: desired,
            ttl_secs: None,
            scheduling_timezone: String::new(),
            status: PrebuildStatus::Healthy,
        },
        schedules: Vec::new(),
        running: Vec::new(),
        in_progress: InProgress::default(),
        backoff: None,
        is_hard_limited: false,
    }
}

/// `n` ready prebuilds created a minute apart, the first (id 1) oldest.
fn running(n: u128) -> Vec<RunningPrebuild> {
    (1..=n)
        .map(|i| RunningPrebuild {
            workspace_id: id(i),
            created_at: now() - Duration::hours(2)
                + Duration::minutes(i64::try_from(i).expect("small")),
            ready: true,
        })
        .collect()
}

fn with(mut s: PresetSnapshot, f: impl FnOnce(&mut PresetSnapshot)) -> PresetSnapshot {
    f(&mut s);
    s
}

fn inactive(s: PresetSnapshot) -> PresetSnapshot {
    with(s, |s| s.preset.using_active_version = false)
}

fn in_progress(starting: i32, stopping: i32, deleting: i32) -> InProgress {
    InProgress {
        starting,
        stopping,
        deleting,
    }
}

fn state(actual: i32, desired: i32) -> State {
    State {
        actual,
        desired,
        eligible: actual.min(desired),
        ..State::default()
    }
}

use ReconciliationAction::{Create, Delete};

fn check(name: &str, snapshot: &PresetSnapshot, want_state: State, want: &[ReconciliationAction]) {
    assert_eq!(snapshot.calculate_state(now()), want_state, "{name}: state");
    assert_eq!(
        snapshot.calculate_actions(now(), Duration::seconds(5)),
        want,
        "{name}: actions"
    );
}

#[test]
fn reconciliation_table() {
    // A TTL of one hour: running(n) prebuilds are two hours old, so all are expired unless
    // made younger below.
    let expire_first = |s: &mut PresetSnapshot, n: usize| {
        s.preset.ttl_secs = Some(3600);
        for (i, p) in s.running.iter_mut().enumerate() {
            if i >= n {
                p.created_at = now() - Duration::minutes(30)
                    + Duration::seconds(i64::try_from(i).expect("small"));
            }
        }
    };
    let u3_new = with(preset(1), |s| s.preset.id = id(1001));
    let cases: Vec<(&str, PresetSnapshot, State, Vec<ReconciliationAction>)> = vec![
        ("U1", preset(0), State::default(), vec![]),
        ("U2", preset(1), state(0, 1), vec![Create(1)]),
        (
            "U3 old",
            inactive(with(preset(1), |s| s.running = running(1))),
            State {
                actual: 1,
                ..State::default()
            },
            vec![Delete(vec![id(1)])],
        ),
        ("U3 new", u3_new, state(0, 1), vec![Create(1)]),
        (
            "U4",
            inactive(with(preset(1), |s| {
                s.running = running(1);
                s.in_progress = in_progress(0, 0, 1);
            })),
            State {
                actual: 1,
                deleting: 1,
                ..State::default()
            },
            vec![Delete(vec![id(1)])],
        ),
        (
            "U5",
            with(preset(1), |s| s.in_progress = in_progress(1, 0, 0)),
            State {
                desired: 1,
                starting: 1,
                ..State::default()
            },
            vec![],
        ),
        (
            "U6",
            with(preset(2), |s| {
                s.running = running(1);
                s.in_progress = in_progress(1, 0, 0);
            }),
            State {
                starting: 1,
                ..state(1, 2)
            },
            vec![],
        ),
        (
            "U7",
            with(preset(2), |s| {
                s.running = running(2);
                s.in_progress = in_progress(1, 0, 0);
            }),
            State {
                starting: 1,
                ..state(2, 2)
            },
            vec![],
        ),
        (
            "U8",
            with(preset(1), |s| s.in_progress = in_progress(0, 1, 0)),
            State {
                stopping: 1,
                ..state(0, 1)
            },
            vec![Create(1)],
        ),
        (
            "U9",
            with(preset(3), |s| {
                s.running = running(2);
                s.in_progress = in_progress(0, 1, 0);
            }),
            State {
                stopping: 1,
                ..state(2, 3)
            },
            vec![Create(1)],
        ),
        (
            "U10",
            with(preset(3), |s| {
                s.running = running(3);
                s.in_progress = in_progress(0, 1, 0);
            }),
            State {
                stopping: 1,
                ..state(3, 3)
            },
            vec![],
        ),
        (
            "U11",
            with(preset(1), |s| s.in_progress = in_progress(0, 0, 1)),
            State {
                deleting: 1,
                ..state(0, 1)
            },
            vec![Create(1)],
        ),
        (
            "U12",
            with(preset(2), |s| {
                s.running = running(1);
                s.in_progress = in_progress(0, 0, 1);
            }),
            State {
                deleting: 1,
                ..state(1, 2)
            },
            vec![Create(1)],
        ),
        (
            "U13",
            with(preset(2), |s| {
                s.running = running(2);
                s.in_progress = in_progress(0, 0, 1);
            }),
            State {
                deleting: 1,
                ..state(2, 2)
            },
            vec![],
        ),
        (
            "U14",
            with(preset(3), |s| {
                s.running = running(1);
                s.in_progress = in_progress(2, 0, 0);
            }),
            State {
                starting: 2,
                ..state(1, 3)
            },
            vec![],
        ),
        (
            "U15",
            with(preset(3), |s| {
                s.running = running(5);
                s.in_progress = in_progress(0, 0, 2);
            }),
            State {
                deleting: 2,
                extraneous: 2,
                eligible: 5,
                ..state(5, 3)
            },
            vec![Delete(vec![id(1), id(2)])],
        ),
        (
            "U16",
            with(preset(1), |s| {
                s.running = running(2);
                // The second is the older one here.
                s.running[1].created_at = now() - Duration::hours(3);
            }),
            State {
                extraneous: 1,
                eligible: 2,
                ..state(2, 1)
            },
            vec![Delete(vec![id(2)])],
        ),
        (
            "U17",
            with(preset(2), |s| {
                s.running = running(2);
                s.preset.ttl_secs = Some(5);
                for p in &mut s.running {
                    p.created_at = now() - Duration::seconds(5);
                }
            }),
            state(2, 2),
            vec![],
        ),
        (
            "U18",
            with(preset(2), |s| {
                s.running = running(2);
                expire_first(s, 1);
            }),
            State {
                expired: 1,
                eligible: 1,
                ..state(2, 2)
            },
            vec![Delete(vec![id(1)]), Create(1)],
        ),
        (
            "U19",
            with(preset(2), |s| {
                s.running = running(2);
                expire_first(s, 2);
            }),
            State {
                expired: 2,
                eligible: 0,
                ..state(2, 2)
            },
            vec![Delete(vec![id(1), id(2)]), Create(2)],
        ),
        (
            "U20",
            with(preset(2), |s| {
                s.running = running(4);
                expire_first(s, 2);
            }),
            State {
                expired: 2,
                eligible: 2,
                ..state(4, 2)
            },
            vec![Delete(vec![id(1), id(2)])],
        ),
        (
            "U21",
            with(preset(2), |s| {
                s.running = running(4);
                expire_first(s, 1);
            }),
            State {
                expired: 1,
                extraneous: 1,
                eligible: 3,
                ..state(4, 2)
            },
            vec![Delete(vec![id(1)]), Delete(vec![id(2)])],
        ),
        (
            "U23",
            with(preset(1), |s| {
                s.running = running(1);
                s.preset.template_deprecated = true;
            }),
            State {
                actual: 1,
                ..State::default()
            },
            vec![Delete(vec![id(1)])],
        ),
    ];
    for (name, snapshot, want_state, want) in &cases {
        check(name, snapshot, *want_state, want);
    }
}

#[test]
fn u15_in_progress_deletes_do_not_reduce_the_surplus() {
    let s = with(preset(3), |s| {
        s.running = running(5);
        s.in_progress = in_progress(0, 0, 2);
    });
    assert_eq!(s.calculate_state(now()).extraneous, 2);
}

/// U24: a failure holds a preset back `num_failed × interval` from its last build; another
/// preset is unaffected; a microsecond after the deadline the preset creates again.
#[test]
fn u24_backoff() {
    let failing = with(preset(1), |s| {
        s.backoff = Some(Backoff {
            num_failed: 1,
            last_build_at: now(),
        })
    });
    let healthy = with(preset(1), |s| s.running = running(1));
    let until = now() + Duration::seconds(5);
    check(
        "U24 A",
        &failing,
        state(0, 1),
        &[ReconciliationAction::Backoff { until }],
    );
    check(
        "U24 B",
        &healthy,
        State {
            eligible: 1,
            ..state(1, 1)
        },
        &[],
    );
    let later = until + Duration::microseconds(1);
    assert_eq!(
        failing.calculate_actions(later, Duration::seconds(5)),
        vec![Create(1)]
    );
    // Exactly at the deadline it still waits (the time must be strictly after).
    assert_eq!(
        failing.calculate_actions(until, Duration::seconds(5)),
        vec![ReconciliationAction::Backoff { until }]
    );
}

/// Backoff grows with the failures and also defers deletes of the preset.
#[test]
fn backoff_grows_linearly_and_defers_deletes() {
    let s = with(preset(1), |s| {
        s.running = running(3);
        s.backoff = Some(Backoff {
            num_failed: 3,
            last_build_at: now() - Duration::seconds(10),
        });
    });
    let until = now() - Duration::seconds(10) + Duration::seconds(15);
    assert_eq!(
        s.calculate_actions(now(), Duration::seconds(5)),
        vec![ReconciliationAction::Backoff { until }]
    );
    // A row without failures is no backoff.
    let none = with(preset(1), |s| {
        s.backoff = Some(Backoff {
            num_failed: 0,
            last_build_at: now(),
        })
    });
    assert_eq!(
        none.calculate_actions(now(), Duration::seconds(5)),
        vec![Create(1)]
    );
}

/// U25: in-progress counts are per preset; two presets of one version do not share them.
#[test]
fn u25_in_progress_is_per_preset() {
    let p1 = with(preset(1), |s| s.in_progress = in_progress(1, 0, 0));
    let p2 = with(preset(1), |s| s.preset.id = id(1001));
    check(
        "U25 P1",
        &p1,
        State {
            starting: 1,
            ..state(0, 1)
        },
        &[],
    );
    check("U25 P2", &p2, state(0, 1), &[Create(1)]);
}

/// An inactive preset drains oldest first and never creates; a deleted template likewise.
#[test]
fn inactive_presets_drain_oldest_first() {
    let s = inactive(with(preset(5), |s| {
        s.running = running(3);
        s.running[2].created_at = now() - Duration::days(1);
    }));
    assert_eq!(
        s.calculate_actions(now(), Duration::seconds(5)),
        vec![Delete(vec![id(3), id(1), id(2)])]
    );
    let deleted = with(preset(1), |s| {
        s.running = running(1);
        s.preset.template_deleted = true;
    });
    assert_eq!(
        deleted.calculate_actions(now(), Duration::seconds(5)),
        vec![Delete(vec![id(1)])]
    );
    assert_eq!(
        inactive(preset(1)).calculate_actions(now(), Duration::seconds(5)),
        vec![]
    );
}

/// Unready prebuilds run but are not eligible; expired ones never are.
#[test]
fn eligibility_needs_ready_agents() {
    let s = with(preset(3), |s| {
        s.running = running(3);
        s.running[0].ready = false;
    });
    let st = s.calculate_state(now());
    assert_eq!((st.actual, st.eligible), (3, 2));
}

/// The desired count follows the schedules in the preset's zone.
#[test]
fn desired_follows_schedules() {
    let s = with(preset(1), |s| {
        s.preset.scheduling_timezone = "UTC".into();
        s.schedules = vec![("* 9-18 * * 1-5".into(), 3)];
    });
    assert_eq!(s.calculate_state(now()).desired, 3);
    assert_eq!(
        s.calculate_actions(now(), Duration::seconds(5)),
        vec![Create(3)]
    );
    let night = now() + Duration::hours(10);
    assert_eq!(s.calculate_state(night).desired, 1);
}
