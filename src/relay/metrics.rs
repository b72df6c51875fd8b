//! The relay as a service: `GET /healthz` on its listener (200 `ok` when its store can write,
//! 503 otherwise) and, with `--metrics ADDR`, Prometheus' text exposition at
//! `http://ADDR/metrics`, every name prefixed `hookpit_relay_`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{Method, StatusCode, header};
use hyper::Response;

use super::protocol::RefusalKind;
use super::server::Relay;
use crate::server::Body;

/// The relay's own counts since it started (the gauges are read from the store when scraped).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests stored from senders.
    received: AtomicU64,
    /// Requests the agents acknowledged.
    delivered: AtomicU64,
    /// Refusals, by reason.
    refused: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// A sender's request was stored.
    pub fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// An agent acknowledged `n` more requests.
    pub fn delivered(&self, n: u64) {
        self.delivered.fetch_add(n, Ordering::Relaxed);
    }

    /// Something was refused, for `reason`.
    pub fn refused(&self, reason: &'static str) {
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        *refused.entry(reason).or_default() += 1;
    }
}

/// The `reason` label of an agent's refusal.
pub fn agent_refusal(kind: RefusalKind) -> &'static str {
    match kind {
        RefusalKind::Setup => "agent_setup",
        RefusalKind::Busy => "agent_busy",
        RefusalKind::Unavailable | RefusalKind::Other => "agent_unavailable",
    }
}

/// The `reason` label of a sender's request answered `status` without being stored.
pub fn sender_refusal(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "no_channel",
        408 => "timeout",
        413 => "body_too_large",
        431 => "headers_too_large",
        503 => "busy",
        507 => "queue_full",
        _ => "bad_request",
    }
}

/// `GET /healthz`: a write to the store proves it can take requests.
pub async fn healthz(relay: &Relay) -> Response<Body> {
    let now = chrono::Utc::now().timestamp_millis().to_string();
    match relay.store.set_meta("relay.healthz", &now).await {
        Ok(()) => text(StatusCode::OK, "ok\n".into()),
        Err(e) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the relay's store cannot write: {e}\n"),
        ),
    }
}

/// The `--metrics` listener's only page.
pub async fn handle(relay: &Relay, method: &Method, path: &str) -> Response<Body> {
    if path != "/metrics" || (method != Method::GET && method != Method::HEAD) {
        return text(
            StatusCode::NOT_FOUND,
            "metrics are at GET /metrics\n".into(),
        );
    }
    match render(relay).await {
        Ok(page) => text(StatusCode::OK, page),
        Err(e) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the relay's store cannot be read: {e}\n"),
        ),
    }
}

/// The exposition text.
pub async fn render(relay: &Relay) -> Result<String, crate::store::StoreError> {
    let totals = relay.store.relay_totals().await?;
    let agents = relay.agents.lock().unwrap_or_else(|p| p.into_inner()).len();
    let m = &relay.metrics;
    let mut out = String::new();
    let mut one = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP hookpit_relay_{name} {help}");
        let _ = writeln!(out, "# TYPE hookpit_relay_{name} {kind}");
        let _ = writeln!(out, "hookpit_relay_{name} {value}");
    };
    one("channels", "gauge", "Channels created.", totals.channels);
    one(
        "agents_connected",
        "gauge",
        "Agents connected now.",
        agents as u64,
    );
    one(
        "requests_received_total",
        "counter",
        "Requests from senders stored since the relay started.",
        m.received.load(Ordering::Relaxed),
    );
    one(
        "requests_delivered_total",
        "counter",
        "Requests agents acknowledged since the relay started.",
        m.delivered.load(Ordering::Relaxed),
    );
    one(
        "requests_queued",
        "gauge",
        "Requests stored and not yet acknowledged, over every channel.",
        totals.requests_queued,
    );
    one(
        "bytes_queued",
        "gauge",
        "Bytes those requests hold.",
        totals.bytes_queued,
    );
    let (buckets, sum) = relay.store.commit_histogram();
    let _ = writeln!(
        out,
        "# HELP hookpit_relay_commit_seconds Time of each store commit (BEGIN to the end of COMMIT)."
    );
    let _ = writeln!(out, "# TYPE hookpit_relay_commit_seconds histogram");
    let mut count = 0;
    for (bound, n) in &buckets {
        let le = if bound.is_infinite() {
            "+Inf".to_string()
        } else {
            bound.to_string()
        };
        let _ = writeln!(
            out,
            "hookpit_relay_commit_seconds_bucket{{le=\"{le}\"}} {n}"
        );
        count = *n;
    }
    let _ = writeln!(out, "hookpit_relay_commit_seconds_sum {sum}");
    let _ = writeln!(out, "hookpit_relay_commit_seconds_count {count}");
    let _ = writeln!(
        out,
        "# HELP hookpit_relay_refused_total Requests and agents refused since the relay started, by reason."
    );
    let _ = writeln!(out, "# TYPE hookpit_relay_refused_total counter");
    let refused = m.refused.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for (reason, n) in refused {
        let _ = writeln!(
            out,
            "hookpit_relay_refused_total{{reason=\"{reason}\"}} {n}"
        );
    }
    Ok(out)
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = Response::new(Body::from(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
