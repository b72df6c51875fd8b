//! The tunnel end to end: a real relay and a real agent on port 0.

mod common;

use common::stub::eventually;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// Waits until the agent says it is connected; returns its public URL.
async fn connected(t: &TestApp) -> String {
    eventually("the agent to connect", || async {
        let status = get_json(t, "/api/status").await;
        let relay = &status["relay"];
        (relay["state"] == "connected").then(|| {
            relay["public_url"]
                .as_str()
                .expect("public url")
                .to_string()
        })
    })
    .await
}

/// POSTs `body` with `headers` to a full URL; returns (status, body).
async fn post_url(url: &str, headers: &[(String, String)], body: &[u8]) -> RawResponse {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: std::net::SocketAddr = host.parse().expect("ip:port");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    raw(addr, head.as_bytes(), body).await
}

async fn relay_events(t: &TestApp) -> Vec<serde_json::Value> {
    let page = get_json(t, "/api/events?source=relay&limit=500").await;
    let mut events = page["events"].as_array().expect("events").clone();
    events.reverse();
    events
}

#[tokio::test]
async fn webhooks_cross_the_relay_byte_exact_and_verified() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let t = spawn_app(&[
        "--secret",
        SECRET,
        "--relay",
        &relay.url(),
        "--relay-token",
        "relay-token",
    ])
    .await;
    let public = connected(&t).await;
    assert!(public.starts_with(&format!("{}/c/", relay.url())));

    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let headers = svix_headers(SECRET, "msg_relay", chrono::Utc::now().timestamp(), &body);
    let r = post_url(&format!("{public}/cyberdesk?x=1"), &headers, &body).await;
    assert_eq!(
        r.status,
        200,
        "the agent's answer comes back: {}",
        String::from_utf8_lossy(&r.body)
    );
    let id = r.json()["id"].as_i64().expect("id from the agent");
    assert_eq!(r.header("hookpit-event-id"), Some(id.to_string().as_str()));

    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["source"], "relay");
    assert_eq!(e["path"], "/cyberdesk");
    assert_eq!(e["query"], "x=1");
    assert_eq!(
        e["body"]["data"].as_str().expect("utf8").as_bytes(),
        body.as_slice()
    );
    assert_eq!(
        e["verification"]["status"], "valid",
        "{}",
        e["verification"]
    );
    assert_eq!(
        e["headers"][1][0], "Content-Length",
        "wire order and case kept"
    );

    // An unknown channel is not a way in.
    let r = post_url(&format!("{}/c/nope/x", relay.url()), &[], b"{}").await;
    assert_eq!(r.status, 404);
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn nothing_is_lost_while_the_agent_is_away_or_the_relay_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay_db = dir.path().join("relay.db");
    let agent_db = dir.path().join("agent.db");
    let (relay_db, agent_db) = (
        relay_db.to_str().expect("utf-8"),
        agent_db.to_str().expect("utf-8"),
    );
    let relay = spawn_relay("127.0.0.1:0", relay_db, &[]).await;
    let relay_url = relay.url();
    let flags = [
        "--db",
        agent_db,
        "--relay",
        &relay_url,
        "--relay-token",
        "relay-token",
    ];
    let t = spawn_app(&flags).await;
    let public = connected(&t).await;
    t.stop().await;

    // The agent is gone: the relay keeps every webhook and says so.
    for i in 0..200 {
        let r = post_url(
            &format!("{public}/n"),
            &[],
            format!("{{\"n\":{i}}}").as_bytes(),
        )
        .await;
        assert_eq!(r.status, 202, "queued while offline");
    }
    // The relay restarts on the same file, with that backlog.
    let addr = relay.addr.to_string();
    relay.stop().await;
    let relay = spawn_relay(&addr, relay_db, &[]).await;

    let t = spawn_app(&flags).await;
    assert_eq!(
        connected(&t).await,
        public,
        "the channel is kept across restarts"
    );
    let events = eventually("200 relayed events", || async {
        let events = relay_events(&t).await;
        (events.len() >= 200).then_some(events)
    })
    .await;
    let mut bodies = Vec::new();
    for e in &events {
        let detail = get_json(&t, &format!("/api/events/{}", e["id"])).await;
        bodies.push(detail["body"]["data"].as_str().expect("body").to_string());
    }
    let expected: Vec<String> = (0..200).map(|i| format!("{{\"n\":{i}}}")).collect();
    assert_eq!(bodies, expected, "all arrive exactly once, in order");
    // The UI sees the backlog drain without waiting for the next heartbeat.
    eventually("the backlog to drain", || async {
        (get_json(&t, "/api/status").await["relay"]["backlog"] == 0).then_some(())
    })
    .await;

    // Everything acknowledged: a reconnect delivers nothing twice.
    t.stop().await;
    let t = spawn_app(&flags).await;
    connected(&t).await;
    let r = post_url(&format!("{public}/n"), &[], b"{\"n\":200}").await;
    assert_eq!(r.status, 200);
    assert_eq!(relay_events(&t).await.len(), 201);
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn wrong_keys_bad_tokens_and_second_agents_are_refused() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let t = spawn_app(&["--relay", &relay.url(), "--relay-token", "relay-token"]).await;
    let public = connected(&t).await;
    let channel = public.rsplit('/').next().expect("channel").to_string();
    let key = t
        .app
        .store
        .meta(&format!("relay.key.{}", relay.url()))
        .await
        .expect("meta")
        .expect("key saved");

    let hello = |token: Option<&str>, channel: Option<&str>, key: Option<&str>| {
        serde_json::json!({ "type": "hello", "version": 1, "token": token, "channel": channel, "key": key, "last_seq": 0 }).to_string()
    };
    let ws_url = format!("ws://{}/_hookpit/connect", relay.addr);
    // The kind tells the agent whether trying again can help: a busy channel may free up.
    for (frame, expect, kind) in [
        (
            hello(None, Some(&channel), Some("0000")),
            "wrong channel or key",
            "setup",
        ),
        (
            hello(Some("guess"), None, None),
            "may not create channels",
            "setup",
        ),
        (
            hello(None, Some(&channel), Some(&key)),
            "another agent is connected",
            "busy",
        ),
    ] {
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
            .await
            .expect("connects");
        ws.send(Message::text(frame)).await.expect("hello sent");
        let Some(Ok(Message::Text(reply))) = ws.next().await else {
            panic!("no reply")
        };
        let reply: serde_json::Value = serde_json::from_str(&reply).expect("json");
        assert_eq!(reply["type"], "refused");
        assert_eq!(reply["kind"], kind, "{reply}");
        assert!(
            reply["reason"].as_str().expect("reason").contains(expect),
            "{reply}"
        );
    }
    // The rightful agent is still connected and working.
    let r = post_url(&format!("{public}/still"), &[], b"{}").await;
    assert_eq!(r.status, 200);
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn the_relay_serves_https_with_the_given_certificate() {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    let relay = spawn_relay(
        "127.0.0.1:0",
        ":memory:",
        &[
            "--tls-cert",
            cert_path.to_str().expect("utf-8"),
            "--tls-key",
            key_path.to_str().expect("utf-8"),
        ],
    )
    .await;

    hookpit::server::tls::install_crypto();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(cert.cert.der().clone())
        .expect("trust the test cert");
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(relay.addr)
        .await
        .expect("connect");
    let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("TLS handshake with the relay");
    tls.write_all(b"POST /c/none/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        .await
        .expect("write");
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.contains("no such channel"));
    relay.stop().await;
}

