//! `GET /api/events/wait`: holds until a matching event is stored, answers the oldest one above
//! `after`, times out with 408, refuses bad input with 400, and ends when the client leaves or
//! hookpit stops.

mod common;

use std::time::Duration;

use common::{RawResponse, TestApp, capture_post, spawn_app, ui_request};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const RUN: &[u8] = br#"{"event_type":"run_complete","run":{"id":"r1","status":"success"}}"#;
const OTHER: &[u8] = br#"{"event_type":"run_started"}"#;

async fn post(t: &TestApp, body: &[u8]) -> i64 {
    capture_post(t, "/hooks", &[("content-type", "application/json")], body).await
}

/// Starts a wait in the background; returns once its waiter is subscribed to the hub.
async fn start_wait(t: &TestApp, query: &str) -> tokio::task::JoinHandle<RawResponse> {
    let before = t.app.live.receivers();
    let (ui, path) = (t.ui, format!("/api/events/wait?{query}"));
    let task = tokio::spawn(async move {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {ui}\r\n");
        common::raw(ui, head.as_bytes(), b"").await
    });
    until(|| t.app.live.receivers() > before, "the waiter subscribes").await;
    task
}

async fn until(mut cond: impl FnMut() -> bool, what: &str) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn a_waiter_gets_the_next_matching_event_and_not_others() {
    let t = spawn_app(&[]).await;
    let stored = post(&t, RUN).await;
    let waiting = start_wait(&t, "q=type:run_complete&timeout=20s").await;
    post(&t, OTHER).await;
    let id = post(&t, RUN).await;
    let resp = waiting.await.expect("wait task");
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let event = &resp.json()["event"];
    assert_eq!(event["id"], id, "the new one, not the stored {stored}");
    assert_eq!(event["event_type"], "run_complete");
    t.stop().await;
}

#[tokio::test]
async fn after_zero_matches_what_is_stored_and_walks_forward_oldest_first() {
    let t = spawn_app(&[]).await;
    let first = post(&t, RUN).await;
    post(&t, OTHER).await;
    let second = post(&t, RUN).await;
    let got = |after: i64| {
        let path = format!("/api/events/wait?q=type%3Arun_complete&after={after}&timeout=1s");
        let t = &t;
        async move { ui_request(t, "GET", &path, &[], b"").await }
    };
    let resp = got(0).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["event"]["id"], first);
    assert_eq!(got(first).await.json()["event"]["id"], second);
    let resp = got(second).await;
    assert_eq!(resp.status, 408);
    assert_eq!(resp.json()["error"], "timeout");
    t.stop().await;
}

