//! Metrics of the scheduler's jobs, labelled by job name: how many runs ended how, and how
//! long they took. Registered in the application's registry like the HTTP metrics, so
//! `/metrics` shows background load beside request load.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use super::RunOutcome;
use crate::telemetry::{WorkSeconds, WorkSource};

/// The counters and histogram of job runs.
#[derive(Clone)]
pub struct JobMetrics {
    runs: IntCounterVec,
    duration: HistogramVec,
    work: WorkSeconds,
}

impl JobMetrics {
    /// Creates the metrics and registers them in `registry`:
    /// `job_runs_total{job,outcome}` (outcome `success`, `failure` or `skipped` when another
    /// replica held the job's lock) and `job_duration_seconds{job}` (runs that were not
    /// skipped). Runs that were not skipped also add their time to `work` (source `job`).
    pub fn register(registry: &Registry, work: WorkSeconds) -> Result<Self, prometheus::Error> {
        let runs = IntCounterVec::new(
            Opts::new(
                "job_runs_total",
                "Background job runs by job name and outcome (success, failure, skipped).",
            ),
            &["job", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "job_duration_seconds",
                "How long background job runs took, by job name.",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
            ]),
            &["job"],
        )?;
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            runs,
            duration,
            work,
        })
    }

    /// Counts one run of `job` and, unless it was skipped, its duration.
    pub fn observe(&self, job: &str, outcome: &RunOutcome, seconds: f64) {
        let label = match outcome {
            RunOutcome::Ran => "success",
            RunOutcome::Failed(_) => "failure",
            RunOutcome::Skipped => "skipped",
        };
        self.runs.with_label_values(&[job, label]).inc();
        if *outcome != RunOutcome::Skipped {
            self.duration.with_label_values(&[job]).observe(seconds);
            self.work.add(WorkSource::Job, job, seconds);
        }
    }
}
