//! The relay lets no one in: missing or wrong channel keys and tokens, guessed channel ids,
//! malformed hellos, oversized frames and a flood into one channel are each refused with a
//! clear error, and a full channel refuses the newest request (507) while keeping the oldest.

mod common;

use common::stub::eventually;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn hello(token: Option<&str>, channel: Option<&str>, key: Option<&str>) -> String {
    serde_json::json!({
        "type": "hello", "version": 1, "token": token, "channel": channel, "key": key, "last_seq": 0
    })
    .to_string()
}

async fn ws(relay: &TestRelay) -> Ws {
    let url = format!("ws://{}/_hookpit/connect", relay.addr);
    tokio_tungstenite::connect_async(&url)
        .await
        .expect("connects")
        .0
}

/// The relay's first frame as JSON.
async fn reply(ws: &mut Ws) -> serde_json::Value {
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
        .await
        .expect("a reply in time");
    let Some(Ok(Message::Text(t))) = next else {
        panic!("no reply: {next:?}")
    };
    serde_json::from_str(&t).expect("json")
}

/// Sends `first` as the first frame and expects a refusal containing `why`.
async fn refused(relay: &TestRelay, first: Message, why: &str) {
    let mut ws = ws(relay).await;
    ws.send(first).await.expect("sent");
    let r = reply(&mut ws).await;
    assert_eq!(r["type"], "refused", "{r}");
    let reason = r["reason"].as_str().expect("reason");
    assert!(reason.contains(why), "{why:?} not in {reason:?}");
}

/// Creates a channel with the token through a bare WebSocket; returns (channel, key, socket).
async fn new_channel(relay: &TestRelay) -> (String, String, Ws) {
    let mut ws = ws(relay).await;
    ws.send(Message::text(hello(Some("relay-token"), None, None)))
        .await
        .expect("hello");
    let w = reply(&mut ws).await;
    assert_eq!(w["type"], "welcome", "{w}");
    (
        w["channel"].as_str().expect("channel").to_string(),
        w["key"].as_str().expect("key").to_string(),
        ws,
    )
}

async fn post(relay: &TestRelay, path: &str, body: &[u8]) -> RawResponse {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        relay.addr,
        body.len()
    );
    raw(relay.addr, head.as_bytes(), body).await
}

#[tokio::test]
async fn hellos_without_the_right_key_or_token_are_refused_clearly() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let (channel, key, _held) = new_channel(&relay).await;
    let other_key = "0".repeat(64);
    let cases = [
        (
            hello(None, Some(&channel), Some(&other_key)),
            "wrong channel or key",
        ),
        (hello(None, Some(&channel), None), "may not create channels"),
        (hello(None, None, None), "may not create channels"),
        (hello(Some(""), None, None), "may not create channels"),
        (
            hello(Some("relay-token-"), None, None),
            "may not create channels",
        ),
        (
            hello(Some("relay-toke"), None, None),
            "may not create channels",
        ),
        (
            hello(None, Some("0123456789abcdef0123456789abcdef"), Some(&key)),
            "wrong channel or key",
        ),
        (
            hello(None, Some(&channel.to_uppercase()), Some(&key)),
            "wrong channel or key",
        ),
        (hello(None, Some(&"a".repeat(200)), Some(&key)), "too long"),
        (
            hello(None, Some(&channel), Some(&"k".repeat(200))),
            "too long",
        ),
        (
            hello(None, Some(&channel), Some(&key)),
            "another agent is connected",
        ),
        (
            serde_json::json!({"type":"hello","version":2,"token":"relay-token","last_seq":0})
                .to_string(),
            "protocol version 2 is not supported",
        ),
        (
            r#"{"type":"ack","seq":1}"#.to_string(),
            "expected a hello frame",
        ),
        ("not json".to_string(), "bad hello"),
        (r#"{"type":"hello"}"#.to_string(), "bad hello"),
    ];
    for (frame, why) in cases {
        refused(&relay, Message::text(frame), why).await;
    }
    refused(
        &relay,
        Message::binary(vec![1, 2, 3]),
        "expected a hello frame",
    )
    .await;
    t_free(&relay, &channel, &key, _held).await;
    relay.stop().await;
}

