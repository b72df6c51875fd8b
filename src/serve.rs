//! The one place that wires hookpit together: `App::run` starts both listeners, resumes due
//! retries and the relay agent, then waits for `shutdown` and drains. It sits above every module
//! it starts, so none of them needs to know the others.

use anyhow::Context;

use crate::app::{App, Listeners};

/// How long shutdown waits for attempt records still being written.
const RECORDS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

impl App {
    /// Serves both listeners until `shutdown` completes, then drains connections.
    pub async fn run(
        self,
        listeners: Listeners,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
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
        crate::forward::retry::resume(&self).await;
        crate::relay::agent::spawn(&self);
        shutdown.await;
        tracing::info!("shutting down");
        self.stop.send_replace(true);
        let (a, b) = tokio::join!(capture, ui);
        a.context("capture listener task")?;
        b.context("UI listener task")?;
        self.records.close();
        if tokio::time::timeout(RECORDS_DEADLINE, self.records.wait())
            .await
            .is_err()
        {
            tracing::warn!("attempt records still unwritten after {RECORDS_DEADLINE:?}; leaving");
        }
        Ok(())
    }
}
