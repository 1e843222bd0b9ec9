//! The delivery worker: beside the HTTP server, it sends due mail every poll interval until told to
//! stop. Each pass runs on the blocking pool; a pass that fails (database away) is logged and retried.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::outbox::Sender;
use crate::db::Database;

pub struct Worker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(db: Database, sender: Sender, interval: Duration) -> Worker {
        let (stop, mut stopped) = watch::channel(false);
        let handle = tokio::spawn(async move {
            loop {
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
