//! The one place that wires hookpit together: `App::run` closes what the last run left in
//! flight, starts both listeners, the retry dispatcher, the relay agent, the tunnel program and
//! the canary, then waits for
//! `shutdown` and drains. It sits above every module it starts, so none of them needs to know
//! the others (ARCHITECTURE.md has the layers).

use anyhow::Context;

use crate::app::{App, Listeners};

/// How long shutdown waits, once in-flight work has been told to stop, for it to record that
/// it was interrupted.
const RECORDS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// How often retention runs when nothing arrives, at most (sooner for a short `--max-age`).
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl App {
    /// Serves both listeners until `shutdown` completes, then drains: connections and every
    /// tracked task get `DRAIN_DEADLINE` to finish; deliveries still in flight after it are
    /// recorded as interrupted, with their next try scheduled.
    pub async fn run(
        self,
        listeners: Listeners,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        // Before anything new is delivered: what the last run left in flight is closed as
        // interrupted and scheduled again.
        crate::forward::retry::recover(&self).await;
        let capture = tokio::spawn(crate::server::serve(
            listeners.capture,
            crate::server::Listener::Capture,
            self.clone(),
        ));
        let ui = tokio::spawn(crate::server::serve(
            listeners.ui,
            crate::server::Listener::Ui,
            self.clone(),
        ));
        self.tasks
            .spawn(crate::forward::retry::dispatch(self.clone()));
        crate::relay::agent::spawn(&self);
        // Learns each kind's shape from committed events, off the request path.
        self.tasks.spawn(crate::learn::run(self.clone()));
        crate::tunnel::spawn(&self);
        if let Some(age) = self.config.max_age {
            self.tasks.spawn(retention(self.clone(), age));
        }
        shutdown.await;
        tracing::info!("shutting down");
        let deadline = tokio::time::Instant::now() + crate::server::DRAIN_DEADLINE;
        self.stopping.cancel();
        let (a, b) = tokio::join!(capture, ui);
        a.context("capture listener task")?;
        b.context("UI listener task")?;
        self.tasks.close();
        if tokio::time::timeout_at(deadline, self.tasks.wait())
            .await
            .is_ok()
        {
            return Ok(());
        }
        tracing::warn!(
            "deliveries still in flight after {:?}; recording them as interrupted",
            crate::server::DRAIN_DEADLINE
        );
        self.cut.cancel();
        if tokio::time::timeout(RECORDS_DEADLINE, self.tasks.wait())
            .await
            .is_err()
        {
            // The next start closes whatever is left unrecorded as interrupted.
            tracing::warn!("attempt records still unwritten after {RECORDS_DEADLINE:?}; leaving");
        }
        Ok(())
    }
}

/// Applies `--max-age` on a timer until shutdown: the writer prunes after each stored event,
/// but an idle hookpit must drop old events too.
async fn retention(app: App, age: std::time::Duration) {
    let every = (age / 2).clamp(std::time::Duration::from_secs(1), RETENTION_EVERY);
    let mut tick = tokio::time::interval(every);
    let stopped = app.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stopped => return,
        }
        if let Err(e) = app.store.apply_retention().await {
            tracing::warn!("retention could not run: {e}");
        }
    }
}
