//! The relay's window: it sends an agent at most `WINDOW` requests ahead of its acks, a dropped
//! agent gets every request it did not store again (and none it did), and every sender waiting
//! on a connected agent gets the agent's own answer with many in flight.

mod common;

use common::stub::eventually;
use common::*;
use futures_util::{SinkExt, StreamExt};
use hookpit::relay::protocol::WINDOW;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(relay: &TestRelay) -> Ws {
    let url = format!("ws://{}/_hookpit/connect", relay.addr);
    tokio_tungstenite::connect_async(&url)
        .await
        .expect("connects")
        .0
}

/// The relay's next frame as JSON, or `None` after `wait` of silence.
async fn frame(ws: &mut Ws, wait: Duration) -> Option<serde_json::Value> {
    match tokio::time::timeout(wait, ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => Some(serde_json::from_str(&t).expect("json")),
        Ok(other) => panic!("the connection ended: {other:?}"),
        Err(_) => None,
    }
}

/// Says hello on a new socket; returns it with the welcome.
async fn hello(
    relay: &TestRelay,
    token: Option<&str>,
    channel: Option<&str>,
    key: Option<&str>,
    last_seq: i64,
) -> (Ws, serde_json::Value) {
    let mut ws = ws(relay).await;
    let hello = serde_json::json!({
        "type": "hello", "version": 1, "token": token, "channel": channel, "key": key,
        "last_seq": last_seq,
    });
    ws.send(Message::text(hello.to_string()))
        .await
        .expect("hello");
    let welcome = frame(&mut ws, Duration::from_secs(5))
        .await
        .expect("a welcome");
    (ws, welcome)
}

/// Reconnects with the channel's key once the previous holder's slot is free.
async fn again(relay: &TestRelay, channel: &str, key: &str, last_seq: i64) -> (Ws, u64) {
    eventually("the channel to be free again", || async {
        let (ws, w) = hello(relay, None, Some(channel), Some(key), last_seq).await;
        (w["type"] == "welcome").then(|| (ws, w["backlog"].as_u64().expect("backlog")))
    })
    .await
}

/// Queues `n` webhooks on a channel no agent holds (each answered 202 at once).
async fn queue(relay: &TestRelay, channel: &str, from: usize, n: usize) {
    for i in from..from + n {
        let body = format!("{{\"n\":{i}}}");
        let head = format!(
            "POST /c/{channel}/w HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            relay.addr,
            body.len()
        );
        let r = raw(relay.addr, head.as_bytes(), body.as_bytes()).await;
        assert_eq!(r.status, 202, "queued while no agent is connected");
    }
}

/// Reads request frames until `quiet` passes without one; their sequence numbers.
async fn requests(ws: &mut Ws, quiet: Duration) -> Vec<i64> {
    let mut seqs = Vec::new();
    while let Some(f) = frame(ws, quiet).await {
        if f["type"] == "request" {
            seqs.push(f["seq"].as_i64().expect("seq"));
        }
    }
    seqs
}

async fn ack(ws: &mut Ws, seq: i64) {
    let ack = serde_json::json!({ "type": "ack", "seq": seq });
    ws.send(Message::text(ack.to_string())).await.expect("ack");
}

/// A new channel, left free; returns (channel, key).
async fn channel(relay: &TestRelay) -> (String, String) {
    let (ws, w) = hello(relay, Some("relay-token"), None, None, 0).await;
    assert_eq!(w["type"], "welcome", "{w}");
    drop(ws);
    let channel = w["channel"].as_str().expect("channel").to_string();
    let key = w["key"].as_str().expect("key").to_string();
    // Free once a reconnect is welcomed.
    let (ws, _) = again(relay, &channel, &key, 0).await;
    drop(ws);
    (channel, key)
}

#[tokio::test]
async fn the_relay_sends_a_window_ahead_of_acks_and_more_as_acks_arrive() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let (channel, key) = channel(&relay).await;
    let total = WINDOW as usize + 200;
    queue(&relay, &channel, 1, total).await;

    let (mut ws, backlog) = again(&relay, &channel, &key, 0).await;
    assert_eq!(backlog, total as u64);
    let first = requests(&mut ws, Duration::from_millis(500)).await;
    assert_eq!(
        first,
        (1..=WINDOW).collect::<Vec<_>>(),
        "a full window, in order, and no more before an ack"
    );
    // Acks free room: half the window acknowledged lets the rest come.
    ack(&mut ws, WINDOW / 2).await;
    let rest = requests(&mut ws, Duration::from_millis(500)).await;
    assert_eq!(rest, (WINDOW + 1..=total as i64).collect::<Vec<_>>());
    ack(&mut ws, total as i64).await;
    drop(ws);
    let (ws, backlog) = again(&relay, &channel, &key, total as i64).await;
    assert_eq!(backlog, 0, "every ack was recorded");
    drop(ws);
    relay.stop().await;
}

