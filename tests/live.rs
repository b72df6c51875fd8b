//! The live stream: a WebSocket client sees captures as they happen.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

/// Waits (bounded) for the next text frame of the given type.
async fn next_of_type<S>(ws: &mut S, kind: &str) -> serde_json::Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let wait = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON frame");
                    if v["type"] == kind {
                        return v;
                    }
                }
                Some(Ok(_)) => continue,
                other => panic!("stream ended: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {kind} frame"))
}

#[tokio::test]
async fn a_websocket_client_sees_events_created_and_deleted() {
    let t = spawn_app(&[]).await;
    let (mut ws, resp) = tokio_tungstenite::connect_async(format!("ws://{}/api/live", t.ui))
        .await
        .expect("WebSocket connects");
    assert_eq!(resp.status(), 101);

    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let id = capture_post(&t, "/cyberdesk", &[], &body).await;
    let frame = next_of_type(&mut ws, "event.created").await;
    assert_eq!(frame["data"]["id"], id);
    assert_eq!(frame["data"]["path"], "/cyberdesk");
    assert_eq!(frame["data"]["event_type"], "run_complete");
    assert_eq!(frame["data"]["run"]["status"], "task_failed");
    assert_eq!(frame["data"]["verification"]["status"], "unsigned");

    ui_request(&t, "DELETE", &format!("/api/events/{id}"), &[], b"").await;
    assert_eq!(
        next_of_type(&mut ws, "event.deleted").await["data"]["id"],
        id
    );
    ui_request(&t, "DELETE", "/api/events", &[], b"").await;
    next_of_type(&mut ws, "events.cleared").await;
    t.stop().await;
}

#[tokio::test]
async fn shutdown_closes_live_clients_instead_of_hanging() {
    let t = spawn_app(&[]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/live", t.ui))
        .await
        .expect("WebSocket connects");
    t.stop().await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the client was not told hookpit stopped");
}

/// On one thread, publishing without yielding outruns the client's task: it lags, gets
/// `resync`, and stays connected for what follows.
#[tokio::test(flavor = "current_thread")]
async fn a_lagging_client_gets_resync_and_stays_connected() {
    let t = spawn_app(&[]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/live", t.ui))
        .await
        .expect("WebSocket connects");
    // Let the server's client task subscribe before the burst.
    let id = capture_post(&t, "/warmup", &[], b"{}").await;
    assert_eq!(
        next_of_type(&mut ws, "event.created").await["data"]["id"],
        id
    );
    for i in 0..(hookpit::live::LIVE_BUFFER as i64 * 2) {
        t.app
            .live
            .publish(hookpit::live::LiveEvent::EventDeleted { id: -i });
    }
    next_of_type(&mut ws, "resync").await;
    let id = capture_post(&t, "/after", &[], b"{}").await;
    assert_eq!(
        next_of_type(&mut ws, "event.created").await["data"]["id"],
        id
    );
    t.stop().await;
}
