//! Forwarding rules (issue 18 part 4): routes that forward only some events (`events`,
//! `match`, `--events`), fan-out to several targets each with its own attempts and retries, the
//! record of a forward a rule skipped, and at-least-once delivery per target through a restart.

mod common;

use std::time::Duration;

use common::child::{Proc, exchange, free_addr, start_serve, try_get};
use common::stub::{Stub, eventually};
use common::{TestApp, capture_post, get_json, spawn_app};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

/// A Cyberdesk-style `run_complete` with this run status.
fn run_complete(run: &str, status: &str) -> Vec<u8> {
    format!(r#"{{"type":"run_complete","run":{{"id":"{run}","status":"{status}"}}}}"#).into_bytes()
}

/// Writes a routes file into `dir`; its path.
fn routes_file(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("hookpit.toml");
    std::fs::write(&path, text).expect("write routes file");
    path.to_string_lossy().into_owned()
}

/// A TOML list of URLs.
fn list(urls: &[String]) -> String {
    let quoted: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// POSTs `body` to the capture listener at `path`; the status and the stored event's id (from
/// `Hookpit-Event-Id`: when proxying the body is the app's).
async fn proxied(t: &TestApp, path: &str, body: &[u8]) -> (u16, i64) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        t.capture,
        body.len()
    );
    let resp = common::raw(t.capture, head.as_bytes(), body).await;
    let id = resp
        .header("hookpit-event-id")
        .and_then(|v| v.parse().ok())
        .expect("event id");
    (resp.status, id)
}

/// The attempts of event `id`.
async fn attempts(t: &TestApp, id: i64) -> Vec<Value> {
    get_json(t, &format!("/api/events/{id}")).await["attempts"]
        .as_array()
        .expect("attempts")
        .clone()
}

/// Waits until event `id` has `n` attempts none of which is in flight; them.
async fn settled(t: &TestApp, id: i64, n: usize) -> Vec<Value> {
    eventually(&format!("{n} finished attempts of event {id}"), || async {
        let all = attempts(t, id).await;
        let done = all.len() == n
            && all.iter().all(|a| {
                !a["skipped"].is_null() || !a["status"].is_null() || !a["error"].is_null()
            });
        done.then_some(all)
    })
    .await
}

