//! Where CPU-heavy steps of a request run: password hashing and template imports.
//!
//! They run on tokio's blocking pool, so they never stall the threads that serve other
//! requests, and at most one per core at a time, so a flood of logins or uploads queues up
//! instead of starving everything else. A caller waits for its turn without holding a
//! thread: when its request times out, the waiting future is dropped and the work never
//! starts. Work that has started runs to its end; its inputs are bounded so that is short.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// The CPU-heavy step could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    /// The work panicked (a bug), or the runtime is shutting down.
    #[error("CPU-bound work did not finish: {0}")]
    Failed(#[from] tokio::task::JoinError),
    /// The gate was closed; only happens if the process is stopping.
    #[error("CPU-bound work was refused: the gate is closed")]
    Closed,
}

/// Lets a bounded number of CPU-heavy steps run at once.
#[derive(Debug, Clone)]
pub struct CpuGate {
    permits: Arc<Semaphore>,
}

impl CpuGate {
    /// A gate letting `permits` steps run at once (at least one).
    pub fn new(permits: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    /// The process-wide gate, one permit per available core.
    pub fn global() -> &'static CpuGate {
        static GATE: OnceLock<CpuGate> = OnceLock::new();
        GATE.get_or_init(|| {
            CpuGate::new(std::thread::available_parallelism().map_or(1, usize::from))
        })
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CpuError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| CpuError::Closed)?;
        Ok(
            tokio::task::spawn_blocking(crate::telemetry::work_label::inherit_blocking(
                move || {
                    // Held until the work ends, even when the caller has gone.
                    let _permit = permit;
                    work()
                },
            ))
            .await?,
        )
    }
}

/// Runs `work` through the process-wide gate.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CpuError> {
    CpuGate::global().run(work).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn work_waiting_for_a_permit_is_cancelled_with_its_caller() {
        let gate = CpuGate::new(1);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, is_started) = tokio::sync::oneshot::channel::<()>();
        let busy = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    started.send(()).ok();
                    released.recv().ok();
                })
                .await
            }
        });
        is_started.await.expect("first work started");

        let ran = Arc::new(AtomicUsize::new(0));
        let waiting = gate.run({
            let ran = ran.clone();
            move || ran.fetch_add(1, Ordering::SeqCst)
        });
        // The caller gives up (as a timed-out request does) while the permit is taken.
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(20), waiting).await;
        assert!(gave_up.is_err());

        release.send(()).expect("release");
        busy.await.expect("joined").expect("ran");
        // The permit is free again and the abandoned work never ran.
        assert_eq!(gate.run(|| 7).await.expect("ran"), 7);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_frees_the_permit() {
        let gate = CpuGate::new(1);
        let failed = gate.run(|| -> u8 { panic!("boom") }).await;
        assert!(matches!(failed, Err(CpuError::Failed(_))));
        assert_eq!(gate.run(|| 1).await.expect("ran"), 1);
    }
}
