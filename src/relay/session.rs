//! One agent's WebSocket on the relay: the hello (claim a channel with its key, or create one
//! with a token), then the backlog in order followed by live requests, acks, answers and
//! heartbeats, until the agent leaves or falls silent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::{Request, Response};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::protocol::{AgentFrame, MAX_FRAME, MAX_ID_LEN, RefusalKind, RelayFrame, VERSION};
use super::server::{AgentSlot, Relay, Waiters, hash};
use crate::server::Body;
use crate::server::ws::accept as accept_ws;
use crate::store::RelayChannel;
use tokio_tungstenite::WebSocketStream;

/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

static CONNECTIONS: AtomicU64 = AtomicU64::new(1);

/// What a session can run over: an upgraded TCP connection, or a `duplex` in tests.
pub(crate) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// How much an agent's connection reads at a time. tungstenite's default (128 KiB) is filled
/// in full for every connection, idle or not: with 1,000 agents that was most of the relay's
/// memory. Larger frames still arrive whole; the buffer grows while one is read.
const READ_BUFFER: usize = 8 * 1024;

/// Answers the agent's upgrade.
pub fn accept(relay: Relay, req: Request<Incoming>) -> Response<Body> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME))
        .read_buffer_size(READ_BUFFER);
    accept_ws(
        req,
        config,
        "this is the hookpit relay's agent endpoint",
        move |ws| session(relay, ws),
    )
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub(super) fn text(frame: &RelayFrame) -> Message {
    Message::text(serde_json::to_string(frame).expect("frames serialize"))
}

/// Why an agent is not let in, and whether trying again can help.
type Refusal = (RefusalKind, String);

fn setup(reason: impl Into<String>) -> Refusal {
    (RefusalKind::Setup, reason.into())
}

fn unavailable(e: impl std::fmt::Display) -> Refusal {
    (
        RefusalKind::Unavailable,
        format!("the relay's storage failed: {e}"),
    )
}

async fn refuse<S: Io>(ws: &mut WebSocketStream<S>, (kind, reason): Refusal) {
    tracing::warn!("agent refused: {reason}");
    let _ = ws
        .send(text(&RelayFrame::Refused {
            reason,
            kind: Some(kind),
        }))
        .await;
    let _ = ws.close(None).await;
}

/// Reads the hello and decides which channel the agent gets (with its key when new).
async fn hello<S: Io>(
    relay: &Relay,
    ws: &mut WebSocketStream<S>,
) -> Result<(String, Option<String>, i64), Refusal> {
    let first = tokio::time::timeout(HELLO_TIMEOUT, ws.next())
        .await
        .map_err(|_| setup("no hello within 10 s"))?;
    let Some(Ok(Message::Text(t))) = first else {
        return Err(setup("expected a hello frame"));
    };
    let AgentFrame::Hello {
        version,
        token,
        channel,
        key,
        last_seq,
    } = serde_json::from_str(&t).map_err(|e| setup(format!("bad hello: {e}")))?
    else {
        return Err(setup("expected a hello frame"));
    };
    if version != VERSION {
        return Err(setup(format!(
            "protocol version {version} is not supported (this relay speaks {VERSION})"
        )));
    }
    if let (Some(channel), Some(key)) = (channel, key) {
        if channel.len() > MAX_ID_LEN || key.len() > MAX_ID_LEN {
            return Err(setup("channel or key too long"));
        }
        let stored = relay
            .store
            .relay_channel(&channel)
            .await
            .map_err(unavailable)?;
        let ok =
            stored.is_some_and(|c| bool::from(hash(&key).as_bytes().ct_eq(c.key_hash.as_bytes())));
        return if ok {
            Ok((channel, None, last_seq))
        } else {
            Err(setup("wrong channel or key"))
        };
    }
    let token = token.unwrap_or_default();
    let allowed = relay.args.tokens.iter().fold(false, |hit, t| {
        hit | bool::from(t.as_bytes().ct_eq(token.as_bytes()))
    });
    if token.is_empty() || !allowed {
        return Err(setup("this relay token may not create channels"));
    }
    let token_hash = hash(&token);
    let owned = relay
        .store
        .relay_channels_of(&token_hash)
        .await
        .map_err(unavailable)?;
    if owned >= relay.args.max_channels {
        return Err(setup(format!(
            "this token already has {} (the relay's --max-channels)",
            crate::out::counted(owned, "channel")
        )));
    }
    let (channel, key) = (random_hex(16), random_hex(32));
    relay
        .store
        .relay_create_channel(RelayChannel {
            id: channel.clone(),
            key_hash: hash(&key),
            token_hash,
        })
        .await
        .map_err(unavailable)?;
    Ok((channel, Some(key), 0))
}