#[tokio::test]
async fn in_ack_mode_the_first_attempt_is_on_record_before_the_relay_is_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay_db = dir.path().join("relay.db");
    let relay = spawn_relay("127.0.0.1:0", relay_db.to_str().expect("utf-8"), &[]).await;
    let stub = common::stub::Stub::start(None, &[]).await;
    // The route's delay holds the sender's answer; the ack to the relay must not wait for it,
    // nor go out before the delivery the relay is handing over is on record.
    let config = dir.path().join("hookpit.toml");
    std::fs::write(
        &config,
        format!(
            "[[route]]\npath = \"/slow\"\ndelay = \"3s\"\nforward = \"{}\"\n",
            stub.url("/app")
        ),
    )
    .expect("write config");
    let t = spawn_app(&[
        "--config",
        config.to_str().expect("utf-8"),
        "--forward-mode",
        "ack",
        "--relay",
        &relay.url(),
        "--relay-token",
        "relay-token",
        // The relay's first acknowledged sequence must be this webhook's, not a canary probe's.
        "--canary-interval",
        "0",
    ])
    .await;
    let public = connected(&t).await;
    let sender = tokio::spawn(async move { post_url(&format!("{public}/slow"), &[], b"{}").await });

    let relay_sql = rusqlite::Connection::open(&relay_db).expect("open the relay's database");
    eventually("the relay to see the ack", || async {
        let acked: i64 = relay_sql
            .query_row("SELECT MAX(acked_seq) FROM relay_channels", [], |r| {
                r.get(0)
            })
            .unwrap_or(0);
        (acked >= 1).then_some(())
    })
    .await;
    let events = relay_events(&t).await;
    assert_eq!(events.len(), 1, "stored before the ack");
    let id = events[0]["id"].as_i64().expect("id");
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    let attempts = e["attempts"].as_array().expect("attempts");
    assert_eq!(
        attempts.len(),
        1,
        "the relay forgot this webhook with no delivery on record: {e}"
    );
    assert_eq!(attempts[0]["mode"], "ack");

    let r = sender.await.expect("sender");
    assert_eq!(r.status, 200, "{}", text(&r.body));
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn a_stop_does_not_wait_on_a_relay_that_never_answers_the_connect() {
    // Accepts the TCP connection and never says a word: the WebSocket handshake hangs.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = silent.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let t = spawn_app(&[
        "--relay",
        &format!("http://{addr}"),
        "--relay-token",
        "relay-token",
    ])
    .await;
    eventually("the agent to be connecting", || async {
        let status = get_json(&t, "/api/status").await;
        (status["relay"]["state"] == "connecting").then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let began = std::time::Instant::now();
    t.stop().await;
    let took = began.elapsed();
    assert!(
        took < std::time::Duration::from_secs(2),
        "the stop waited {took:?} on a hanging connect"
    );
    held.abort();
}