/// `(target, kind, status)` of each attempt to `target`, in order.
fn to(all: &[Value], target: &str) -> Vec<(String, Value)> {
    all.iter()
        .filter(|a| a["target"] == target)
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").to_string(),
                a["status"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_match_rule_forwards_only_matching_events_and_records_each_skipped_target() {
    let (app, audit) = (Stub::start(None, &[]).await, Stub::start(None, &[]).await);
    let targets = [app.url("/hooks"), audit.url("/audit")];
    let dir = tempfile::tempdir().expect("temp dir");
    let config = routes_file(
        dir.path(),
        &format!(
            "[[route]]\npath = \"/cyberdesk\"\nforward = {}\nmatch = \"status:task_failed\"\n",
            list(&targets)
        ),
    );
    let t = spawn_app(&["--config", &config, "--forward-mode", "ack"]).await;
    let ok = capture_post(&t, "/cyberdesk", &[], &run_complete("r1", "success")).await;
    let failed = capture_post(&t, "/cyberdesk", &[], &run_complete("r2", "task_failed")).await;

    let sent = settled(&t, failed, 2).await;
    for target in &targets {
        assert_eq!(to(&sent, target), vec![("forward".into(), 200.into())]);
    }
    assert!(sent.iter().all(|a| a["skipped"].is_null()), "{sent:?}");
    let skipped = settled(&t, ok, 2).await;
    for (a, target) in skipped.iter().zip(&targets) {
        assert_eq!(a["target"], *target, "one record per target: {skipped:?}");
        assert_eq!(a["kind"], "forward");
        assert_eq!(a["skipped"], "match = \"status:task_failed\"");
        assert!(a["status"].is_null() && a["error"].is_null());
    }
    // Each app saw only the failed run, once.
    for stub in [&app, &audit] {
        let hits = stub.hits();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(String::from_utf8_lossy(&hits[0].body).contains("task_failed"));
    }
    // A skipped forward is no delivery's outcome in the list.
    let listed = get_json(&t, "/api/events").await;
    let row = listed["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["id"] == ok)
        .expect("listed")
        .clone();
    assert!(row["last_attempt"].is_null(), "{row}");
    t.stop().await;
}

#[tokio::test]
async fn events_on_the_command_line_select_what_the_default_route_forwards() {
    let app = Stub::start(None, &[]).await;
    let t = spawn_app(&[
        "--forward",
        &app.url("/"),
        "--events",
        "run_complete,run_started",
    ])
    .await;
    let other = proxied(&t, "/x", br#"{"type":"invoice.paid"}"#).await.1;
    let run = proxied(&t, "/x", &run_complete("r1", "success")).await.1;
    let skipped = settled(&t, other, 1).await;
    assert_eq!(skipped[0]["skipped"], "--events run_complete,run_started");
    assert_eq!(skipped[0]["target"], app.url("/x"));
    assert_eq!(skipped[0]["mode"], "proxy");
    let sent = settled(&t, run, 1).await;
    assert_eq!(sent[0]["status"], 200);
    assert_eq!(app.hits().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn an_events_rule_on_a_route_names_itself_in_the_skip() {
    let app = Stub::start(None, &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = routes_file(
        dir.path(),
        &format!(
            "[[route]]\npath = \"/cd\"\nforward = \"{}\"\nevents = [\"run_complete\"]\n",
            app.url("/hooks")
        ),
    );
    let t = spawn_app(&["--config", &config]).await;
    let id = capture_post(&t, "/cd/a", &[], br#"{"type":"run_started"}"#).await;
    let skipped = settled(&t, id, 1).await;
    assert_eq!(skipped[0]["skipped"], "events = [\"run_complete\"]");
    assert_eq!(skipped[0]["target"], app.url("/hooks/a"));
    assert!(app.hits().is_empty());
    t.stop().await;
}

#[tokio::test]
async fn each_target_of_a_fan_out_has_its_own_tries_and_retries() {
    let flaky = Stub::start(None, &[500, 503, 200]).await;
    let steady = Stub::start(None, &[200]).await;
    let targets = [flaky.url("/a"), steady.url("/b")];
    let dir = tempfile::tempdir().expect("temp dir");
    let config = routes_file(
        dir.path(),
        &format!("[[route]]\npath = \"/\"\nforward = {}\n", list(&targets)),
    );
    let t = spawn_app(&[
        "--config",
        &config,
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,50ms,50ms,50ms",
    ])
    .await;
    let id = capture_post(&t, "/", &[], &run_complete("r1", "success")).await;
    let all = settled(&t, id, 4).await;
    assert_eq!(
        to(&all, &targets[0]),
        vec![
            ("forward".into(), 500.into()),
            ("retry".into(), 503.into()),
            ("retry".into(), 200.into())
        ]
    );
    assert_eq!(to(&all, &targets[1]), vec![("forward".into(), 200.into())]);
    assert!(
        all.iter()
            .all(|a| a["next_retry_at"].is_null() || a["status"] != 200)
    );
    assert_eq!((flaky.hits().len(), steady.hits().len()), (3, 1));
    t.stop().await;
}

#[tokio::test]
async fn proxying_answers_with_the_first_target_and_owes_the_others_a_delivery() {
    let first = Stub::start(None, &[201]).await;
    let second = Stub::start(None, &[500, 200]).await;
    let targets = [first.url("/"), second.url("/")];
    let dir = tempfile::tempdir().expect("temp dir");
    let config = routes_file(
        dir.path(),
        &format!("[[route]]\npath = \"/\"\nforward = {}\n", list(&targets)),
    );
    let t = spawn_app(&["--config", &config, "--retry-schedule", "0s,50ms"]).await;
    let (status, id) = proxied(&t, "/", &run_complete("r1", "success")).await;
    assert_eq!(status, 201, "the first target's own answer");
    let all = settled(&t, id, 3).await;
    let first_tries: Vec<_> = all.iter().filter(|a| a["target"] == targets[0]).collect();
    assert_eq!(first_tries.len(), 1);
    assert_eq!(first_tries[0]["mode"], "proxy");
    assert_eq!(
        to(&all, &targets[1]),
        vec![("forward".into(), 500.into()), ("retry".into(), 200.into())]
    );
    t.stop().await;
}

/// The old dispatcher had one pool of 8 retries in flight for every target: 8 retries stuck on
/// a slow app held every other app's retries until they timed out.
#[tokio::test]
async fn a_slow_target_never_holds_back_another_targets_retries() {
    const EVENTS: usize = 12;
    let slow = Stub::start(None, &[500; EVENTS]).await;
    let mut script = vec![500; EVENTS];
    script.push(200);
    let quick = Stub::start(None, &script).await;
    let targets = [slow.url("/slow"), quick.url("/quick")];
    let dir = tempfile::tempdir().expect("temp dir");
    let config = routes_file(
        dir.path(),
        &format!("[[route]]\npath = \"/\"\nforward = {}\n", list(&targets)),
    );
    let t = spawn_app(&[
        "--config",
        &config,
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,300ms",
    ])
    .await;
    // Every retry to the slow app takes a minute.
    slow.stall_next(&[Duration::ZERO; EVENTS]);
    slow.stall_next(&[Duration::from_secs(60); EVENTS]);
    let mut ids = Vec::new();
    for n in 0..EVENTS {
        ids.push(capture_post(&t, "/", &[], &run_complete(&format!("r{n}"), "success")).await);
    }
    for id in ids {
        eventually(&format!("the quick app's retry of event {id}"), || async {
            let all = attempts(&t, id).await;
            let tries = to(&all, &targets[1]);
            (tries == vec![("forward".into(), 500.into()), ("retry".into(), 200.into())])
                .then_some(())
        })
        .await;
    }
    assert!(
        slow.hits().len() > EVENTS,
        "the slow app's retries are in flight"
    );
    // No stop: it would wait out the slow app's minute; the runtime's end drops it all.
}

/// Starts hookpit (a child process) in ack mode with a route forwarding to `targets`.
async fn start_fan_out(dir: &std::path::Path, targets: &[String], log: &str) -> Proc {
    let config = routes_file(
        dir,
        &format!("[[route]]\npath = \"/\"\nforward = {}\n", list(targets)),
    );
    let db = dir.join("h.db");
    let flags = [
        "--config",
        config.as_str(),
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms",
    ];
    start_serve(dir, &db, &flags, log).await
}

/// The attempts of event `id` in a child hookpit.
async fn child_attempts(proc: &Proc, id: i64) -> Vec<Value> {
    let ui = proc.ui.expect("serve has a UI");
    let resp = try_get(ui, &format!("/api/events/{id}"))
        .await
        .expect("the UI answers");
    resp.json()["attempts"]
        .as_array()
        .expect("attempts")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_targets_one_down_through_a_restart_both_end_up_delivered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let up = Stub::start(None, &[]).await;
    let down_addr = free_addr();
    // The down target first: its first try is recorded before the up one's, so a queue kept
    // per event (not per target) would take the up target's 200 as the end of both.
    let targets = [format!("http://{down_addr}/down"), up.url("/up")];
    let mut proc = start_fan_out(dir.path(), &targets, "first.log").await;
    let body = run_complete("r1", "task_failed");
    let req = format!(
        "POST /hook HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        proc.addr,
        body.len()
    );
    let mut stream = TcpStream::connect(proc.addr).await.expect("connect");
    let mut raw = req.into_bytes();
    raw.extend_from_slice(&body);
    let resp = exchange(&mut stream, &raw).await.expect("answer");
    assert_eq!(resp.status, 200);
    let id = resp.json()["id"].as_i64().expect("event id");
    let down_url = format!("{}/hook", targets[0]);
    let up_url = format!("{}/hook", targets[1]);
    // The up target is delivered; the down one has failed and has its retry scheduled.
    eventually(
        "the up target delivered and the down one failing",
        || async {
            let all = child_attempts(&proc, id).await;
            let up_ok = all
                .iter()
                .any(|a| a["target"] == up_url && a["status"] == 200);
            let down_failed = all
                .iter()
                .any(|a| a["target"] == down_url && a["error"].is_string());
            (up_ok && down_failed).then_some(())
        },
    )
    .await;
    proc.kill9().await;

    // The down target comes up on its address; a restart resumes its deliveries alone.
    let listener = TcpListener::bind(down_addr)
        .await
        .expect("bind the down address");
    let came_up = Stub::start_on(listener, None, &[]);
    let proc = start_fan_out(dir.path(), &targets, "second.log").await;
    let all = eventually("the down target delivered after the restart", || async {
        let all = child_attempts(&proc, id).await;
        all.iter()
            .any(|a| a["target"] == down_url && a["status"] == 200)
            .then_some(all)
    })
    .await;
    assert_eq!(
        all.iter().filter(|a| a["target"] == up_url).count(),
        1,
        "the delivered target is not sent it again: {all:?}"
    );
    assert!(all.iter().all(|a| a["kind"] != "replay"));
    assert_eq!(up.hits().len(), 1);
    assert_eq!(came_up.hits().len(), 1);
    assert!(
        all.iter()
            .filter(|a| a["target"] == down_url)
            .all(|a| a["kind"] == "forward" || a["kind"] == "retry")
    );
}
