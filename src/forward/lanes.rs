//! One lane of due retries per target (scheme and authority): each lane starts its retries in
//! the order they fell due, at most [`MAX_IN_FLIGHT`] at a time, so a slow or dead target fills
//! only its own lane and never holds back another target's deliveries.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::{Semaphore, oneshot};

use super::retry::{MAX_IN_FLIGHT, STORE_BACKOFF, retry};
use crate::app::App;
use crate::store::DueRetry;

/// The lanes the dispatcher has opened, by target.
pub(super) struct Lanes {
    /// Each lane's queue; its runner is a tracked task that ends when hookpit stops.
    queues: HashMap<String, UnboundedSender<DueRetry>>,
    /// Where a retry the store failed is reported (by the attempt that scheduled it), so the
    /// dispatcher starts it again.
    failed: UnboundedSender<i64>,
}

impl Lanes {
    /// No lanes yet; store failures are reported on `failed`.
    pub(super) fn new(failed: UnboundedSender<i64>) -> Lanes {
        Lanes {
            queues: HashMap::new(),
            failed,
        }
    }

    /// Queues `due` on its target's lane, opening the lane when it is the target's first.
    pub(super) fn push(&mut self, app: &App, due: DueRetry) {
        let key = origin(&due.target);
        let queue = self.queues.entry(key).or_insert_with(|| {
            let (tx, rx) = unbounded_channel();
            app.tasks.spawn(run(app.clone(), rx, self.failed.clone()));
            tx
        });
        // A lane's runner ends only when hookpit stops; a retry queued after that waits for
        // the next start, still pending in the store.
        let _ = queue.send(due);
    }
}

/// `scheme://authority` of a target URL (the whole URL when it does not parse): the unit a
/// slow app holds up.
pub(super) fn origin(url: &str) -> String {
    match url.parse::<http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// Starts the lane's retries in the order queued, each once a slot is free and the one before
/// it is on record (attempts are numbered in the order their retries fell due).
async fn run(app: App, mut queue: UnboundedReceiver<DueRetry>, failed: UnboundedSender<i64>) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let stopped = app.stopped();
    tokio::pin!(stopped);
    loop {
        let due = tokio::select! {
            due = queue.recv() => match due {
                Some(due) => due,
                None => return,
            },
            _ = &mut stopped => return,
        };
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return, // the semaphore is never closed
            },
            _ = &mut stopped => return,
        };
        let (app, failed) = (app.clone(), failed.clone());
        let (recorded, is_recorded) = oneshot::channel();
        app.tasks.clone().spawn(async move {
            let attempt_id = due.attempt_id;
            if !retry(&app, due, recorded).await {
                // The store failed this try: it is due again after a pause, not at the next
                // start.
                tokio::select! {
                    _ = tokio::time::sleep(STORE_BACKOFF) => {}
                    _ = app.stopped() => {}
                }
                let _ = failed.send(attempt_id);
                app.retry_due.notify_one();
            }
            drop(slot);
        });
        let _ = is_recorded.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_its_scheme_and_authority() {
        assert_eq!(
            origin("http://127.0.0.1:3000/hooks/a?x=1"),
            "http://127.0.0.1:3000"
        );
        assert_eq!(origin("https://app.test/b"), origin("https://app.test/c?d"));
        assert_ne!(origin("http://a:1/"), origin("http://a:2/"));
    }
}