/// Once the holder of a channel leaves, its key lets it back in (the slot was freed).
async fn t_free(relay: &TestRelay, channel: &str, key: &str, held: Ws) {
    drop(held);
    eventually("the channel to be free again", || async {
        let mut ws = ws(relay).await;
        ws.send(Message::text(hello(None, Some(channel), Some(key))))
            .await
            .ok()?;
        (reply(&mut ws).await["type"] == "welcome").then_some(())
    })
    .await;
}

#[tokio::test]
async fn guessed_channel_ids_find_nothing_and_the_relay_serves_nothing_else() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let (channel, _key, _held) = new_channel(&relay).await;
    assert_eq!(channel.len(), 32, "128-bit ids, hex");
    let guesses = [
        "0123456789abcdef0123456789abcdef".to_string(),
        channel[..31].to_string(),
        format!("{channel}0"),
        channel.to_uppercase(),
        String::new(),
        "..".into(),
        "%2e%2e".into(),
        format!("{channel}%00"),
    ];
    let mut answers = Vec::new();
    for g in &guesses {
        let r = post(&relay, &format!("/c/{g}/x"), b"{}").await;
        assert_eq!(r.status, 404, "/c/{g}/x");
        answers.push(String::from_utf8_lossy(&r.body).into_owned());
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "every wrong guess gets the same answer: {answers:?}"
    );
    for path in [
        "/",
        "/api/events",
        "/api/status",
        "/api/keys",
        "/c",
        "/_hookpit/connect",
    ] {
        let r = post(&relay, path, b"{}").await;
        assert_eq!(r.status, 404, "{path}: the relay is not the inspector");
    }
    // Plain GET of the agent endpoint without an upgrade is not a way in either.
    let head = format!("GET /_hookpit/connect HTTP/1.1\r\nHost: {}\r\n", relay.addr);
    let r = raw(relay.addr, head.as_bytes(), b"").await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    relay.stop().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_only_that_connection() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let (channel, key, mut held) = new_channel(&relay).await;
    let limit = hookpit::relay::protocol::MAX_FRAME;
    let big = "x".repeat(limit + 1024);
    let _ = held.send(Message::text(big)).await;
    // The relay drops the connection (a close frame or a reset), not the process.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            match held.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection was closed");
    // The same before any hello.
    let mut pre = ws(&relay).await;
    let _ = pre.send(Message::text("y".repeat(limit + 1))).await;
    let r = tokio::time::timeout(std::time::Duration::from_secs(20), pre.next())
        .await
        .expect("an answer in time");
    match r {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {}
        Some(Ok(Message::Text(t))) => assert!(t.contains("\"refused\""), "{t}"),
        other => panic!("no welcome after an oversized hello: {other:?}"),
    }
    // The relay still serves: the channel's key gets back in, webhooks still queue.
    t_free(&relay, &channel, &key, held).await;
    let r = post(&relay, &format!("/c/{channel}/after"), b"{}").await;
    assert!(r.status == 200 || r.status == 202, "{}", r.status);
    relay.stop().await;
}

