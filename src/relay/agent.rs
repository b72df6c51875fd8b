//! The agent: an inspector started with `--relay URL` holds one WebSocket to the relay, stores
//! every relayed webhook through the normal pipeline, acknowledges it after the commit and sends
//! the answer back. It reconnects with backoff, says so loudly, and keeps its channel.

use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::advice::{self, Diagnosis};
use super::protocol::{
    AgentFrame, CONNECT_PATH, HEARTBEAT, MAX_BACKOFF, MAX_FRAME, RefusalKind, RelayFrame,
    RelayedRequest, SILENCE_LIMIT, VERSION,
};
use crate::app::App;
use crate::ingest::{Arrival, delay, finish, ingest_relayed, settle};
use crate::live::Frame;
use crate::store::model::Source;
use crate::wire::RelayStatus;

/// Most relayed requests stored in one commit.
const MAX_BATCH: usize = 256;

impl Frame for RelayStatus {
    const TYPE: &'static str = "relay.status";
}

/// Changes the relay status the UI sees and publishes it.
fn update(app: &App, change: impl FnOnce(&mut RelayStatus)) {
    let relay = app.config.relay.as_deref().unwrap_or_default();
    app.relay.update(&app.live, relay, change);
}

/// How one connection ended.
enum Ended {
    /// hookpit is stopping.
    Stopped,
    /// The relay said no for good (settings must change); the reason is for the user.
    Refused(String),
    /// The connection failed or went silent.
    Lost(String),
}

/// How a refusal ends the connection: for good only when a change of settings is needed.
fn refused(reason: &str, kind: Option<RefusalKind>) -> Ended {
    match advice::refusal(reason, kind) {
        Diagnosis::Misconfigured(what) => Ended::Refused(what),
        Diagnosis::Transient(what) => Ended::Lost(what),
    }
}

/// Starts the agent when `--relay` is configured.
pub fn spawn(app: &App) {
    let Some(url) = app.config.relay.clone() else {
        return;
    };
    crate::server::tls::install_crypto();
    let app = app.clone();
    // Tracked: it writes relayed webhooks to the store, so a stop waits for it to end.
    app.tasks.clone().spawn(async move {
        let stopped = app.stopped();
        tokio::pin!(stopped);
        let mut backoff = Duration::from_secs(1);
        let mut last_lost: Option<String> = None;
        loop {
            update(&app, |s| s.state = "connecting");
            let (ended, was_connected) = connect(&app, &url).await;
            match ended {
                Ended::Stopped => return,
                Ended::Refused(reason) => {
                    // Said once: the same settings would be refused again, so the agent waits
                    // for a restart with new ones instead of retrying.
                    tracing::error!("RELAY REFUSED this agent: {reason}");
                    update(&app, |s| {
                        s.state = "refused";
                        s.error = Some(reason);
                    });
                    return;
                }
                Ended::Lost(reason) => {
                    // The same failure again is logged quietly: once is enough to read it.
                    if last_lost.as_deref() == Some(reason.as_str()) {
                        tracing::debug!("relay connection lost again: {reason}");
                    } else {
                        tracing::warn!(
                            "relay connection lost: {reason}; reconnecting in {} s",
                            backoff.as_secs()
                        );
                    }
                    last_lost = Some(reason.clone());
                    update(&app, |s| {
                        s.state = "offline";
                        s.error = Some(reason);
                    });
                    // The canary sees at once whether senders' webhooks still get through.
                    app.public.wake();
                }
            }
            if was_connected {
                backoff = Duration::from_secs(1);
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = &mut stopped => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    });
}

/// `http(s)://host/…` → `ws(s)://host/_hookpit/connect`.
fn connect_url(relay: &str) -> String {
    let base = relay.trim_end_matches('/');
    let base = base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))
        .unwrap_or_else(|| base.to_string());
    format!("{base}{CONNECT_PATH}")
}

