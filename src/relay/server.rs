//! `hookpit relay`: the public side. Every request to `/c/{channel}/…` is stored with a sequence
//! number before anything is answered; a connected agent gets it at once and its answer goes
//! back to the sender, otherwise the sender gets `--offline-status` and the request waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::{Request, Response};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, oneshot};

use super::args::RelayArgs;
use super::protocol::{CONNECT_PATH, RelayFrame, RelayedRequest};
use crate::ingest::Reply;
use crate::server::exchange::{Received, receive, respond};
use crate::server::{Body, Conn, error_response, json_response};
use crate::store::model::Headers;
use crate::store::{Enqueued, Store};

/// The sender's side of one proxied answer.
pub type Answer = (u16, Headers, Bytes);

/// Senders waiting for the agent's answer, by sequence number.
pub type Waiters = Arc<Mutex<HashMap<i64, oneshot::Sender<Answer>>>>;

/// A connected agent: how to wake it and who waits for its answers.
pub struct AgentSlot {
    /// Which connection holds the slot (a reconnect replaces it).
    pub conn_id: u64,
    /// Woken whenever a request is queued for the channel.
    pub notify: Arc<Notify>,
    /// Senders waiting for the answer to a sequence number.
    pub waiters: Waiters,
}

/// The relay's shared state (a `Clone` handle around an `Arc`).
#[derive(Clone)]
pub struct Relay {
    /// Queued requests and channels.
    pub store: Store,
    /// The checked flags.
    pub args: Arc<RelayArgs>,
    /// Connected agents by channel.
    pub agents: Arc<Mutex<HashMap<String, AgentSlot>>>,
    /// Cancelled when the relay stops.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Body bytes all public connections hold now, bounded by `--max-in-flight`.
    pub in_flight: crate::in_flight::InFlight,
    /// Counts for `--metrics`.
    pub metrics: Arc<super::metrics::Metrics>,
}

/// sha256 hex, how keys and tokens are kept.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What logs call a channel: 8 hex digits of its id's sha256. The id itself lets anyone post
/// into the channel, so it never reaches a log.
pub fn fingerprint(channel: &str) -> String {
    hash(channel)[..8].to_string()
}

impl Relay {
    /// Completes when the relay starts stopping.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.stopping.clone().cancelled_owned()
    }

    /// The public URL of a channel.
    pub fn public_url(&self, channel: &str) -> String {
        format!("{}/c/{channel}", self.args.public_url.trim_end_matches('/'))
    }

    /// The agent slot's wake-up and waiters for `channel`, if an agent is connected.
    pub(crate) fn slot(&self, channel: &str) -> Option<(Arc<Notify>, Waiters)> {
        let agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        agents
            .get(channel)
            .map(|s| (Arc::clone(&s.notify), Arc::clone(&s.waiters)))
    }
}

/// Handles one request to the relay.
pub async fn handle(relay: Relay, req: Request<Incoming>, conn: Conn) -> Response<Body> {
    let path = req.uri().path().to_string();
    if path == CONNECT_PATH && req.method() == Method::GET {
        return super::session::accept(relay, req);
    }
    if path == "/healthz" && matches!(*req.method(), Method::GET | Method::HEAD) {
        return super::metrics::healthz(&relay).await;
    }
    let Some(rest) = path.strip_prefix("/c/") else {
        return error_response(
            StatusCode::NOT_FOUND,
            "this is a hookpit relay: webhooks go to /c/<channel>/…; the inspector runs on the developer's machine",
        );
    };
    // Webhooks never open a WebSocket; an agent given a channel's public URL as its `--relay`
    // does. The same parser as the handshake itself decides what counts as one.
    if crate::server::ws::handshake(req.method(), req.version(), req.headers()).is_some() {
        return channel_url_is_not_the_relay(&relay);
    }
    let (channel, sub_path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let channel = channel.to_string();
    // A channel an agent holds exists (channels are never deleted), so only a webhook for one
    // without an agent asks the store: a read per webhook costs a pooled connection, and past
    // the pool's idle few a connection opened and its schema parsed.
    if relay.slot(&channel).is_none() {
        match relay.store.relay_channel(&channel).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                relay.metrics.refused("no_channel");
                return error_response(StatusCode::NOT_FOUND, "no such channel");
            }
            Err(e) => return unavailable(&relay, e),
        }
    }
    public(relay, req, conn, channel, sub_path.to_string()).await
}

