//! `App`: the bundle of cheap handles every part of hookpit shares, and `run`, which serves
//! both listeners until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::client::HttpClient;
use crate::config::Config;
use crate::keys::Keys;
use crate::live::LiveHub;
use crate::relay::agent::RelayState;
use crate::store::{Retention, Store};
use crate::verify::Key;

/// The two listeners hookpit serves, bound by the caller (port 0 in tests).
pub struct Listeners {
    /// Where webhooks arrive.
    pub capture: TcpListener,
    /// The UI, JSON API and WebSocket.
    pub ui: TcpListener,
}

impl Listeners {
    /// Binds both addresses of the config.
    pub async fn bind(config: &Config) -> anyhow::Result<Listeners> {
        let capture = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen for webhooks on {}", config.listen))?;
        let ui = TcpListener::bind(config.ui)
            .await
            .with_context(|| format!("cannot serve the UI on {}", config.ui))?;
        Ok(Listeners { capture, ui })
    }
}

/// Addresses actually bound (the config may say port 0).
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// Capture listener.
    pub capture: SocketAddr,
    /// UI listener.
    pub ui: SocketAddr,
}

/// How long shutdown waits for attempt records still being written.
const RECORDS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Shared state: a `Clone` bundle of handles, each cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The checked configuration.
    pub config: Arc<Config>,
    /// Durable storage.
    pub store: Store,
    /// Live stream hub.
    pub live: LiveHub,
    /// Which keys verify which path.
    pub keys: Keys,
    /// Addresses actually bound.
    pub bound: Bound,
    /// The pooled client for forwards, replays and sends.
    pub client: HttpClient,
    /// The relay connection's state, when `--relay` is set.
    pub relay: RelayState,
    /// The value of this process's `Hookpit-Forwarded` and `Hookpit-Replay` headers.
    pub marker: crate::forward::Marker,
    /// Body bytes all capture connections hold now, bounded by `--max-in-flight`.
    pub in_flight: crate::server::in_flight::InFlight,
    /// Flips to `true` when shutdown starts, so long-lived tasks (WebSockets) end.
    stopping: watch::Receiver<bool>,
    /// Sender half of `stopping`.
    stop: Arc<watch::Sender<bool>>,
    /// Writes that finish after their request was answered (proxy attempts); shutdown waits
    /// for them, so a proxied webhook's attempt is never left half-recorded.
    pub records: tokio_util::task::TaskTracker,
}

impl App {
    /// Opens the store and loads the keys; serves nothing yet.
    pub async fn new(config: Config, listeners: &Listeners) -> anyhow::Result<App> {
        let bound = Bound {
            capture: listeners.capture.local_addr()?,
            ui: listeners.ui.local_addr()?,
        };
        let retention = Retention {
            max_events: config.max_events,
            max_age: config.max_age,
        };
        let path = config.db_path.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&path, retention))
            .await
            .context("store open task failed")?
            .with_context(|| format!("cannot open the database {}", config.db_path))?;
        let keys = Keys::default();
        for key in &config.keys {
            keys.add_config("/", key.clone());
        }
        for route in &config.routes {
            for key in &route.keys {
                keys.add_config(&route.path, key.clone());
            }
        }
        for stored in store.keys().await? {
            match Key::parse(Some(&stored.label), &stored.secret) {
                Ok(key) => keys.add_api(stored.id, &stored.route, key),
                Err(e) => tracing::warn!(id = stored.id, "stored key no longer parses: {e}"),
            }
        }
        let (stop, stopping) = watch::channel(false);
        let in_flight = crate::server::in_flight::InFlight::new(config.max_in_flight);
        Ok(App {
            config: Arc::new(config),
            store,
            live: LiveHub::default(),
            keys,
            bound,
            client: HttpClient::default(),
            relay: RelayState::default(),
            marker: crate::forward::Marker::new(),
            in_flight,
            stopping,
            stop: Arc::new(stop),
            records: tokio_util::task::TaskTracker::new(),
        })
    }

    /// Completes when shutdown begins (or at once if it already has).
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stopping.clone();
        async move {
            // An error means the sender is gone, which only happens once the app is dropped.
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

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