/// One connection, from hello to its end; also says whether it got as far as a welcome.
async fn connect(app: &App, relay: &str) -> (Ended, bool) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    // A stop never waits on a relay that does not answer: the connect phase (up to the
    // welcome) yields to it; once connected, the session ends on the stop by itself.
    let stopped = app.stopped();
    tokio::pin!(stopped);
    let ws = tokio::select! {
        ws = tokio_tungstenite::connect_async_with_config(connect_url(relay), Some(config), true) => ws,
        _ = &mut stopped => return (Ended::Stopped, false),
    };
    let mut ws = match ws {
        Ok((ws, _)) => ws,
        Err(e) => {
            let ended = match advice::connect_failed(relay, &e) {
                Diagnosis::Misconfigured(what) => Ended::Refused(what),
                Diagnosis::Transient(what) => Ended::Lost(what),
            };
            return (ended, false);
        }
    };
    let (channel_key, secret_key) = (
        format!("relay.channel.{relay}"),
        format!("relay.key.{relay}"),
    );
    let channel = app.store.meta(&channel_key).await.ok().flatten();
    let key = app.store.meta(&secret_key).await.ok().flatten();
    let last_seq = match &channel {
        Some(c) => app.store.relay_last_seq(c).await.unwrap_or(0),
        None => 0,
    };
    let hello = AgentFrame::Hello {
        version: VERSION,
        token: app.config.relay_token.clone(),
        channel: channel.clone().filter(|_| key.is_some()),
        key,
        last_seq,
    };
    let sent = tokio::select! {
        sent = ws.send(frame(&hello)) => sent,
        _ = &mut stopped => return (Ended::Stopped, false),
    };
    if sent.is_err() {
        return (Ended::Lost("the relay closed the connection".into()), false);
    }
    let welcome = tokio::select! {
        welcome = tokio::time::timeout(Duration::from_secs(10), ws.next()) => welcome,
        _ = &mut stopped => return (Ended::Stopped, false),
    };
    let (channel, public_url, backlog) = match welcome {
        Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<RelayFrame>(&t) {
            Ok(RelayFrame::Welcome {
                channel,
                key,
                public_url,
                backlog,
            }) => {
                if let Some(key) = key {
                    let saved = app.store.set_meta(&channel_key, &channel).await;
                    if let Err(e) = saved.and(app.store.set_meta(&secret_key, &key).await) {
                        return (Ended::Lost(format!("cannot save the channel: {e}")), false);
                    }
                }
                (channel, public_url, backlog)
            }
            Ok(RelayFrame::Refused { reason, kind }) => {
                return (refused(&reason, kind), false);
            }
            _ => {
                return (
                    Ended::Lost("the relay did not welcome this agent".into()),
                    false,
                );
            }
        },
        _ => {
            return (
                Ended::Lost("no welcome from the relay within 10 s".into()),
                false,
            );
        }
    };
    tracing::info!("relay connected ({backlog} waiting)");
    crate::out::note(format_args!(
        "relay: webhooks sent to {public_url}/… arrive here"
    ));
    update(app, |s| {
        s.state = "connected";
        s.public_url = Some(public_url.clone());
        s.last_heartbeat = Some(crate::wire::rfc3339_ms(chrono::Utc::now()));
        s.backlog = backlog;
        s.error = None;
    });
    // The canary proves the new connection at once instead of an interval later.
    app.public.wake();
    (session(app, ws, &channel).await, true)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn frame(f: &AgentFrame) -> Message {
    Message::text(serde_json::to_string(f).expect("frames serialize"))
}

