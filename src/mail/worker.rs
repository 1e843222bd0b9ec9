//! The delivery worker: beside the HTTP server, it sends due mail every poll interval until told to
//! stop, and runs the periodic jobs that make mail (the reminders before sessions) when each is
//! due. Each pass runs on the blocking pool; a pass that fails (database away) is logged and retried.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::outbox::Sender;
use crate::db::Database;

pub struct Worker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

/// A job's work: how many messages it queued, or why it failed.
pub type JobFn = dyn Fn(&Database) -> Result<usize, String> + Send + Sync;

/// Something run every so often before a delivery pass, so that what it queues goes out at once:
/// its name (for the log), how often, and the work (how many messages it queued).
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    pub run: Arc<JobFn>,
}

impl Worker {
    pub fn spawn(db: Database, sender: Sender, interval: Duration, jobs: Vec<Job>) -> Worker {
        let (stop, mut stopped) = watch::channel(false);
        let handle = tokio::spawn(async move {
            let mut last_run: Vec<Option<Instant>> = vec![None; jobs.len()];
            loop {
                for (job, last) in jobs.iter().zip(last_run.iter_mut()) {
                    if last.is_some_and(|at| at.elapsed() < job.every) {
                        continue;
                    }
                    *last = Some(Instant::now());
                    let (db, job) = (db.clone(), job.clone());
                    let name = job.name;
                    match tokio::task::spawn_blocking(move || (job.run)(&db)).await {
                        Ok(Ok(0)) => {}
                        Ok(Ok(n)) => {
                            tracing::info!(job = name, queued = n, "periodic job queued mail")
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(job = name, error = %e, "periodic job failed; will try again")
                        }
                        Err(e) => tracing::error!(job = name, error = %e, "periodic job panicked"),
                    }
                }
                let (db, sender) = (db.clone(), sender.clone());
                match tokio::task::spawn_blocking(move || sender.deliver_due(&db)).await {
                    Ok(Ok(report)) if report != Default::default() => {
                        tracing::debug!(?report, "mail delivery pass");
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "mail delivery pass failed; will try again")
                    }
                    Err(e) => tracing::error!(error = %e, "mail delivery pass panicked"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Worker { stop, handle }
    }

    /// Stops after the pass in progress, if any, has finished.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}
