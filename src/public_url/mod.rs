//! What hookpit knows about its public URL: the tunnel program that gives it (`driver`), the
//! canary's proof of a probe (`probe`), and the shared state `/api/status` shows as `tunnel` and
//! `canary` and the live stream sends as `tunnel.status`. A leaf: it takes the hub to publish.

pub mod driver;
pub mod output;
pub mod probe;

use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use driver::Driver;
pub use output::Said;
pub use probe::{AppCheck, CANARY_HEADER, CANARY_PATH, Probes};

use crate::live::{Frame, LiveHub};

/// `tunnel` in `/api/status`: the tunnel program and the URL it gave.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TunnelStatus {
    /// `cloudflared`, `ngrok` or `ssh`.
    pub driver: &'static str,
    /// The URL senders post to (kept while the program restarts: it is what senders still use).
    pub public_url: Option<String>,
    /// `starting`, `up`, `restarting` or `failed`.
    pub state: &'static str,
    /// When it entered this state, RFC 3339.
    pub since: String,
    /// Why it is restarting or failed.
    pub error: Option<String>,
    /// When the public URL last changed to a new one, RFC 3339 (the senders must be told).
    pub url_changed_at: Option<String>,
    /// The URL before that change.
    pub previous_url: Option<String>,
    /// Whether every start gets a new URL (a cloudflared quick tunnel).
    pub changes_url: bool,
    /// The program's process id while it runs.
    pub pid: Option<u32>,
}

/// `canary` in `/api/status`: the last probe through the public URL.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CanaryStatus {
    /// The URL probed.
    pub url: Option<String>,
    /// When the last probe ended, RFC 3339.
    pub last_at: Option<String>,
    /// Whether it came back (`null` before the first).
    pub ok: Option<bool>,
    /// Its round trip, in milliseconds.
    pub latency_ms: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Where the path broke: `tunnel` (the probe did not reach hookpit) or `app`.
    pub failed_at: Option<&'static str>,
    /// Since when probes fail, RFC 3339.
    pub failing_since: Option<String>,
    /// Probes sent.
    pub sent: u64,
    /// Probes that reached this hookpit.
    pub received: u64,
    /// Whether probes go on to the app (`--canary-app`).
    pub app: bool,
}

/// The `tunnel.status` frame: both objects.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublicStatus {
    /// The tunnel program, when `--tunnel` is set.
    pub tunnel: Option<TunnelStatus>,
    /// The canary, when there is a public URL to probe and probes are on.
    pub canary: Option<CanaryStatus>,
}

impl Frame for PublicStatus {
    const TYPE: &'static str = "tunnel.status";
}

/// The shared public-URL state (an `Arc<Mutex>`, never held across `.await`) and the probes.
#[derive(Clone, Default)]
pub struct PublicState {
    status: Arc<Mutex<PublicStatus>>,
    /// The canary's secret and probes in flight.
    pub probes: Probes,
    /// Woken when the tunnel changes (it died, it came up with a URL): the canary probes at
    /// once instead of waiting for its interval.
    changed: Arc<tokio::sync::Notify>,
}

impl PublicState {
    /// A state whose probes are tagged under `secret`.
    pub fn with_secret(secret: &[u8]) -> PublicState {
        PublicState {
            probes: Probes::with_secret(secret),
            ..PublicState::default()
        }
    }

    /// Both objects as they are now; the canary's counters read fresh.
    pub fn get(&self) -> PublicStatus {
        let mut status = self.lock().clone();
        if let Some(c) = &mut status.canary {
            c.sent = self.probes.sent();
            c.received = self.probes.received();
        }
        status
    }

    /// Changes the tunnel's status (created `starting` for `driver`) and publishes both objects.
    pub fn update_tunnel(
        &self,
        live: &LiveHub,
        driver: &Driver,
        change: impl FnOnce(&mut TunnelStatus),
    ) {
        {
            let mut status = self.lock();
            let tunnel = status.tunnel.get_or_insert_with(|| TunnelStatus {
                driver: driver.name(),
                public_url: None,
                state: "starting",
                since: now(),
                error: None,
                url_changed_at: None,
                previous_url: None,
                changes_url: driver.changes_url(),
                pid: None,
            });
            change(tunnel);
        }
        self.changed.notify_one();
        live.publish_frame(&self.get());
    }

    /// Tells the canary the public URL may have changed (the relay agent connected): it
    /// probes at once.
    pub fn wake(&self) {
        self.changed.notify_one();
    }

    /// Completes when the tunnel has changed (or [`PublicState::wake`] was called) since the
    /// last call.
    pub async fn tunnel_changed(&self) {
        self.changed.notified().await;
    }

    /// Changes the canary's status (created empty) and publishes both objects.
    pub fn update_canary(&self, live: &LiveHub, app: bool, change: impl FnOnce(&mut CanaryStatus)) {
        {
            let mut status = self.lock();
            let canary = status.canary.get_or_insert(CanaryStatus {
                url: None,
                last_at: None,
                ok: None,
                latency_ms: None,
                error: None,
                failed_at: None,
                failing_since: None,
                sent: 0,
                received: 0,
                app,
            });
            change(canary);
        }
        live.publish_frame(&self.get());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PublicStatus> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The time now as every time in the API.
pub fn now() -> String {
    crate::wire::rfc3339_ms(chrono::Utc::now())
}