#[tokio::test]
async fn an_agent_dropped_mid_window_gets_every_unstored_request_again_and_none_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("relay.db");
    let relay = spawn_relay("127.0.0.1:0", db.to_str().expect("utf-8"), &[]).await;
    let (channel, key) = channel(&relay).await;
    queue(&relay, &channel, 1, 300).await;

    // The agent gets all 300 in flight, acknowledges 100 and is gone.
    let (mut ws, _) = again(&relay, &channel, &key, 0).await;
    assert_eq!(
        requests(&mut ws, Duration::from_millis(300)).await,
        (1..=300).collect::<Vec<_>>()
    );
    ack(&mut ws, 100).await;
    drop(ws);
    // It had stored 150 before it dropped (the ack for 101..150 was lost with the
    // connection): it gets exactly 151..300 again, in order.
    let (mut ws, backlog) = again(&relay, &channel, &key, 150).await;
    assert_eq!(backlog, 200, "unacknowledged before the hello");
    assert_eq!(
        requests(&mut ws, Duration::from_millis(300)).await,
        (151..=300).collect::<Vec<_>>()
    );
    // What the agent said it stored counts as acknowledged; nothing else does.
    drop(ws);
    let (mut ws, backlog) = again(&relay, &channel, &key, 150).await;
    assert_eq!(backlog, 150, "the hello's 150 was recorded, not more");
    assert_eq!(
        requests(&mut ws, Duration::from_millis(300)).await,
        (151..=300).collect::<Vec<_>>(),
        "unacknowledged requests are sent again on every reconnect"
    );
    // An ack past the last request queued covers only what was queued.
    ack(&mut ws, 10_000).await;
    drop(ws);
    let (mut ws, backlog) = again(&relay, &channel, &key, 300).await;
    assert_eq!(backlog, 0);
    assert!(
        requests(&mut ws, Duration::from_millis(300))
            .await
            .is_empty()
    );
    drop(ws);
    // The next webhook is sequence 301 and reaches the agent: the ack past the end did not
    // swallow it.
    queue(&relay, &channel, 301, 1).await;
    let (mut ws, backlog) = again(&relay, &channel, &key, 300).await;
    assert_eq!(backlog, 1);
    assert_eq!(
        requests(&mut ws, Duration::from_millis(300)).await,
        vec![301]
    );
    drop(ws);
    relay.stop().await;
}

/// Many senders at once into one channel whose agent answers at once, with up to 32 requests
/// in flight and their acks arriving while more are sent: each sender gets the agent's own
/// answer, never the relay's "queued" after `--wait`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sender_gets_the_agents_answer_with_many_in_flight() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("relay.db");
    let relay = spawn_relay(
        "127.0.0.1:0",
        db.to_str().expect("utf-8"),
        // Long enough that a loaded machine's scheduling is never read as a lost answer.
        &["--wait", "10s"],
    )
    .await;
    let (channel, key) = channel(&relay).await;
    let (ws, _) = again(&relay, &channel, &key, 0).await;
    // The agent: answers and acknowledges every request as it comes.
    let agent = tokio::spawn(async move {
        let (mut sink, mut stream) = ws.split();
        while let Some(Ok(Message::Text(t))) = stream.next().await {
            let f: serde_json::Value = serde_json::from_str(&t).expect("json");
            if f["type"] != "request" {
                continue;
            }
            let seq = f["seq"].as_i64().expect("seq");
            let answer = serde_json::json!({
                "type": "response", "seq": seq, "status": 201, "headers": [], "body": "",
            });
            let ack = serde_json::json!({ "type": "ack", "seq": seq });
            if sink.send(Message::text(answer.to_string())).await.is_err()
                || sink.send(Message::text(ack.to_string())).await.is_err()
            {
                return;
            }
        }
    });
    let addr = relay.addr;
    let path = format!("/c/{channel}/w");
    let senders: Vec<_> = (0..32)
        .map(|s| {
            let path = path.clone();
            tokio::spawn(async move { keep_alive_posts(addr, &path, s, 40).await })
        })
        .collect();
    let mut queued = 0;
    for s in senders {
        for status in s.await.expect("sender") {
            assert!(status == 201 || status == 202, "{status}");
            queued += usize::from(status == 202);
        }
    }
    assert_eq!(
        queued, 0,
        "senders were told 'queued' instead of the agent's answer"
    );
    agent.abort();
    relay.stop().await;
}

/// Posts `n` 2 KiB webhooks one after another on one keep-alive connection; their statuses.
async fn keep_alive_posts(addr: std::net::SocketAddr, path: &str, s: usize, n: usize) -> Vec<u16> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    let mut statuses = Vec::with_capacity(n);
    for i in 0..n {
        let body = format!("{{\"s\":{s},\"i\":{i},\"pad\":\"{}\"}}", "p".repeat(2000));
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .get_mut()
            .write_all(req.as_bytes())
            .await
            .expect("write");
        let mut line = String::new();
        stream.read_line(&mut line).await.expect("status line");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        let mut length = 0;
        loop {
            line.clear();
            stream.read_line(&mut line).await.expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("length");
            }
        }
        let mut answer = vec![0; length];
        stream.read_exact(&mut answer).await.expect("body");
        statuses.push(status);
    }
    statuses
}