async fn session(app: &App, ws: Socket, channel: &str) -> Ended {
    let (mut sink, mut stream) = ws.split();
    let (out, mut outgoing) = mpsc::channel::<AgentFrame>(1024);
    let writer = tokio::spawn(async move {
        while let Some(f) = outgoing.recv().await {
            if sink.feed(frame(&f)).await.is_err() {
                return;
            }
            // Acks and answers already queued go out in the same write.
            while let Ok(f) = outgoing.try_recv() {
                if sink.feed(frame(&f)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    });
    let stopped = app.stopped();
    tokio::pin!(stopped);
    let mut heard = Instant::now();
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let ended = loop {
        tokio::select! {
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None => break Ended::Lost("the relay closed the connection".into()),
                    Some(Err(e)) => break Ended::Lost(format!("connection error: {e}")),
                    Some(Ok(_)) => continue,
                };
                heard = Instant::now();
                match serde_json::from_str::<RelayFrame>(&text) {
                    Ok(RelayFrame::Request(r)) => {
                        // Requests already waiting are stored with this one, in one commit.
                        let mut batch = vec![r];
                        let mut after = None;
                        while batch.len() < MAX_BATCH {
                            let Some(Some(Ok(Message::Text(t)))) = stream.next().now_or_never() else {
                                break;
                            };
                            match serde_json::from_str::<RelayFrame>(&t) {
                                Ok(RelayFrame::Request(r)) => batch.push(r),
                                other => {
                                    after = Some(other);
                                    break;
                                }
                            }
                        }
                        if let Err(reason) = receive(app, channel, batch, &out).await {
                            break Ended::Lost(reason);
                        }
                        match after {
                            Some(Ok(RelayFrame::Heartbeat { backlog })) => update(app, |s| s.backlog = backlog),
                            Some(Ok(RelayFrame::Refused { reason, kind })) => break refused(&reason, kind),
                            Some(_) => break Ended::Lost("the relay sent an unexpected frame".into()),
                            None => {}
                        }
                    }
                    Ok(RelayFrame::Heartbeat { backlog }) => update(app, |s| {
                        s.last_heartbeat = Some(crate::wire::rfc3339_ms(chrono::Utc::now()));
                        s.backlog = backlog;
                    }),
                    Ok(RelayFrame::Refused { reason, kind }) => break refused(&reason, kind),
                    Ok(RelayFrame::Welcome { .. }) | Err(_) => break Ended::Lost("the relay sent an unexpected frame".into()),
                }
            }
            _ = beat.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    break Ended::Lost(format!("the relay was silent for {} s", SILENCE_LIMIT.as_secs()));
                }
                if out.send(AgentFrame::Heartbeat).await.is_err() {
                    break Ended::Lost("the connection's writer stopped".into());
                }
            }
            _ = &mut stopped => break Ended::Stopped,
        }
    };
    drop(out);
    let _ = writer.await;
    ended
}

/// Why a relayed request cannot be taken as it is, if it cannot: its method, target and headers
/// must be what an HTTP request could carry, the path starting with `/`. A hostile or broken relay
/// could otherwise aim the forward at another host (`@host:port/x`).
fn refusal(r: &RelayedRequest) -> Option<String> {
    if http::Method::from_bytes(r.method.as_bytes()).is_err() {
        return Some(format!("{:?} is not an HTTP method", r.method));
    }
    if !r.path.starts_with('/') {
        return Some(format!("the path {:?} does not start with /", r.path));
    }
    let target = format!("{}?{}", r.path, r.query);
    let parsed = target.parse::<http::uri::PathAndQuery>();
    if target.contains('#') || parsed.is_err() {
        return Some(format!("{target:?} is not a valid request target"));
    }
    // As capture does: no header an HTTP parser would refuse, e.g. a value with CR or LF that
    // a later replay or curl export could turn into headers of its own.
    for (name, value) in &r.headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Some(format!("{name:?} is not a header name"));
        }
        if http::HeaderValue::from_bytes(value).is_err() {
            return Some(format!("the value of {name} is not a valid header value"));
        }
    }
    None
}