#[tokio::test]
async fn a_flooded_channel_keeps_the_oldest_and_refuses_the_newest_with_507() {
    let dir = tempfile::tempdir().expect("temp dir");
    let agent_db = dir.path().join("agent.db");
    let agent_db = agent_db.to_str().expect("utf-8");
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &["--max-queued", "20000"]).await;
    let url = relay.url();
    let flags = [
        "--db",
        agent_db,
        "--relay",
        &url,
        "--relay-token",
        "relay-token",
    ];
    let t = spawn_app(&flags).await;
    let public = eventually("the agent to connect", || async {
        let s = get_json(&t, "/api/status").await;
        (s["relay"]["state"] == "connected")
            .then(|| s["relay"]["public_url"].as_str().expect("url").to_string())
    })
    .await;
    t.stop().await;
    let path = format!("/c/{}", public.split_once("/c/").expect("channel").1);

    // The agent is away: 1 KiB webhooks queue until the channel holds 20,000 bytes.
    let (mut kept, mut refused) = (Vec::new(), 0);
    for n in 0..40 {
        let body = format!("{{\"n\":{n},\"pad\":\"{}\"}}", "z".repeat(1000));
        let r = post(&relay, &format!("{path}/flood"), body.as_bytes()).await;
        match r.status {
            202 => {
                assert!(refused == 0, "nothing is accepted after the first refusal");
                kept.push(n);
            }
            507 => {
                refused += 1;
                let why = r.json()["error"].as_str().expect("reason").to_string();
                assert!(why.contains("retry later"), "{why}");
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&r.body)),
        }
    }
    assert!(
        kept.len() >= 10 && refused >= 10,
        "{} kept, {refused} refused",
        kept.len()
    );

    // The agent comes back: it gets exactly the kept (oldest) ones, in order, and the channel
    // takes webhooks again.
    let t = spawn_app(&flags).await;
    let events = eventually("the backlog", || async {
        let page = get_json(&t, "/api/events?source=relay&limit=500").await;
        let events = page["events"].as_array().expect("events").clone();
        (events.len() >= kept.len()).then_some(events)
    })
    .await;
    let mut ns = Vec::new();
    for e in events.iter().rev() {
        let d = get_json(&t, &format!("/api/events/{}", e["id"])).await;
        let body: serde_json::Value =
            serde_json::from_str(d["body"]["data"].as_str().expect("text")).expect("json");
        ns.push(body["n"].as_i64().expect("n"));
    }
    assert_eq!(ns, kept, "the oldest were kept, in order, once each");
    // Once the agent's acks are recorded the channel takes webhooks again.
    eventually("the channel to take webhooks again", || async {
        let r = post(&relay, &format!("{path}/again"), b"{}").await;
        (r.status == 200).then_some(())
    })
    .await;
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn an_agent_with_a_wrong_token_says_refused_and_why() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let t = spawn_app(&["--relay", &relay.url(), "--relay-token", "not-the-token"]).await;
    let error = eventually("the agent to be refused", || async {
        let s = get_json(&t, "/api/status").await;
        (s["relay"]["state"] == "refused")
            .then(|| s["relay"]["error"].as_str().unwrap_or_default().to_string())
    })
    .await;
    assert!(error.contains("may not create channels"), "{error}");
    let status = get_json(&t, "/api/status").await.to_string();
    assert!(
        !status.contains("not-the-token"),
        "the token is not shown: {status}"
    );
    t.stop().await;
    relay.stop().await;
}

/// A hostile (or intercepted) relay cannot aim the agent's forward at another host, nor send a
/// dot-segment path through to the app: a path without a leading `/` is refused with 400 and
/// not stored; `/../../x` reaches the app as `/x`.
#[tokio::test]
async fn a_hostile_relay_cannot_aim_the_agent_at_another_host() {
    let app = common::stub::Stub::start(None, &[]).await;
    let other = common::stub::Stub::start(None, &[]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let relay_url = format!("http://{}", listener.local_addr().expect("addr"));
    let forward = format!("http://{}", app.addr);
    let t = spawn_app(&[
        "--relay",
        &relay_url,
        "--relay-token",
        "tok",
        "--forward",
        &forward,
    ])
    .await;
    let (stream, _) = listener.accept().await.expect("the agent connects");
    let mut ws = tokio_tungstenite::accept_async(stream)
        .await
        .expect("handshake");
    let hello = ws.next().await;
    assert!(matches!(hello, Some(Ok(Message::Text(_)))), "{hello:?}");
    let welcome = serde_json::json!({
        "type": "welcome", "channel": "c", "key": "k", "public_url": "http://relay/c/c", "backlog": 0
    });
    ws.send(Message::text(welcome.to_string()))
        .await
        .expect("welcome");
    let paths = [
        format!("@{}/x", other.addr),
        "/../../x".to_string(),
        "/ok".to_string(),
    ];
    for (i, path) in paths.iter().enumerate() {
        let request = serde_json::json!({
            "type": "request", "seq": i + 1, "received_at_ms": 0, "method": "POST",
            "path": path, "query": "", "headers": [], "remote_addr": null, "body": "e30="
        });
        ws.send(Message::text(request.to_string()))
            .await
            .expect("request");
    }
    // A header value with CR LF, which capture's parser would refuse: refused here too.
    let split = serde_json::json!({
        "type": "request", "seq": 4, "received_at_ms": 0, "method": "POST", "path": "/split",
        "query": "", "headers": [["X-Evil", "YQ0KWC1JbmplY3RlZDogMQ=="]], "remote_addr": null,
        "body": "e30="
    });
    ws.send(Message::text(split.to_string()))
        .await
        .expect("request");
    let mut answers = std::collections::BTreeMap::new();
    while answers.len() < paths.len() + 1 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("the agent answers in time");
        let Some(Ok(Message::Text(text))) = next else {
            panic!("agent closed: {next:?}")
        };
        let frame: serde_json::Value = serde_json::from_str(&text).expect("json");
        if frame["type"] == "response" {
            answers.insert(frame["seq"].as_i64().expect("seq"), frame["status"].clone());
        }
    }
    assert_eq!(answers[&1], 400, "a path without a leading / is refused");
    assert_eq!((&answers[&2], &answers[&3]), (&200.into(), &200.into()));
    assert_eq!(answers[&4], 400, "a header value with CR LF is refused");
    assert!(
        other.hits().is_empty(),
        "the agent delivered to another host"
    );
    let mut reached: Vec<String> = app
        .hits()
        .iter()
        .map(|h| h.path_and_query.clone())
        .collect();
    reached.sort();
    assert_eq!(reached, ["/ok", "/x"], "no dot-segments reach the app");
    let stored = get_json(&t, "/api/events").await;
    let stored: Vec<&str> = stored["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(
        !stored.iter().any(|p| p.contains('@') || *p == "/split"),
        "refused, not stored: {stored:?}"
    );
    t.stop().await;
}

