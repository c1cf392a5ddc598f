//! The built-in provisioner: N workers inside the server that take pending jobs and
//! complete them after a delay (standing in for Terraform's apply). Workers wake when a
//! job is queued ([`Wakeup::notify`]) or on a poll interval, and stop with the server.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use tokio::{sync::Notify, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::JobEffects;
use crate::clock::Clock;

/// How often idle workers look for jobs queued by another replica.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Wakes idle workers when a job is queued in this process.
#[derive(Debug, Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    /// Tells one idle worker that a job is waiting.
    pub fn notify(&self) {
        self.0.notify_one();
    }
}

/// Starts `workers` built-in provisioners, which complete jobs with `effects`; they run
/// until `stop` is cancelled.
pub fn spawn(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    workers: usize,
    delay: Duration,
    wakeup: Wakeup,
    effects: Arc<dyn JobEffects>,
    stop: CancellationToken,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for n in 0..workers {
        let (db, clock, wakeup, effects, stop) = (
            db.clone(),
            clock.clone(),
            wakeup.clone(),
            effects.clone(),
            stop.clone(),
        );
        let name = format!("built-in-{n}");
        let span = tracing::info_span!("job", source = "job", job = "provisioner", worker = %name);
        set.spawn(async move {
            loop {
                match super::acquire(&db, clock.now(), &name, None).await {
                    Ok(Some(job)) => {
                        tokio::select! {
                            () = tokio::time::sleep(delay) => {}
                            () = stop.cancelled() => {}
                        }
                        // Finish the current job even when stopping, so nothing is left running.
                        if let Err(err) = super::complete(&db, clock.now(), job.id, None, Ok(()), effects.as_ref()).await {
                            tracing::error!(job.id = %job.id, error = %err, "completing a job failed");
                        }
                        continue;
                    }
                    Ok(None) => {}
                    Err(err) => tracing::error!(error = %err, "acquiring a job failed"),
                }
                tokio::select! {
                    () = wakeup.0.notified() => {}
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                    () = stop.cancelled() => break,
                }
            }
        }.instrument(span));
    }
    set
}
