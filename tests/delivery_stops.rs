//! At-least-once delivery in ack mode through every kind of stop: SIGTERM while the app is
//! slow, a stop that outlasts the drain deadline, `kill -9`, and a restart with thousands of
//! retries due. The real binary runs as a child process where a signal matters.

mod common;

use std::time::Duration;

use common::child::{Proc, exchange, signed_request, start_serve, try_get};
use common::stub::{Stub, eventually};
use serde_json::Value;
use tokio::net::TcpStream;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
/// What an attempt cut short by a stop says.
const INTERRUPTED: &str = "hookpit stopped during this delivery";

/// Starts hookpit in ack mode on `db`, forwarding to `stub`.
async fn start_ack(dir: &std::path::Path, db: &std::path::Path, stub: &Stub, log: &str) -> Proc {
    let target = stub.url("/app");
    let flags = [
        "--secret",
        SECRET,
        "--forward",
        &target,
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "fast",
    ];
    start_serve(dir, db, &flags, log).await
}

/// Posts one signed webhook; the event id of hookpit's 2xx.
async fn post(proc: &Proc, msg_id: &str) -> i64 {
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    let body = format!(r#"{{"type":"stop.test","id":"{msg_id}"}}"#);
    let req = signed_request(proc.addr, "/hook", SECRET, msg_id, body.as_bytes());
    let resp = exchange(&mut stream, &req).await.expect("answer");
    assert!(
        (200..300).contains(&resp.status),
        "hookpit answered {}",
        resp.status
    );
    resp.json()["id"].as_i64().expect("event id")
}

/// The attempts of event `id`.
async fn attempts(proc: &Proc, id: i64) -> Vec<Value> {
    let ui = proc.ui.expect("serve has a UI");
    let resp = try_get(ui, &format!("/api/events/{id}"))
        .await
        .expect("the UI answers");
    resp.json()["attempts"]
        .as_array()
        .expect("attempts")
        .clone()
}

/// Waits until event `id` has an attempt the app answered with a 2xx; all its attempts.
async fn delivered(proc: &Proc, id: i64) -> Vec<Value> {
    eventually(&format!("a 2xx delivery of event {id}"), || async {
        let all = attempts(proc, id).await;
        let ok = all.iter().any(|a| {
            a["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
        });
        ok.then_some(all)
    })
    .await
}

/// Whether an attempt has neither a status nor an error: still in flight, or left so.
fn unfinished(a: &Value) -> bool {
    a["status"].is_null() && a["error"].is_null()
}

/// The issue's own report: ack mode, an app that takes 4 s over its first request, SIGTERM
/// 0.7 s after the webhook, a restart on the same database. The attempt stayed in flight
/// forever and nothing retried it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_slow_delivery_still_delivers_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("h.db");
    let stub = Stub::start(Some(SECRET), &[]).await;
    stub.stall_next(&[Duration::from_secs(4)]);
    let mut proc = start_ack(dir.path(), &db, &stub, "first.log").await;
    let id = post(&proc, "msg_sigterm").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let code = proc.terminate(Duration::from_secs(20)).await;
    assert_eq!(code, Some(0), "{}", proc.stderr());

    let proc = start_ack(dir.path(), &db, &stub, "second.log").await;
    let all = delivered(&proc, id).await;
    assert!(
        !all.iter().any(unfinished),
        "nothing left in flight: {all:?}"
    );
    assert_eq!(all[0]["kind"], "forward");
    // The stop waited within its drain deadline, so the slow app's answer was recorded.
    assert_eq!(all[0]["status"], 200, "{all:?}");
    assert!(
        stub.hits()
            .iter()
            .all(|h| h.header("svix-id").as_deref() == Some("msg_sigterm"))
    );
}

/// A stop that outlasts the drain deadline records the try it cuts short as interrupted, a
/// failed try with its next one scheduled; the restart delivers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_past_the_drain_deadline_records_the_interruption_and_schedules_the_next_try() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("h.db");
    let stub = Stub::start(Some(SECRET), &[]).await;
    stub.stall_next(&[Duration::from_secs(60)]);
    let mut proc = start_ack(dir.path(), &db, &stub, "first.log").await;
    let id = post(&proc, "msg_drain").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let stopping = std::time::Instant::now();
    let code = proc.terminate(Duration::from_secs(20)).await;
    let took = stopping.elapsed();
    assert_eq!(code, Some(0), "{}", proc.stderr());
    assert!(took < Duration::from_secs(12), "the stop took {took:?}");

    let proc = start_ack(dir.path(), &db, &stub, "second.log").await;
    let all = delivered(&proc, id).await;
    let cut = &all[0];
    assert_eq!(cut["error"], INTERRUPTED, "{all:?}");
    assert!(
        cut["duration_ms"].as_i64().is_some_and(|ms| ms >= 4000),
        "recorded by the stop itself, after waiting: {cut}"
    );
    assert!(
        cut["next_retry_at"].is_string(),
        "the next try is scheduled: {cut}"
    );
    assert_eq!(all[1]["kind"], "retry");
    assert_eq!(all[1]["status"], 200);
    assert_eq!(all.len(), 2, "{all:?}");
    println!("SIGTERM with a delivery stuck in flight: exited in {took:?}");
}

