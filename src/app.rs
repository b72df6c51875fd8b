//! `App`: the bundle of cheap handles every part of hookpit shares. It sits below everything that
//! uses it; `App::run`, which wires the listeners, the retries and the relay agent together, lives
//! at the top in `serve.rs`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::client::HttpClient;
use crate::clock::Clock;
use crate::config::Config;
use crate::keys::Keys;
use crate::live::LiveHub;
use crate::store::{Retention, Store};
use crate::verify::Key;
use crate::wire::RelayStatus;

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

/// Shared relay status (an `Arc<Mutex>`, never held across `.await`).
#[derive(Clone, Default)]
pub struct RelayState(Arc<Mutex<Option<RelayStatus>>>);

impl RelayState {
    /// The current status; `None` when no relay is configured.
    pub fn get(&self) -> Option<RelayStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Changes the status (first created as `connecting` to `relay`) and publishes it.
    pub fn update(&self, live: &LiveHub, relay: &str, change: impl FnOnce(&mut RelayStatus)) {
        let snapshot = {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let status = slot.get_or_insert_with(|| RelayStatus {
                state: "connecting",
                relay: relay.to_string(),
                public_url: None,
                last_heartbeat: None,
                backlog: 0,
                error: None,
            });
            change(status);
            status.clone()
        };
        live.publish_frame(&snapshot);
    }
}

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
    /// The tunnel program's state, the canary's and its probes in flight.
    pub public: crate::public_url::PublicState,
    /// The time receive stamps, signatures and retries are judged by (the system clock, unless
    /// a test replaces it before `run`).
    pub clock: Clock,
    /// The value of this process's `Hookpit-Forwarded` and `Hookpit-Replay` headers.
    pub marker: crate::headers::Marker,
    /// Body bytes all capture connections hold now, bounded by `--max-in-flight`.
    pub in_flight: crate::in_flight::InFlight,
    /// Cancelled when shutdown starts (by `run`): listeners stop accepting, long-lived tasks
    /// (WebSockets, the retry dispatcher, bulk replays) end, and no new retry starts.
    pub(crate) stopping: CancellationToken,
    /// Cancelled once shutdown has waited its drain deadline (by `run`): deliveries still in
    /// flight stop waiting for the app and record themselves as interrupted.
    pub(crate) cut: CancellationToken,
    /// Every spawned task that writes to the store (deliveries, proxy records, bulk replays,
    /// doctor runs, the relay agent); shutdown waits for them, so none is left half-recorded.
    pub tasks: TaskTracker,
    /// Woken when an ack-mode try has scheduled a retry, so the dispatcher looks again.
    pub retry_due: Arc<Notify>,
    /// Committed webhooks with their bodies, on their way to the schema learner.
    pub learn_feed: crate::learn_feed::LearnFeed,
}

/// The canary's secret, drawn the first time and kept in the store: a probe an earlier run
/// sent through a relay, delivered after a restart, is still known as one (and dropped). A
/// store that cannot keep it (a full disk) costs only that: this run gets a secret of its own.
async fn canary_secret(store: &Store) -> Vec<u8> {
    const KEY: &str = "canary.secret";
    if let Ok(Some(secret)) = store.meta(KEY).await
        && let Ok(secret) = hex::decode(secret)
    {
        return secret;
    }
    let secret: [u8; 32] = rand::random();
    if let Err(e) = store.set_meta(KEY, &hex::encode(secret)).await {
        tracing::warn!("cannot keep the canary's secret ({e}); this run uses its own");
    }
    secret.to_vec()
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
        let client = HttpClient::new(&config.tls_trust).map_err(anyhow::Error::msg)?;
        let keys = Keys::default();
        for key in &config.keys {
            keys.add_config("/", key.clone());
        }
        for route in &config.routes {
            for key in &route.keys {
                keys.add_config(&route.path, key.clone());
            }
            if let Some(provider) = route.provider {
                keys.pin(&route.path, provider);
            }
        }
        for stored in store.keys().await? {
            match Key::parse(Some(&stored.label), &stored.secret) {
                Ok(key) => keys.add_api(stored.id, &stored.route, key),
                Err(e) => tracing::warn!(id = stored.id, "stored key no longer parses: {e}"),
            }
        }
        let in_flight = crate::in_flight::InFlight::new(config.max_in_flight);
        let public = crate::public_url::PublicState::with_secret(&canary_secret(&store).await);
        Ok(App {
            config: Arc::new(config),
            store,
            live: LiveHub::default(),
            keys,
            bound,
            client,
            relay: RelayState::default(),
            public,
            clock: Clock::default(),
            marker: crate::headers::Marker::new(),
            in_flight,
            stopping: CancellationToken::new(),
            cut: CancellationToken::new(),
            tasks: TaskTracker::new(),
            retry_due: Arc::default(),
            learn_feed: crate::learn_feed::LearnFeed::default(),
        })
    }

    /// Completes when shutdown begins (or at once if it already has).
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        self.stopping.clone().cancelled_owned()
    }

    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// Completes when shutdown has waited long enough: work still in flight must record that
    /// it was interrupted and end.
    pub fn cut_short(&self) -> impl Future<Output = ()> + Send + 'static {
        self.cut.clone().cancelled_owned()
    }
}