/// The answer to an agent that dialled a channel's public URL: nothing is stored (it would
/// reach the channel's own agent as a webhook), and the agent learns where the relay is.
fn channel_url_is_not_the_relay(relay: &Relay) -> Response<Body> {
    let mut resp = error_response(
        StatusCode::BAD_REQUEST,
        format!(
            "this is the public URL of a channel, where senders post webhooks, not the relay: start the agent with --relay {}",
            relay.args.public_url.trim_end_matches('/')
        ),
    );
    resp.headers_mut().insert(
        super::advice::CHANNEL_URL_HEADER,
        http::HeaderValue::from_static("1"),
    );
    resp
}

/// A webhook on a public URL: store, then hand to the agent or keep.
async fn public(
    relay: Relay,
    req: Request<Incoming>,
    conn: Conn,
    channel: String,
    sub_path: String,
) -> Response<Body> {
    let max = relay.args.max_body;
    // Held until the answer is built: the body is in memory until then.
    let mut hold = relay.in_flight.hold();
    let received = match receive(
        req,
        &conn,
        max,
        relay.args.header_timeout,
        "the relay's --max-body",
        &mut hold,
    )
    .await
    {
        Ok(r) => r,
        Err(resp) => {
            let reason = super::metrics::sender_refusal(resp.status());
            relay.metrics.refused(reason);
            return resp;
        }
    };
    let Received {
        parts,
        headers,
        body,
    } = received;
    let size = body.len()
        + headers
            .iter()
            .map(|(n, v)| n.len() + v.len())
            .sum::<usize>();
    let request = RelayedRequest {
        seq: 0,
        received_at_ms: chrono::Utc::now().timestamp_millis(),
        method: parts.method.to_string(),
        path: sub_path,
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        remote_addr: Some(conn.remote.to_string()),
        body,
    };
    let slot = relay.slot(&channel);
    let (tx, rx) = oneshot::channel();
    let early = slot.as_ref().map(|(_, waiters)| Arc::clone(waiters));
    let frame = move |seq| {
        // The waiter goes in before the commit makes the request visible to the agent's push
        // loop, which may already be awake for another request: a quick agent's answer could
        // otherwise come back before anyone waits for it, and the sender be told "queued".
        if let Some(waiters) = &early {
            waiters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(seq, tx);
        }
        let mut r = request;
        r.seq = seq;
        serde_json::to_string(&RelayFrame::Request(r)).expect("frames serialize")
    };
    let queued = relay
        .store
        .relay_enqueue(&channel, size, relay.args.max_queued as i64, frame)
        .await;
    let seq = match queued {
        Ok(Enqueued::Stored(seq)) => {
            relay.metrics.received();
            seq
        }
        Ok(Enqueued::Full(bytes)) => {
            relay.metrics.refused("queue_full");
            return error_response(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "this channel already holds {bytes} bytes its agent has not collected; retry later"
                ),
            );
        }
        Err(e) => {
            drop(rx);
            forget_waiter(slot.as_ref());
            return unavailable(&relay, e);
        }
    };
    let offline = StatusCode::from_u16(relay.args.offline_status).unwrap_or(StatusCode::ACCEPTED);
    let queued_answer =
        || json_response(offline, &serde_json::json!({ "queued": true, "seq": seq }));
    let Some((notify, waiters)) = slot else {
        return queued_answer();
    };
    notify.notify_one();
    match tokio::time::timeout(relay.args.wait, rx).await {
        Ok(Ok((status, headers, body))) => respond(agent_reply(status, headers, body)),
        _ => {
            waiters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&seq);
            queued_answer()
        }
    }
}

/// Drops the waiter of a request whose write failed after it was registered (its receiver
/// dropped first), and any other such leftover.
fn forget_waiter(slot: Option<&(Arc<Notify>, Waiters)>) {
    if let Some((_, waiters)) = slot {
        waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, tx| !tx.is_closed());
    }
}

/// Headers of an agent's answer that act on the relay's whole domain, which every channel
/// shares: one channel's agent must not set its cookies, pin it to HTTPS, wipe browsers' data
/// for it, send its clients to another server or redirect its pages.
const DOMAIN_WIDE: [&str; 5] = [
    "set-cookie",
    "strict-transport-security",
    "clear-site-data",
    "alt-svc",
    "refresh",
];

/// The agent's answer as the relay sends it. The relay frames it itself (see `respond`), keeps
/// only final statuses, and drops the [`DOMAIN_WIDE`] headers.
fn agent_reply(status: u16, headers: Headers, body: Bytes) -> Reply {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| (200..600).contains(&s.as_u16()))
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = headers;
    for name in DOMAIN_WIDE {
        headers.remove(name);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn unavailable(relay: &Relay, e: crate::store::StoreError) -> Response<Body> {
    tracing::error!("relay storage error: {e}");
    relay.metrics.refused("store_failed");
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the relay could not store this ({e}); please retry"),
    )
}