/// A channel id lets anyone post into the channel: the relay's log names channels by a short
/// fingerprint, never by id.
#[tokio::test]
async fn the_relay_log_never_holds_a_channel_id() {
    use common::child::{free_addr, start_relay};
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = free_addr();
    let relay = start_relay(
        dir.path(),
        addr,
        &dir.path().join("relay.db"),
        &[],
        "relay.log",
    )
    .await;
    let url = format!("ws://{addr}/_hookpit/connect");
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connects");
    ws.send(Message::text(hello(Some("relay-token"), None, None)))
        .await
        .expect("hello");
    let w = reply(&mut ws).await;
    let channel = w["channel"].as_str().expect("channel").to_string();
    ws.close(None).await.expect("close");
    let log = eventually("the relay to log the agent leaving", || async {
        let log = relay.stderr();
        log.contains("agent disconnected").then_some(log)
    })
    .await;
    assert!(
        !log.contains(&channel),
        "the channel id is in the log:\n{log}"
    );
    let fp = hookpit::relay::server::fingerprint(&channel);
    assert!(
        log.contains(&fp),
        "channels are named by fingerprint: {log}"
    );
}

/// The next relay frame of type `kind`, skipping heartbeats.
async fn next_of(ws: &mut Ws, kind: &str) -> serde_json::Value {
    loop {
        let frame = reply(ws).await;
        if frame["type"] == kind {
            return frame;
        }
        assert_eq!(frame["type"], "heartbeat", "{frame}");
    }
}