/// Runs one agent's connection to its end.
pub(crate) async fn session<S: Io>(relay: Relay, mut ws: WebSocketStream<S>) {
    let (channel, new_key, last_seq) = match hello(&relay, &mut ws).await {
        Ok(v) => v,
        Err(refusal) => {
            relay
                .metrics
                .refused(super::metrics::agent_refusal(refusal.0));
            return refuse(&mut ws, refusal).await;
        }
    };
    let conn_id = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let notify = Arc::new(Notify::new());
    let waiters: Waiters = Arc::default();
    let claimed = {
        let mut agents = relay.agents.lock().unwrap_or_else(|p| p.into_inner());
        let free = !agents.contains_key(&channel);
        if free {
            agents.insert(
                channel.clone(),
                AgentSlot {
                    conn_id,
                    notify: Arc::clone(&notify),
                    waiters: Arc::clone(&waiters),
                },
            );
        }
        free
    };
    if !claimed {
        // Often the agent's own earlier connection, half-open after its machine slept, that
        // the relay gives up within SILENCE_LIMIT: the agent tries again.
        let busy = "another agent is connected to this channel; stop it first";
        relay
            .metrics
            .refused(super::metrics::agent_refusal(RefusalKind::Busy));
        return refuse(&mut ws, (RefusalKind::Busy, busy.into())).await;
    }
    let fp = super::server::fingerprint(&channel);
    tracing::info!(channel = %fp, "agent connected");
    let backlog = relay.store.relay_backlog(&channel).await.unwrap_or(0);
    let welcome = RelayFrame::Welcome {
        channel: channel.clone(),
        key: new_key,
        public_url: relay.public_url(&channel),
        backlog,
    };
    if ws.send(text(&welcome)).await.is_ok() {
        super::push::serve(&relay, &mut ws, &channel, last_seq, &notify, &waiters).await;
    }
    {
        let mut agents = relay.agents.lock().unwrap_or_else(|p| p.into_inner());
        if agents.get(&channel).is_some_and(|s| s.conn_id == conn_id) {
            agents.remove(&channel);
        }
    }
    tracing::info!(channel = %fp, "agent disconnected");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Headers;
    use crate::relay::protocol::{AgentFrame, RelayFrame};
    use crate::store::{Retention, Store};
    use tokio_tungstenite::tungstenite::protocol::Role;

    async fn relay() -> Relay {
        let store = Store::open(
            ":memory:",
            Retention {
                max_events: 0,
                max_age: None,
            },
        )
        .expect("store");
        let args = crate::relay::args::RelayArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            public_url: "https://hooks.example".into(),
            db: None,
            tokens: vec!["tok".into()],
            wait: std::time::Duration::from_secs(1),
            offline_status: 202,
            retention: std::time::Duration::from_secs(60),
            max_body: 1024,
            max_queued: 1 << 20,
            max_in_flight: 1 << 20,
            max_channels: 1,
            header_timeout: std::time::Duration::from_secs(30),
            tls_cert: None,
            tls_key: None,
            metrics: None,
        };
        Relay {
            store,
            in_flight: crate::in_flight::InFlight::new(args.max_in_flight),
            args: Arc::new(args),
            agents: Arc::default(),
            stopping: tokio_util::sync::CancellationToken::new(),
            metrics: Arc::default(),
        }
    }

    async fn pair(relay: &Relay) -> WebSocketStream<tokio::io::DuplexStream> {
        let (a, b) = tokio::io::duplex(1 << 16);
        let server = WebSocketStream::from_raw_socket(a, Role::Server, None).await;
        tokio::spawn(session(relay.clone(), server));
        WebSocketStream::from_raw_socket(b, Role::Client, None).await
    }

    async fn next(ws: &mut WebSocketStream<tokio::io::DuplexStream>) -> RelayFrame {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => serde_json::from_str(&t).expect("relay frame"),
            other => panic!("no frame: {other:?}"),
        }
    }

    fn send(f: &AgentFrame) -> Message {
        Message::text(serde_json::to_string(f).expect("json"))
    }

    /// A request too large for a frame (queued by an earlier, misconfigured relay) is dropped,
    /// and the requests after it still reach the agent.
    #[tokio::test]
    async fn an_oversized_queued_request_does_not_block_the_channel() {
        let relay = relay().await;
        relay
            .store
            .relay_create_channel(RelayChannel {
                id: "chan".into(),
                key_hash: hash("key"),
                token_hash: hash("tok"),
            })
            .await
            .expect("channel");
        // In base64 the first body is just over a frame.
        for body in [vec![b'A'; MAX_FRAME / 4 * 3 + 1], b"{}".to_vec()] {
            let size = body.len();
            relay
                .store
                .relay_enqueue("chan", size, i64::MAX, move |seq| {
                    serde_json::to_string(&RelayFrame::Request(
                        crate::relay::protocol::RelayedRequest {
                            seq,
                            received_at_ms: 0,
                            method: "POST".into(),
                            path: "/".into(),
                            query: String::new(),
                            headers: Headers::from(vec![]),
                            remote_addr: None,
                            body: body.into(),
                        },
                    ))
                    .expect("json")
                })
                .await
                .expect("queued");
        }
        let mut ws = pair(&relay).await;
        let hello = AgentFrame::Hello {
            version: VERSION,
            token: None,
            channel: Some("chan".into()),
            key: Some("key".into()),
            last_seq: 0,
        };
        ws.send(send(&hello)).await.expect("hello");
        assert!(matches!(next(&mut ws).await, RelayFrame::Welcome { .. }));
        let RelayFrame::Request(r) = next(&mut ws).await else {
            panic!("expected a request")
        };
        assert_eq!(
            r.seq, 2,
            "the oversized request was sent, or blocked the next one"
        );
        assert!(
            relay
                .store
                .relay_after("chan", 0, 10)
                .await
                .expect("after")
                .iter()
                .all(|(s, _)| *s == 2),
            "the oversized request is no longer queued"
        );
    }

    #[test]
    fn a_max_body_too_large_for_a_frame_is_refused_at_start() {
        let args = |max_body| crate::relay::args::RelayArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            public_url: "https://hooks.example".into(),
            db: None,
            tokens: vec!["tok".into()],
            wait: std::time::Duration::from_secs(1),
            offline_status: 202,
            retention: std::time::Duration::from_secs(60),
            max_body,
            max_queued: 1 << 20,
            max_in_flight: u64::MAX,
            max_channels: 1,
            header_timeout: std::time::Duration::from_secs(30),
            tls_cert: None,
            tls_key: None,
            metrics: None,
        };
        assert_eq!(args(26_214_400).validate(), Ok(()), "the default fits");
        let err = args(32_000_000)
            .validate()
            .expect_err("32 MB cannot be relayed");
        assert!(
            err.contains("--max-body") && err.contains("at most"),
            "{err}"
        );
        assert!(
            args(crate::relay::protocol::MAX_RELAYED_BODY)
                .validate()
                .is_ok()
        );
        // The largest body allowed, with a whole head of the worst kinds (half a path of
        // characters JSON escapes, half a header value in base64), still fits in one frame.
        let worst = crate::relay::protocol::RelayedRequest {
            seq: i64::MAX,
            received_at_ms: i64::MAX,
            method: "POST".into(),
            path: "\"".repeat(crate::server::MAX_REQUEST_HEAD / 2),
            query: String::new(),
            headers: Headers::from(vec![(
                "x".into(),
                vec![b'A'; crate::server::MAX_REQUEST_HEAD / 2],
            )]),
            remote_addr: Some("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535".into()),
            body: vec![b'A'; crate::relay::protocol::MAX_RELAYED_BODY as usize].into(),
        };
        let frame = serde_json::to_string(&RelayFrame::Request(worst)).expect("json");
        assert!(frame.len() <= MAX_FRAME, "{} > {MAX_FRAME}", frame.len());
    }

    #[tokio::test]
    async fn hello_creates_a_channel_then_the_backlog_arrives_and_acks_clear_it() {
        let relay = relay().await;
        let mut ws = pair(&relay).await;
        let hello = AgentFrame::Hello {
            version: VERSION,
            token: Some("tok".into()),
            channel: None,
            key: None,
            last_seq: 0,
        };
        ws.send(send(&hello)).await.expect("hello");
        let RelayFrame::Welcome {
            channel,
            key: Some(key),
            public_url,
            backlog: 0,
        } = next(&mut ws).await
        else {
            panic!("expected a welcome with a key");
        };
        assert_eq!(public_url, format!("https://hooks.example/c/{channel}"));
        assert!(channel.len() >= 32 && key.len() >= 64, "long random ids");
        // A second channel for the same token is over --max-channels.
        let mut other = pair(&relay).await;
        other.send(send(&hello)).await.expect("hello");
        assert!(
            matches!(next(&mut other).await, RelayFrame::Refused { reason, kind: Some(RefusalKind::Setup) } if reason.contains("--max-channels"))
        );

        let queued = relay
            .store
            .relay_enqueue(&channel, 2, 1 << 20, |seq| {
                serde_json::to_string(&RelayFrame::Request(
                    crate::relay::protocol::RelayedRequest {
                        seq,
                        received_at_ms: 0,
                        method: "POST".into(),
                        path: "/".into(),
                        query: String::new(),
                        headers: Default::default(),
                        remote_addr: None,
                        body: bytes::Bytes::from_static(b"{}"),
                    },
                ))
                .expect("json")
            })
            .await
            .expect("queued");
        assert_eq!(queued, crate::store::Enqueued::Stored(1));
        relay
            .slot(&channel)
            .expect("agent registered")
            .0
            .notify_one();
        let RelayFrame::Request(r) = next(&mut ws).await else {
            panic!("expected the request")
        };
        assert_eq!(r.seq, 1);
        assert_eq!(
            relay.store.relay_backlog(&channel).await.expect("backlog"),
            1
        );
        ws.send(send(&AgentFrame::Ack { seq: 1 }))
            .await
            .expect("ack");
        // The ack is applied by the session task: wait for it, bounded.
        let mut cleared = false;
        for _ in 0..1000 {
            if relay.store.relay_backlog(&channel).await.expect("backlog") == 0 {
                cleared = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(cleared, "the ack did not clear the backlog");
    }
}
