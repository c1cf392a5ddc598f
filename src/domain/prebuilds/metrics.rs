//! Prometheus metrics of prebuilds, labelled by template, preset and organization name:
//! totals of prebuilds created, failed and claimed (counted in the database, so every
//! replica reports the same), the desired, running and eligible gauges of presets on the
//! active version of a live template, the hard-limited gauge, and whether reconciliation is
//! paused. The reconciler refreshes them once per cycle; scrapes read what it left.

use std::collections::{BTreeMap, BTreeSet};

use prometheus::{IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use super::preset_snapshot::{PresetSnapshot, State};

/// The label names of per-preset metrics, in order.
const LABELS: [&str; 3] = ["template_name", "preset_name", "organization_name"];

/// (template, preset, organization) names.
pub type PresetKey = (String, String, String);

/// Totals of one preset's prebuilds, as counted in the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrebuildTotals {
    /// Prebuilds ever created (their first build was the prebuilds user's).
    pub created: u64,
    /// Those whose first build failed.
    pub failed: u64,
    /// Those a user has claimed.
    pub claimed: u64,
}

/// The prebuild metrics, registered once per server.
#[derive(Clone)]
pub struct PrebuildMetrics {
    created: IntCounterVec,
    failed: IntCounterVec,
    claimed: IntCounterVec,
    desired: IntGaugeVec,
    running: IntGaugeVec,
    eligible: IntGaugeVec,
    hard_limited: IntGaugeVec,
    paused: IntGauge,
}

impl PrebuildMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| IntCounterVec::new(Opts::new(name, help), &LABELS);
        let gauge = |name: &str, help: &str| IntGaugeVec::new(Opts::new(name, help), &LABELS);
        let metrics = Self {
            created: counter(
                "prebuilt_workspaces_created_total",
                "Prebuilt workspaces created, failed ones included.",
            )?,
            failed: counter(
                "prebuilt_workspaces_failed_total",
                "Prebuilt workspaces whose first build failed.",
            )?,
            claimed: counter(
                "prebuilt_workspaces_claimed_total",
                "Prebuilt workspaces claimed by users.",
            )?,
            desired: gauge(
                "prebuilt_workspaces_desired",
                "Prebuilt workspaces a preset wants now.",
            )?,
            running: gauge(
                "prebuilt_workspaces_running",
                "Running prebuilt workspaces of a preset, expired ones included.",
            )?,
            eligible: gauge(
                "prebuilt_workspaces_eligible",
                "Running prebuilt workspaces of a preset that can be claimed.",
            )?,
            hard_limited: gauge(
                "prebuilt_workspaces_preset_hard_limited",
                "1 for a preset whose recent prebuilds all failed: no more are created.",
            )?,
            paused: IntGauge::new(
                "prebuilt_workspaces_reconciliation_paused",
                "1 while prebuild reconciliation is paused.",
            )?,
        };
        registry.register(Box::new(metrics.created.clone()))?;
        registry.register(Box::new(metrics.failed.clone()))?;
        registry.register(Box::new(metrics.claimed.clone()))?;
        registry.register(Box::new(metrics.desired.clone()))?;
        registry.register(Box::new(metrics.running.clone()))?;
        registry.register(Box::new(metrics.eligible.clone()))?;
        registry.register(Box::new(metrics.hard_limited.clone()))?;
        registry.register(Box::new(metrics.paused.clone()))?;
        Ok(metrics)
    }

    /// Records whether reconciliation is paused.
    pub fn set_paused(&self, paused: bool) {
        self.paused.set(i64::from(paused));
    }

    /// Replaces the per-preset gauges with this cycle's states. Only presets on the active
    /// version of a live template appear; the hard-limited gauge holds 1 for a key when any
    /// such preset with that key is hard-limited, and nothing otherwise, so presets of old
    /// versions and deleted templates drop out.
    pub fn record_states(&self, presets: &[(PresetSnapshot, State)]) {
        let mut gauges: BTreeMap<PresetKey, State> = BTreeMap::new();
        let mut hard_limited: BTreeSet<PresetKey> = BTreeSet::new();
        for (snapshot, state) in presets {
            let p = &snapshot.preset;
            if !p.using_active_version || p.template_deleted {
                continue;
            }
            let key = (
                p.template_name.clone(),
                p.name.clone(),
                p.organization_name.clone(),
            );
            if snapshot.is_hard_limited {
                hard_limited.insert(key.clone());
            }
            gauges.insert(key, *state);
        }
        self.desired.reset();
        self.running.reset();
        self.eligible.reset();
        self.hard_limited.reset();
        for (key, state) in &gauges {
            let labels = labels(key);
            self.desired
                .with_label_values(&labels)
                .set(i64::from(state.desired));
            self.running
                .with_label_values(&labels)
                .set(i64::from(state.actual));
            self.eligible
                .with_label_values(&labels)
                .set(i64::from(state.eligible));
        }
        for key in &hard_limited {
            self.hard_limited.with_label_values(&labels(key)).set(1);
        }
    }

    /// Brings the counters up to the totals counted in the database. A total never goes
    /// down on a counter: rows that disappear (a deleted template) stop adding, no more.
    pub fn record_totals(&self, totals: &BTreeMap<PresetKey, PrebuildTotals>) {
        for (key, total) in totals {
            let labels = labels(key);
            for (counter, value) in [
                (&self.created, total.created),
                (&self.failed, total.failed),
                (&self.claimed, total.claimed),
            ] {
                let counter = counter.with_label_values(&labels);
                let current = counter.get();
                if value > current {
                    counter.inc_by(value - current);
                }
            }
        }
    }
}

fn labels(key: &PresetKey) -> [&str; 3] {
    [key.0.as_str(), key.1.as_str(), key.2.as_str()]
}