/// An agent's answer cannot frame the relay's response: with `Content-Length: 0` and a body that
/// holds a whole HTTP response, plus `Connection`, `Keep-Alive` and a `Set-Cookie` for the
/// relay's domain, the relay still frames the body itself, drops those headers, and the next
/// pipelined request on the same connection gets its own answer, not the injected one.
#[tokio::test]
async fn a_hostile_agent_cannot_split_the_relays_responses() {
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let (channel, _key, mut agent) = new_channel(&relay).await;

    let mut sender = tokio::net::TcpStream::connect(relay.addr)
        .await
        .expect("connect");
    let one = format!(
        "POST /c/{channel}/one HTTP/1.1\r\nHost: {}\r\nContent-Length: 2\r\n\r\n{{}}",
        relay.addr
    );
    let two = format!(
        "POST /c/{channel}/two HTTP/1.1\r\nHost: {}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        relay.addr
    );
    sender
        .write_all(format!("{one}{two}").as_bytes())
        .await
        .expect("pipelined requests");

    let injected = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ninjected";
    for _ in 0..2 {
        let request = next_of(&mut agent, "request").await;
        let answer = if request["path"] == "/one" {
            serde_json::json!({
                "type": "response", "seq": request["seq"], "status": 200,
                "headers": [
                    ["Content-Length", b64(b"0")],
                    ["Connection", b64(b"keep-alive")],
                    ["Keep-Alive", b64(b"timeout=600")],
                    ["Set-Cookie", b64(b"relay_session=stolen; Path=/")],
                    ["Strict-Transport-Security", b64(b"max-age=63072000; includeSubDomains")],
                    ["Clear-Site-Data", b64(b"\"*\"")],
                    ["Alt-Svc", b64(b"h2=\"evil.example:443\"")],
                    ["Refresh", b64(b"0; url=https://evil.example/")],
                    ["X-Kept", b64(b"yes")],
                ],
                "body": b64(injected.as_bytes()),
            })
        } else {
            serde_json::json!({
                "type": "response", "seq": request["seq"], "status": 201,
                "headers": [], "body": b64(b"two"),
            })
        };
        agent
            .send(Message::text(answer.to_string()))
            .await
            .expect("answer");
    }

    let mut wire = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sender.read_to_end(&mut wire),
    )
    .await
    .expect("the relay closes after the second answer")
    .expect("read");
    let first = try_parse_response(&wire).expect("a first response");
    let len: usize = first
        .header("content-length")
        .expect("the relay frames the body")
        .parse()
        .expect("a number");
    assert_eq!(
        len,
        injected.len(),
        "the body's own length, not the agent's"
    );
    assert_eq!(&first.body[..len], injected.as_bytes());
    assert_eq!(first.header("x-kept"), Some("yes"), "ordinary headers pass");
    for dropped in [
        "set-cookie",
        "keep-alive",
        "transfer-encoding",
        "strict-transport-security",
        "clear-site-data",
        "alt-svc",
        "refresh",
    ] {
        assert_eq!(first.header(dropped), None, "{dropped} from the agent");
    }
    assert_ne!(first.header("connection"), Some("keep-alive"));
    let second = try_parse_response(&first.body[len..]).expect("a second response");
    assert_eq!(second.status, 201, "the second request gets its own answer");
    assert_eq!(second.body, b"two");
    drop(agent);
    relay.stop().await;
}

/// Only a real WebSocket handshake on a channel's URL is taken for a misdirected agent: a
/// webhook whose `Upgrade` header merely mentions websocket is relayed like any other.
#[tokio::test]
async fn a_webhook_mentioning_websocket_in_upgrade_is_relayed() {
    use base64::Engine;
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let (channel, _key, mut agent) = new_channel(&relay).await;
    let head = format!(
        "POST /c/{channel}/up HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nContent-Length: 2\r\n",
        relay.addr
    );
    let addr = relay.addr;
    let sender = tokio::spawn(async move { raw(addr, head.as_bytes(), b"{}").await });
    let request = next_of(&mut agent, "request").await;
    assert_eq!(request["path"], "/up");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let answer = serde_json::json!({
        "type": "response", "seq": request["seq"], "status": 200, "headers": [], "body": b64(b"ok"),
    });
    agent
        .send(Message::text(answer.to_string()))
        .await
        .expect("answer");
    let r = sender.await.expect("sender");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    drop(agent);
    relay.stop().await;
}

/// The relay's public side bounds the body bytes all its connections hold at once too: with one
/// upload held open at `--max-in-flight`, the next sender gets 503 with `Retry-After`.
#[tokio::test]
async fn the_relay_bounds_bodies_held_open_together() {
    let relay = spawn_relay(
        "127.0.0.1:0",
        ":memory:",
        &[
            "--max-body",
            "100000",
            "--max-in-flight",
            "100000",
            "--wait",
            "0s",
        ],
    )
    .await;
    let (channel, _key, _agent) = new_channel(&relay).await;
    let path = format!("/c/{channel}/hook");
    let mut held = tokio::net::TcpStream::connect(relay.addr)
        .await
        .expect("connect");
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    tokio::io::AsyncWriteExt::write_all(&mut held, head.as_bytes())
        .await
        .expect("head");
    tokio::io::AsyncWriteExt::write_all(&mut held, &[b'a'; 99_999])
        .await
        .expect("most of the body");
    let refused = eventually(
        "a sender to be refused while the upload is held",
        || async {
            let r = post(&relay, &path, &[b'b'; 100_000]).await;
            (r.status == 503).then_some(r)
        },
    )
    .await;
    assert_eq!(refused.header("retry-after"), Some("1"));
    drop(held);
    let r = eventually("the held bytes to be freed", || async {
        let r = post(&relay, &path, &[b'b'; 1000]).await;
        (r.status != 503).then_some(r)
    })
    .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    relay.stop().await;
}