/// `kill -9` mid-delivery: the next start closes the attempt as interrupted, counts it as a
/// failed try and delivers the webhook on the schedule. The app sees the message id twice,
/// and the second delivery is marked as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_is_closed_as_interrupted_and_delivered_after_the_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("h.db");
    let stub = Stub::start(Some(SECRET), &[]).await;
    stub.stall_next(&[Duration::from_secs(60)]);
    let mut proc = start_ack(dir.path(), &db, &stub, "first.log").await;
    let id = post(&proc, "msg_kill9").await;
    eventually("the app to get the first try", || async {
        (!stub.hits().is_empty()).then_some(())
    })
    .await;
    proc.kill9().await;

    let proc = start_ack(dir.path(), &db, &stub, "second.log").await;
    let all = delivered(&proc, id).await;
    assert_eq!(all[0]["error"], INTERRUPTED, "{all:?}");
    assert!(all[0]["duration_ms"].is_null(), "closed at the next start");
    assert!(all[0]["next_retry_at"].is_string());
    assert_eq!(
        (&all[1]["kind"], &all[1]["status"]),
        (&"retry".into(), &200.into())
    );
    assert_eq!(
        all[1]["duplicate_delivery"], true,
        "the app saw msg_kill9 before"
    );
    let hits = stub.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].verdict.status, hookpit::verify::Status::Valid);
    assert!(
        proc.stderr().contains("recorded as interrupted"),
        "{}",
        proc.stderr()
    );
}

/// Webhooks captured while the app is down, for the restart test.
const BACKLOG: usize = 2000;
/// Sender connections that capture them.
const BACKLOG_SENDERS: usize = 4;

/// Captures `n` webhooks numbered from `from` on one keep-alive connection; their event ids.
async fn capture_many(addr: std::net::SocketAddr, from: usize, n: usize) -> Vec<i64> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut ids = Vec::with_capacity(n);
    for i in from..from + n {
        let msg_id = format!("msg_backlog_{i}");
        let body = format!(r#"{{"type":"backlog","n":{i}}}"#);
        let req = signed_request(addr, "/b", SECRET, &msg_id, body.as_bytes());
        let resp = exchange(&mut stream, &req).await.expect("answer");
        assert_eq!(resp.status, 200);
        ids.push(resp.json()["id"].as_i64().expect("id"));
    }
    ids
}