/// Stores relayed requests (one commit), settles each (in ack mode its first delivery try is on
/// record), acknowledges them, and answers their senders in the background; requests that [`refusal`] turns down are acknowledged and answered 400.
async fn receive(
    app: &App,
    channel: &str,
    batch: Vec<RelayedRequest>,
    out: &mpsc::Sender<AgentFrame>,
) -> Result<(), String> {
    let Some(last) = batch.last().map(|r| r.seq) else {
        return Ok(());
    };
    let mut arrivals = Vec::with_capacity(batch.len());
    let mut refused = Vec::new();
    let mut probes = Vec::new();
    for r in batch {
        let seq = r.seq;
        if let Some(why) = refusal(&r) {
            tracing::warn!(seq, "refused a relayed request: {why}");
            refused.push((seq, why));
            continue;
        }
        // The canary's probe is answered, never stored: acknowledged with the batch.
        if let Some(reply) = crate::ingest::canary::probe(app, &r.headers).await {
            probes.push((seq, reply));
            continue;
        }
        let arrival = Arrival {
            received_at: chrono::DateTime::from_timestamp_millis(r.received_at_ms)
                .unwrap_or_else(|| app.clock.now()),
            method: r.method,
            path: r.path,
            query: r.query,
            headers: r.headers,
            body: r.body,
            remote_addr: r.remote_addr,
            source: Source::Relay,
        };
        arrivals.push((arrival, seq));
    }
    let seqs: Vec<i64> = arrivals.iter().map(|(_, seq)| *seq).collect();
    // Not acknowledged when they cannot be stored: the relay keeps them and sends them again.
    let stored = if arrivals.is_empty() {
        Vec::new()
    } else {
        ingest_relayed(app, arrivals, channel)
            .await
            .map_err(|e| format!("cannot store requests up to {last}: {e}"))?
    };
    let taken = (seqs.len() + refused.len() + probes.len()) as u64;
    // Settled before the relay hears they are safe: once acknowledged, the relay forgets them,
    // so an ack-mode delivery must already have the attempt a restart resumes from.
    let mut settled = Vec::with_capacity(stored.len());
    for (seq, ingested) in seqs.into_iter().zip(stored) {
        if let Some(ingested) = ingested {
            let decided = settle(app, &ingested).await;
            settled.push((seq, ingested, decided));
        }
    }
    // Refused requests are acknowledged too: sent again, they would be refused again.
    out.send(AgentFrame::Ack { seq: last })
        .await
        .map_err(|_| "the connection's writer stopped".to_string())?;
    for (seq, reply) in probes {
        let _ = out
            .send(AgentFrame::Response {
                seq,
                status: reply.status.as_u16(),
                headers: reply.headers,
                body: reply.body,
            })
            .await;
    }
    for (seq, why) in refused {
        let body = serde_json::json!({ "error": format!("refused by the hookpit agent: {why}") });
        let _ = out
            .send(AgentFrame::Response {
                seq,
                status: 400,
                headers: crate::headers::Headers::from(vec![(
                    "content-type".to_string(),
                    b"application/json".to_vec(),
                )]),
                body: body.to_string().into(),
            })
            .await;
    }
    // The relay's count arrives with its next heartbeat; meanwhile count the backlog down here,
    // so the UI sees it drain (only while there is one, to keep the stream quiet).
    if app.relay.get().is_some_and(|s| s.backlog > 0) {
        update(app, |s| s.backlog = s.backlog.saturating_sub(taken));
    }
    for (seq, ingested, decided) in settled {
        let (tracked, out) = (app.clone(), out.clone());
        // Tracked: proxying records an attempt, so a stop waits for it.
        app.tasks.spawn(async move {
            let app = tracked;
            delay(&app, &ingested).await;
            let answer = finish(&app, &ingested, decided).await;
            let reply = answer.reply(ingested.summary.id);
            let _ = out
                .send(AgentFrame::Response {
                    seq,
                    status: reply.status.as_u16(),
                    headers: reply.headers,
                    body: reply.body,
                })
                .await;
        });
    }
    Ok(())
}
