//! The pure core of reconciliation: what one preset looks like at an instant
//! ([`PresetSnapshot`]), what that means ([`State`]) and what to do about it
//! ([`ReconciliationAction`]). No I/O: the reconciler loads snapshots and performs actions.
//!
//! The rules follow Coder's mid-2025 reconciler, in its order: a preset in backoff does
//! nothing; a preset that is no longer active (old version, deleted or deprecated template)
//! drains all its prebuilds; an active one deletes its expired prebuilds, then its surplus
//! (oldest first), then creates what is missing. In-progress stops and deletes never reduce
//! what is created or deleted: eventual consistency over cleverness.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::schedule;

/// Whether a preset may still get new prebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrebuildStatus {
    /// Normal.
    Healthy,
    /// Its last builds all failed: no more are created (deletes go on).
    HardLimited,
}

impl PrebuildStatus {
    /// The stored form (`template_version_presets.prebuild_status`).
    pub fn as_str(self) -> &'static str {
        match self {
            PrebuildStatus::Healthy => "healthy",
            PrebuildStatus::HardLimited => "hard_limited",
        }
    }

    /// Reads the stored form; anything unknown reads as healthy.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "hard_limited" => PrebuildStatus::HardLimited,
            _ => PrebuildStatus::Healthy,
        }
    }
}

/// The preset and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetInfo {
    /// The preset.
    pub id: Uuid,
    /// Its name (a metric label).
    pub name: String,
    /// Its version.
    pub template_version_id: Uuid,
    /// Its template.
    pub template_id: Uuid,
    /// The template's name (a metric label).
    pub template_name: String,
    /// The template's organization.
    pub organization_id: Uuid,
    /// The organization's name (a metric label).
    pub organization_name: String,
    /// Whether the version is the template's active one.
    pub using_active_version: bool,
    /// Whether the template is deleted.
    pub template_deleted: bool,
    /// Whether the template is deprecated.
    pub template_deprecated: bool,
    /// Prebuilds wanted when no schedule matches.
    pub desired_instances: i32,
    /// Seconds after which a prebuild expires; None or <= 0: never.
    pub ttl_secs: Option<i32>,
    /// The IANA zone of the schedules.
    pub scheduling_timezone: String,
    /// The stored status.
    pub status: PrebuildStatus,
}

/// A running prebuild of the preset: its latest build is a successful start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningPrebuild {
    /// The workspace.
    pub workspace_id: Uuid,
    /// When the workspace was created (the age that expiry and surplus go by).
    pub created_at: DateTime<Utc>,
    /// Whether every agent of its latest build is ready (claimable).
    pub ready: bool,
}

/// Builds of the preset's prebuilds on the active version whose jobs are pending or running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InProgress {
    /// Start builds.
    pub starting: i32,
    /// Stop builds.
    pub stopping: i32,
    /// Delete builds.
    pub deleting: i32,
}

/// Recent failures of the preset's prebuild builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Failed builds within the lookback period.
    pub num_failed: i32,
    /// When the latest of them was created.
    pub last_build_at: DateTime<Utc>,
}

/// Everything the core needs to know about one preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetSnapshot {
    /// The preset.
    pub preset: PresetInfo,
    /// Its schedules in stored order: (cron, instances).
    pub schedules: Vec<(String, i32)>,
    /// Its running prebuilds, in a stable order (by workspace id).
    pub running: Vec<RunningPrebuild>,
    /// Its builds in progress.
    pub in_progress: InProgress,
    /// Its recent failures, if any.
    pub backoff: Option<Backoff>,
    /// Whether its last builds all failed (at the hard limit).
    pub is_hard_limited: bool,
}

/// What a preset looks like now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State {
    /// Running prebuilds, expired ones included.
    pub actual: i32,
    /// Prebuilds wanted now (0 for an inactive preset).
    pub desired: i32,
    /// Running, unexpired prebuilds whose agents are ready (0 for an inactive preset).
    pub eligible: i32,
    /// Running, unexpired prebuilds beyond the desired count.
    pub extraneous: i32,
    /// Running prebuilds older than the preset's TTL.
    pub expired: i32,
    /// Start builds in progress.
    pub starting: i32,
    /// Stop builds in progress.
    pub stopping: i32,
    /// Delete builds in progress.
    pub deleting: i32,
}