/// 2,000 webhooks captured in ack mode while the app is down, hookpit restarted, the app
/// brought up: every one is delivered with a 2xx, each retry starting (its attempt stored) in
/// the order the retries fell due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_due_retry_resumes_after_a_restart_in_due_order() {
    use common::spawn_app;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("h.db");
    let db = db.to_str().expect("utf-8");
    // Reserve a port for the app, but keep it closed while the webhooks arrive.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = reserved.local_addr().expect("addr").port();
    drop(reserved);
    let forward = format!("http://127.0.0.1:{port}/app");
    // The first retry comes late enough to be due only after the restart; the rest are quick
    // and many, so a retry that races the app's start is simply tried again.
    let schedule = format!("0s,8s{}", ",250ms".repeat(40));
    let flags = [
        "--db",
        db,
        "--secret",
        SECRET,
        "--forward",
        &forward,
        "--forward-mode",
        "ack",
        "--retry-schedule",
        &schedule,
    ];
    let t = spawn_app(&flags).await;
    let capturing = std::time::Instant::now();
    let per = BACKLOG / BACKLOG_SENDERS;
    let senders: Vec<_> = (0..BACKLOG_SENDERS)
        .map(|s| tokio::spawn(capture_many(t.capture, s * per, per)))
        .collect();
    let mut ids = Vec::new();
    for s in senders {
        ids.extend(s.await.expect("sender"));
    }
    let captured_in = capturing.elapsed();
    t.stop().await;

    let restarting = std::time::Instant::now();
    let t = spawn_app(&flags).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind the app's port");
    let stub = Stub::start_on(listener, Some(SECRET), &[]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let answered = stub.answered.load(std::sync::atomic::Ordering::SeqCst);
        if answered >= BACKLOG {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {answered} of {BACKLOG} delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered_in = restarting.elapsed();

    // Each event: its 2xx attempt (when it started) and when that try had fallen due.
    let mut order = Vec::new();
    let mut span: Option<(String, String)> = None;
    for id in &ids {
        let all = t.app.store.attempts(*id).await.expect("attempts");
        let last = all.last().expect("attempted");
        assert!(
            last.outcome.status.is_some_and(|s| (200..300).contains(&s)),
            "event {id} ends without a 2xx: {:?}",
            last.outcome
        );
        let ok = all.iter().filter(|a| a.outcome.status == Some(200)).count();
        assert_eq!(ok, 1, "event {id} was delivered {ok} times");
        let before = &all[all.len() - 2];
        let fell_due = before
            .outcome
            .next_retry_at
            .expect("the try before scheduled it");
        order.push((last.id, fell_due));
        let at = last.started_at.clone();
        span = Some(match span {
            None => (at.clone(), at),
            Some((first, latest)) => (first.min(at.clone()), latest.max(at)),
        });
    }
    order.sort();
    for pair in order.windows(2) {
        assert!(
            pair[0].1 <= pair[1].1,
            "the retry due at {} started after the one due at {}",
            pair[0].1,
            pair[1].1
        );
    }
    let hits = stub.hits();
    let unique: std::collections::HashSet<String> =
        hits.iter().filter_map(|h| h.header("svix-id")).collect();
    assert_eq!(unique.len(), BACKLOG);
    assert!(
        hits.iter()
            .all(|h| h.verdict.status == hookpit::verify::Status::Valid)
    );
    let (first, latest) = span.expect("deliveries");
    println!(
        "{BACKLOG} webhooks captured in {captured_in:?}; after the restart all delivered with a \
         2xx in {delivered_in:?}, the 2xx tries started from {first} to {latest} ({} requests \
         reached the app)",
        hits.len()
    );
    t.stop().await;
}

/// A bulk replay cut by a stop ends with a `replay.progress` frame that says interrupted and
/// how far it got, and the stored job says the same.
#[tokio::test]
async fn a_bulk_replay_cut_by_a_stop_says_interrupted_and_how_far_it_got() {
    use common::{capture_post, get_json, post_json, spawn_app};
    let stub = Stub::start(None, &[]).await;
    let t = spawn_app(&[]).await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    for n in 0..5 {
        capture_post(&t, "/bulk", &[], format!("{{\"n\":{n}}}").as_bytes()).await;
    }
    let mut frames = t.app.live.subscribe();
    let request = serde_json::json!({
        "since": since.to_rfc3339(),
        "target": stub.url("/r"),
        "rate": 2.0,
    });
    let r = post_json(&t, "/api/replay", &request).await;
    assert_eq!(r.status, 202);
    let job = r.json()["job"].as_u64().expect("job");
    eventually("the first replay", || async {
        (!stub.hits().is_empty()).then_some(())
    })
    .await;
    let running = get_json(&t, &format!("/api/replay/{job}")).await;
    assert_eq!(running["state"], "running", "{running}");
    let app = t.app.clone();
    t.stop().await;

    let mut last = None;
    while let Ok(frame) = frames.try_recv() {
        let frame: Value = serde_json::from_str(&frame).expect("JSON frame");
        if frame["type"] == "replay.progress" {
            last = Some(frame["data"].clone());
        }
    }
    let last = last.expect("progress frames");
    assert_eq!(last["state"], "interrupted", "{last}");
    assert_eq!(last["error"], "hookpit stopped during this replay");
    let done = last["done"].as_u64().expect("done");
    assert!((1..5).contains(&done), "{last}");
    assert_eq!(last["total"], 5);
    assert_eq!(
        stub.hits().len() as u64,
        done,
        "every finished replay counted"
    );
    let stored = app
        .store
        .replay_job(job)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.state, hookpit::store::ReplayState::Interrupted);
    assert_eq!(stored.done as u64, done);
    assert_eq!(stored.total, 5);
}
