//! Timing helpers: interleaved latency samples and fixed-concurrency load.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Latency percentiles of one measured operation, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Latency {
    fn of(mut samples: Vec<f64>) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_by(f64::total_cmp);
        let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
        Latency {
            p50: at(0.50),
            p95: at(0.95),
        }
    }
}

async fn time<F: Future<Output = ()>>(f: F) -> f64 {
    let start = Instant::now();
    f.await;
    start.elapsed().as_secs_f64() * 1000.0
}

/// Runs `a` and `b` alternately (after two unmeasured warm-up runs of each) until each ran
/// `max_runs` times or `budget` is spent, at least `MIN_RUNS` times each, so that whatever
/// else the machine does falls on both alike.
pub async fn interleaved<A, FA, B, FB>(
    budget: Duration,
    max_runs: usize,
    mut a: A,
    mut b: B,
) -> (Latency, Latency)
where
    A: FnMut() -> FA,
    FA: Future<Output = ()>,
    B: FnMut() -> FB,
    FB: Future<Output = ()>,
{
    const MIN_RUNS: usize = 5;
    for _ in 0..2 {
        a().await;
        b().await;
    }
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while sa.len() < max_runs && (sa.len() < MIN_RUNS || start.elapsed() < budget) {
        sa.push(time(a()).await);
        sb.push(time(b()).await);
    }
    (Latency::of(sa), Latency::of(sb))
}

/// Runs `operation` from `clients` concurrent tasks for `duration`; returns how many
/// completed.
pub async fn load<F, Fut>(clients: usize, duration: Duration, operation: F) -> u64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let operation = Arc::new(operation);
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (done, operation) = (done.clone(), operation.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    operation().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("load task");
    }
    done.load(Ordering::Relaxed)
}