#[tokio::test]
async fn without_after_a_wait_is_for_what_comes_next() {
    let t = spawn_app(&[]).await;
    post(&t, RUN).await;
    let resp = ui_request(&t, "GET", "/api/events/wait?timeout=300ms", &[], b"").await;
    assert_eq!(resp.status, 408, "{}", String::from_utf8_lossy(&resp.body));
    let body = resp.json();
    assert_eq!(body["error"], "timeout");
    assert_eq!(body["after"], 1);
    t.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason() {
    let t = spawn_app(&[]).await;
    let long = "x".repeat(1001);
    for query in [
        "timeout=10m".to_string(),
        "timeout=soon".to_string(),
        "after=-1".to_string(),
        "after=first".to_string(),
        format!("q={long}"),
    ] {
        let resp = ui_request(&t, "GET", &format!("/api/events/wait?{query}"), &[], b"").await;
        assert_eq!(resp.status, 400, "{query}");
        assert!(resp.json()["error"].as_str().is_some(), "{query}");
    }
    t.stop().await;
}

#[tokio::test]
async fn the_wait_is_guarded_like_the_rest_of_the_api() {
    let t = spawn_app(&["--ui-token", "sesame"]).await;
    let resp = ui_request(&t, "GET", "/api/events/wait?after=0&timeout=1s", &[], b"").await;
    assert_eq!(resp.status, 401);
    let resp = ui_request(
        &t,
        "GET",
        "/api/events/wait?after=0&timeout=200ms",
        &["Authorization: Bearer sesame"],
        b"",
    )
    .await;
    assert_eq!(resp.status, 408);
    let resp = common::raw(
        t.ui,
        b"GET /api/events/wait?timeout=1s HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer sesame\r\n",
        b"",
    )
    .await;
    assert_ne!(
        resp.status, 408,
        "a foreign Host is refused before it waits"
    );
    t.stop().await;
}

#[tokio::test]
async fn hundreds_of_waiters_all_wake_on_one_event() {
    let t = spawn_app(&[]).await;
    let base = t.app.live.receivers();
    let mut waiters = Vec::new();
    for _ in 0..300 {
        let ui = t.ui;
        waiters.push(tokio::spawn(async move {
            let head = format!(
                "GET /api/events/wait?q=type:run_complete&timeout=60s HTTP/1.1\r\nHost: {ui}\r\n"
            );
            common::raw(ui, head.as_bytes(), b"").await
        }));
    }
    until(
        || t.app.live.receivers() >= base + 300,
        "300 waiters subscribe",
    )
    .await;
    let id = post(&t, RUN).await;
    for waiter in waiters {
        let resp = waiter.await.expect("waiter");
        assert_eq!(resp.status, 200);
        assert_eq!(resp.json()["event"]["id"], id);
    }
    t.stop().await;
}

#[tokio::test]
async fn a_waiter_ends_when_its_client_goes_away() {
    let t = spawn_app(&[]).await;
    let base = t.app.live.receivers();
    let mut stream = TcpStream::connect(t.ui).await.expect("connect");
    let head = format!(
        "GET /api/events/wait?timeout=120s HTTP/1.1\r\nHost: {}\r\n\r\n",
        t.ui
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    until(
        || t.app.live.receivers() == base + 1,
        "the waiter subscribes",
    )
    .await;
    drop(stream);
    until(|| t.app.live.receivers() == base, "the waiter lets go").await;
    t.stop().await;
}

#[tokio::test]
async fn a_waiter_ends_when_hookpit_stops() {
    let t = spawn_app(&[]).await;
    let waiting = start_wait(&t, "timeout=120s").await;
    let started = std::time::Instant::now();
    t.stop().await;
    let resp = waiting.await.expect("wait task");
    assert_eq!(resp.status, 503, "{}", String::from_utf8_lossy(&resp.body));
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A waiter that falls behind the hub asks the store again: here the matching event is stored
/// without its frame, and the hub is flooded past its buffer before the waiter can run.
#[tokio::test(flavor = "current_thread")]
async fn a_lagging_waiter_finds_the_event_in_the_store() {
    let t = spawn_app(&[]).await;
    let waiting = start_wait(&t, "q=type:run_complete&after=0&timeout=5s").await;
    // Past its first read of the store, asleep on the hub.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut event = hookpit_event(RUN);
    event.extracted.event_type = Some("run_complete".into());
    let stored = t.app.store.insert_event(event).await.expect("stored");
    for i in 0..(hookpit::live::LIVE_BUFFER as i64 + 10) {
        t.app
            .live
            .publish(hookpit::live::LiveEvent::EventDeleted { id: -i });
    }
    let resp = waiting.await.expect("wait task");
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json()["event"]["id"], stored.id);
    t.stop().await;
}

fn hookpit_event(body: &[u8]) -> hookpit::store::model::NewEvent {
    hookpit::store::model::NewEvent {
        received_at: chrono::Utc::now(),
        method: "POST".into(),
        path: "/hooks".into(),
        query: String::new(),
        headers: hookpit::headers::Headers::default(),
        body: bytes::Bytes::copy_from_slice(body),
        remote_addr: None,
        source: hookpit::store::model::Source::Direct,
        content_type: Some("application/json".into()),
        msg_id: None,
        extracted: hookpit::store::model::Extracted::default(),
        verification: hookpit::verify::Verdict::unsigned(),
    }
}