/// One thing to do for a preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconciliationAction {
    /// Create this many prebuilds.
    Create(i32),
    /// Delete these prebuilds.
    Delete(Vec<Uuid>),
    /// Do nothing until then: recent builds failed.
    Backoff {
        /// When the preset may act again.
        until: DateTime<Utc>,
    },
}

impl PresetSnapshot {
    /// Whether the preset should have prebuilds at all: its version is the active one of a
    /// live, undeprecated template.
    pub fn is_active(&self) -> bool {
        let p = &self.preset;
        p.using_active_version && !p.template_deleted && !p.template_deprecated
    }

    /// Prebuilds wanted at `now`: the first matching schedule's count, else the default.
    pub fn desired_instances(&self, now: DateTime<Utc>) -> i32 {
        let p = &self.preset;
        schedule::desired_instances(
            now,
            &p.scheduling_timezone,
            &self.schedules,
            p.desired_instances,
        )
        .max(0)
    }

    /// Whether `prebuild` is older than the TTL at `now` (strictly).
    fn is_expired(&self, prebuild: &RunningPrebuild, now: DateTime<Utc>) -> bool {
        match self.preset.ttl_secs {
            Some(ttl) if ttl > 0 => now - prebuild.created_at > Duration::seconds(i64::from(ttl)),
            _ => false,
        }
    }

    /// The running prebuilds split into (unexpired, expired), each in snapshot order.
    fn split_expired(&self, now: DateTime<Utc>) -> (Vec<&RunningPrebuild>, Vec<&RunningPrebuild>) {
        self.running.iter().partition(|p| !self.is_expired(p, now))
    }

    /// The preset's state at `now`.
    pub fn calculate_state(&self, now: DateTime<Utc>) -> State {
        let (fresh, expired) = self.split_expired(now);
        let active = self.is_active();
        let actual = count(self.running.len());
        let expired = count(expired.len());
        let desired = if active {
            self.desired_instances(now)
        } else {
            0
        };
        let eligible = if active {
            count(fresh.iter().filter(|p| p.ready).count())
        } else {
            0
        };
        let extraneous = if active {
            (actual - expired - desired).max(0)
        } else {
            0
        };
        State {
            actual,
            desired,
            eligible,
            extraneous,
            expired,
            starting: self.in_progress.starting,
            stopping: self.in_progress.stopping,
            deleting: self.in_progress.deleting,
        }
    }

    /// What to do at `now`, a failed build holding the preset back `backoff_interval` per
    /// recent failure. An empty list means nothing to do.
    pub fn calculate_actions(
        &self,
        now: DateTime<Utc>,
        backoff_interval: Duration,
    ) -> Vec<ReconciliationAction> {
        if let Some(backoff) = self.backoff.filter(|b| b.num_failed > 0) {
            let until = backoff.last_build_at + backoff_interval * backoff.num_failed;
            if now <= until {
                return vec![ReconciliationAction::Backoff { until }];
            }
        }
        if !self.is_active() {
            // Drain everything, oldest first, even while other deletes are in progress.
            let mut running: Vec<&RunningPrebuild> = self.running.iter().collect();
            running.sort_by_key(|p| p.created_at);
            return if running.is_empty() {
                Vec::new()
            } else {
                vec![ReconciliationAction::Delete(
                    running.iter().map(|p| p.workspace_id).collect(),
                )]
            };
        }
        let state = self.calculate_state(now);
        let (mut fresh, expired) = self.split_expired(now);
        let mut actions = Vec::new();
        if !expired.is_empty() {
            actions.push(ReconciliationAction::Delete(
                expired.iter().map(|p| p.workspace_id).collect(),
            ));
        }
        if state.extraneous > 0 {
            fresh.sort_by_key(|p| p.created_at);
            let surplus = usize::try_from(state.extraneous).unwrap_or(0);
            actions.push(ReconciliationAction::Delete(
                fresh.iter().take(surplus).map(|p| p.workspace_id).collect(),
            ));
        }
        // Stops and deletes in progress do not count: what they remove is already gone
        // from `actual` or soon will be.
        let create = (state.desired - (state.actual - state.expired) - state.starting).max(0);
        if create > 0 {
            actions.push(ReconciliationAction::Create(create));
        }
        actions
    }
}

/// A count as the `i32` the state uses (a preset never has 2^31 prebuilds).
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;
