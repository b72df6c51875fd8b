//! A misconfigured relay agent (issue 21, item 11): the agent recognises a refusal, a channel
//! URL given as the relay, and https against a plain relay; it says what to change and stops
//! retrying, and the relay never stores an agent's connection attempt as a webhook.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::stub::eventually;
use common::{get_json, spawn_app, spawn_relay};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// The relay part of `/api/status` once its state is `want`.
async fn relay_state(t: &common::TestApp, want: &str) -> serde_json::Value {
    eventually(&format!("relay state {want}"), || async {
        let relay = get_json(t, "/api/status").await["relay"].clone();
        (relay["state"] == want).then_some(relay)
    })
    .await
}

/// A relay that refuses every agent after its hello, counting connections.
async fn refusing_relay(reason: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let _hello = ws.next().await;
                let refused = serde_json::json!({ "type": "refused", "reason": reason });
                let _ = ws.send(Message::text(refused.to_string())).await;
                let _ = ws.close(None).await;
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_refusal_stops_the_retries_and_says_why() {
    let (url, connections) = refusing_relay("invalid relay token").await;
    let t = spawn_app(&["--relay", &url, "--relay-token", "wrong"]).await;
    let relay = relay_state(&t, "refused").await;
    let error = relay["error"].as_str().unwrap_or_default();
    assert!(error.contains("invalid relay token"), "{error}");
    assert!(
        error.contains("--relay-token"),
        "says what to change: {error}"
    );
    // Retries back off from 1 s: a retrying agent would have connected again by now.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1, "the agent retried");
    assert_eq!(
        get_json(&t, "/api/status").await["relay"]["state"],
        "refused"
    );
    t.stop().await;
}

/// A relay that refuses the first `refusals` agents with `frame`, then welcomes the next one.
async fn busy_then_welcoming_relay(frame: serde_json::Value, refusals: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut seen = 0;
        while let Ok((tcp, _)) = listener.accept().await {
            seen += 1;
            let refuse = seen <= refusals;
            let frame = frame.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let _hello = ws.next().await;
                if refuse {
                    let _ = ws.send(Message::text(frame.to_string())).await;
                    let _ = ws.close(None).await;
                    return;
                }
                let welcome = serde_json::json!({ "type": "welcome", "channel": "c1", "key": null,
                    "public_url": "http://127.0.0.1:9/c/c1", "backlog": 0 });
                let _ = ws.send(Message::text(welcome.to_string())).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    url
}

#[tokio::test]
async fn a_channel_still_held_or_a_failing_relay_is_retried_until_it_passes() {
    // After a laptop sleep the relay still holds the agent's old half-open connection: an old
    // relay says so in words only, a newer one with kind "busy"; a storage failure is "unavailable".
    let busy = "another agent is connected to this channel; stop it first";
    for frame in [
        serde_json::json!({ "type": "refused", "reason": busy }),
        serde_json::json!({ "type": "refused", "reason": busy, "kind": "busy" }),
        serde_json::json!({ "type": "refused", "reason": "the relay's storage failed: disk I/O error", "kind": "unavailable" }),
    ] {
        let url = busy_then_welcoming_relay(frame.clone(), 1).await;
        let t = spawn_app(&["--relay", &url, "--relay-token", "tok"]).await;
        let offline = relay_state(&t, "offline").await;
        let reason = frame["reason"].as_str().expect("reason");
        assert!(
            offline["error"]
                .as_str()
                .unwrap_or_default()
                .contains(reason),
            "{offline}"
        );
        relay_state(&t, "connected").await;
        t.stop().await;
    }
}

#[tokio::test]
async fn https_against_a_plain_relay_says_to_use_http() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let url = format!("https://{}", relay.addr);
    let t = spawn_app(&["--relay", &url, "--relay-token", "relay-token"]).await;
    let status = relay_state(&t, "refused").await;
    let error = status["error"].as_str().unwrap_or_default();
    assert!(error.contains("not TLS"), "{error}");
    assert!(error.contains(&format!("http://{}", relay.addr)), "{error}");
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn a_channel_url_given_as_the_relay_is_refused_and_never_stored() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let owner = spawn_app(&["--relay", &relay.url(), "--relay-token", "relay-token"]).await;
    let public = relay_state(&owner, "connected").await["public_url"]
        .as_str()
        .expect("public url")
        .to_string();
    let confused = spawn_app(&["--relay", &public, "--relay-token", "relay-token"]).await;
    let status = relay_state(&confused, "refused").await;
    let error = status["error"].as_str().unwrap_or_default();
    assert!(error.contains("public URL of a channel"), "{error}");
    assert!(
        error.contains(&relay.url()),
        "names the relay's own URL: {error}"
    );
    // Nothing the confused agent sent reached the channel's owner.
    let events = get_json(&owner, "/api/events").await;
    assert_eq!(events["events"], serde_json::json!([]), "{events}");
    confused.stop().await;
    owner.stop().await;
    relay.stop().await;
}
