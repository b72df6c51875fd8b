//! One agent's connection once it is let in: the channel's requests go out in order, at most
//! [`WINDOW`] ahead of the agent's acks; acks (folded into one store write per turn), answers
//! and heartbeats come back.

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::protocol::{
    AgentFrame, BACKLOG_BATCH, HEARTBEAT, MAX_FRAME, RelayFrame, SILENCE_LIMIT, WINDOW,
};
use super::server::{Relay, Waiters};
use super::session::{Io, text};

/// Writes the agent's acknowledgements, newest first: acks that arrive while one is being
/// committed are folded into the next write (an ack covers every sequence up to it), so a
/// channel pays one commit per turn of the store, not one per ack. Returns once `latest` is
/// dropped and its last value is written.
async fn record_acks(relay: Relay, channel: String, mut latest: watch::Receiver<i64>) {
    let mut written = 0;
    loop {
        let seq = *latest.borrow_and_update();
        if seq > written {
            match relay.store.relay_ack(&channel, seq).await {
                Ok(acknowledged) => {
                    written = seq;
                    relay.metrics.delivered(acknowledged);
                }
                Err(e) => tracing::error!("relay cannot record an ack: {e}"),
            }
        }
        if latest.changed().await.is_err() {
            let seq = *latest.borrow();
            if seq > written {
                match relay.store.relay_ack(&channel, seq).await {
                    Ok(acknowledged) => relay.metrics.delivered(acknowledged),
                    Err(e) => tracing::error!("relay cannot record an ack: {e}"),
                }
            }
            return;
        }
    }
}

/// Sends the channel's requests in order from `last_seq` (what the agent says it has stored),
/// at most [`WINDOW`] ahead of its acknowledgements, and passes acks and answers on.
pub(super) async fn serve<S: Io>(
    relay: &Relay,
    ws: &mut WebSocketStream<S>,
    channel: &str,
    last_seq: i64,
    notify: &Notify,
    waiters: &Waiters,
) {
    // What the agent has stored counts as acknowledged: requests it stored before its last
    // connection dropped, unacknowledged, are not left queued here.
    let (ack_tx, ack_rx) = watch::channel(last_seq);
    let acks = tokio::spawn(record_acks(relay.clone(), channel.to_string(), ack_rx));
    push(relay, ws, channel, last_seq, &ack_tx, notify, waiters).await;
    drop(ack_tx);
    let _ = acks.await;
}

/// The session's loop: requests out, acks and answers in, heartbeats both ways.
async fn push<S: Io>(
    relay: &Relay,
    ws: &mut WebSocketStream<S>,
    channel: &str,
    last_seq: i64,
    ack_tx: &watch::Sender<i64>,
    notify: &Notify,
    waiters: &Waiters,
) {
    // Sent up to `cursor`; acknowledged up to `acked`.
    let (mut cursor, mut acked) = (last_seq, last_seq);
    let mut heard = Instant::now();
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let stopped = relay.stopped();
    tokio::pin!(stopped);
    // Send the backlog first: the notify permit makes the first turn read the store.
    notify.notify_one();
    loop {
        tokio::select! {
            // A full window waits for acks; the permit a new request leaves meanwhile is kept.
            _ = notify.notified(), if cursor - acked < WINDOW => loop {
                let room = (WINDOW - (cursor - acked)).min(i64::from(BACKLOG_BATCH));
                let batch = match relay.store.relay_after(channel, cursor, room as u32).await {
                    Ok(b) => b,
                    Err(e) => { tracing::error!("relay cannot read its queue: {e}"); return; }
                };
                let full = batch.len() as i64 == room;
                for (seq, frame) in batch {
                    // Stored by a relay whose --max-body was too large for a frame: the agent
                    // would refuse it and reconnect forever, holding back everything after it.
                    if frame.len() > MAX_FRAME {
                        tracing::warn!(
                            channel = %super::server::fingerprint(channel),
                            seq, bytes = frame.len(),
                            "a queued request is larger than a relay frame; dropped so the rest can flow"
                        );
                        if let Err(e) = relay.store.relay_drop(channel, seq).await {
                            tracing::error!("relay cannot drop an oversized request: {e}");
                            return;
                        }
                        cursor = seq;
                        continue;
                    }
                    if ws.feed(Message::text(frame)).await.is_err() {
                        return;
                    }
                    cursor = seq;
                }
                // One write for the whole batch, not one per request.
                if ws.flush().await.is_err() {
                    return;
                }
                if !full || cursor - acked >= WINDOW { break; }
            },
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                heard = Instant::now();
                match serde_json::from_str::<AgentFrame>(&text) {
                    Ok(AgentFrame::Ack { seq }) => {
                        // Never past what was sent: an agent cannot acknowledge what it never got.
                        let seq = seq.min(cursor);
                        if seq > acked {
                            let was_full = cursor - acked >= WINDOW;
                            acked = seq;
                            // Recorded off the loop, so requests and answers keep flowing while
                            // it commits.
                            ack_tx.send_replace(seq);
                            if was_full {
                                notify.notify_one();
                            }
                        }
                    }
                    Ok(AgentFrame::Response { seq, status, headers, body }) => {
                        let waiter = waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(&seq);
                        if let Some(tx) = waiter {
                            let _ = tx.send((status, headers, body));
                        }
                    }
                    Ok(AgentFrame::Heartbeat) => {}
                    Ok(AgentFrame::Hello { .. }) | Err(_) => {
                        tracing::warn!(channel = %super::server::fingerprint(channel), "unexpected frame from agent; closing");
                        return;
                    }
                }
            }
            _ = &mut stopped => {
                let _ = ws.close(None).await;
                return;
            }
            _ = beat.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    tracing::warn!(channel = %super::server::fingerprint(channel), "agent silent for {} s; dropping it", SILENCE_LIMIT.as_secs());
                    return;
                }
                let backlog = relay.store.relay_backlog(channel).await.unwrap_or(0);
                if ws.send(text(&RelayFrame::Heartbeat { backlog })).await.is_err() {
                    return;
                }
            }
        }
    }
}
