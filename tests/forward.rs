//! Forward and replay against a real app stub: proxy, ack-mode retries, restarts, re-signed and
//! verbatim replays, bulk recovery.

mod common;

use common::stub::{Stub, eventually};
use common::*;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn attempts(t: &TestApp, id: i64) -> Vec<serde_json::Value> {
    get_json(t, &format!("/api/events/{id}")).await["attempts"]
        .as_array()
        .expect("attempts")
        .clone()
}

/// Waits until event `id` has `n` finished attempts.
async fn finished_attempts(t: &TestApp, id: i64, n: usize) -> Vec<serde_json::Value> {
    eventually(&format!("{n} finished attempts of event {id}"), || async {
        let all = attempts(t, id).await;
        let done = all.iter().filter(|a| a["duration_ms"].is_number()).count();
        (done >= n).then_some(all)
    })
    .await
}

#[tokio::test]
async fn proxy_mode_returns_the_apps_exact_answer() {
    let stub = Stub::start(Some(SECRET), &[201]).await;
    let target = stub.url("/webhooks");
    let t = spawn_app(&["--secret", SECRET, "--forward", &target]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let headers = svix_headers(SECRET, "msg_proxy", now(), &body);
    let mut head = format!(
        "POST /cyberdesk?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let r = raw(t.capture, head.as_bytes(), &body).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body, b"app says 201");
    assert_eq!(r.header("x-app"), Some("stub"));
    let id: i64 = r
        .header("hookpit-event-id")
        .expect("event id")
        .parse()
        .expect("id");

    let hits = stub.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].path_and_query, "/webhooks/cyberdesk?x=1");
    assert_eq!(hits[0].body, body);
    assert_eq!(
        hits[0].header("hookpit-forwarded").as_deref(),
        Some(t.app.marker.value()),
        "marked with this hookpit's own value"
    );
    assert_eq!(
        hits[0].verdict.status,
        hookpit::verify::Status::Valid,
        "{}",
        hits[0].verdict.message
    );

    // The attempt's outcome is recorded after the answer went back to the sender.
    let a = finished_attempts(&t, id, 1).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["kind"], "forward");
    assert_eq!(a[0]["mode"], "proxy");
    assert_eq!(a[0]["status"], 201);
    assert_eq!(a[0]["response_body"]["data"], "app says 201");
    assert_eq!(a[0]["target"], format!("{target}/cyberdesk?x=1"));
    let summary = &get_json(&t, "/api/events").await["events"][0];
    assert_eq!(summary["last_attempt"]["status"], 201);
    assert_eq!(
        get_json(&t, "/api/status").await["forward"]["mode"],
        "proxy"
    );
    t.stop().await;
}

#[tokio::test]
async fn proxy_mode_answers_502_when_the_app_is_down_and_keeps_the_event() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let t = spawn_app(&["--forward", &format!("http://{closed}/hooks")]).await;
    let r = raw(
        t.capture,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n",
        b"{}",
    )
    .await;
    assert_eq!(r.status, 502);
    let json = r.json();
    assert!(
        json["error"].as_str().expect("reason").contains("connect"),
        "{json}"
    );
    let id = json["id"].as_i64().expect("id");
    let a = finished_attempts(&t, id, 1).await;
    assert_eq!(a[0]["status"], serde_json::Value::Null);
    assert!(a[0]["error"].as_str().expect("error").contains("connect"));
    t.stop().await;
}

#[tokio::test]
async fn ack_mode_retries_on_the_schedule_and_stops_at_the_first_2xx() {
    let stub = Stub::start(Some(SECRET), &[500, 302, 204]).await;
    let t = spawn_app(&[
        "--secret",
        SECRET,
        "--forward",
        &stub.url("/app"),
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,50ms,50ms,50ms,50ms",
        "--respond-status",
        "202",
    ])
    .await;
    let body = fixture("cyberdesk/run_complete.success.json");
    let headers = svix_headers(SECRET, "msg_ack", now(), &body);
    let mut head = format!(
        "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let r = raw(t.capture, head.as_bytes(), &body).await;
    assert_eq!(r.status, 202, "the sender gets hookpit's answer at once");
    let id = r.json()["id"].as_i64().expect("id");

    let a = finished_attempts(&t, id, 3).await;
    let seen: Vec<(String, u64)> = a
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().expect("kind").to_string(),
                a["status"].as_u64().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("forward".into(), 500),
            ("retry".into(), 302),
            ("retry".into(), 204)
        ]
    );
    assert!(
        a[0]["next_retry_at"].is_string(),
        "a failure schedules the next try"
    );
    assert!(a[1]["next_retry_at"].is_string(), "3xx counts as a failure");
    assert_eq!(
        a[2]["next_retry_at"],
        serde_json::Value::Null,
        "success ends it"
    );
    let hits = stub.hits();
    assert_eq!(hits.len(), 3);
    // Every retry keeps the message id and is signed afresh, as Svix does.
    for h in &hits {
        assert_eq!(h.header("svix-id").as_deref(), Some("msg_ack"));
        assert_eq!(h.verdict.status, hookpit::verify::Status::Valid);
    }
    t.stop().await;
}

#[tokio::test]
async fn a_pending_retry_resumes_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("h.db");
    let db = db.to_str().expect("utf-8");
    // Reserve a port for the app, but keep it closed for the first try.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = reserved.local_addr().expect("addr").port();
    drop(reserved);
    let forward = format!("http://127.0.0.1:{port}/app");
    let flags = [
        "--db",
        db,
        "--forward",
        &forward,
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,1s",
    ];

    let t = spawn_app(&flags).await;
    let id = capture_post(&t, "/x", &[], b"{}").await;
    let first = finished_attempts(&t, id, 1).await;
    assert!(first[0]["error"].is_string());
    assert!(first[0]["next_retry_at"].is_string());
    t.stop().await;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind app port");
    let stub = Stub::start_on(listener, None, &[]);
    let t = spawn_app(&flags).await;
    let a = finished_attempts(&t, id, 2).await;
    assert_eq!(a[1]["kind"], "retry");
    assert_eq!(a[1]["status"], 200);
    assert_eq!(stub.hits().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn a_resigned_replay_of_an_hour_old_webhook_passes_and_verbatim_does_not() {
    let stub = Stub::start(Some(SECRET), &[]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let headers = svix_headers(SECRET, "msg_hour", now() - 3600, &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    assert_eq!(
        get_json(&t, &format!("/api/events/{id}")).await["verification"]["reason"],
        "timestamp_too_old"
    );

    let target = stub.url("/webhooks");
    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({ "target": target }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let attempt = r.json();
    assert_eq!(
        (attempt["kind"].as_str(), attempt["mode"].as_str()),
        (Some("replay"), Some("resign"))
    );
    assert_eq!(attempt["status"], 200);
    let hit = &stub.hits()[0];
    assert_eq!(
        hit.verdict.status,
        hookpit::verify::Status::Valid,
        "{}",
        hit.verdict.message
    );
    assert_eq!(hit.header("svix-id").as_deref(), Some("msg_hour"));
    assert_eq!(hit.body, body);

    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({ "target": target, "mode": "verbatim" }),
    )
    .await;
    assert_eq!(
        r.json()["status"],
        401,
        "the app rejects the stale original"
    );
    assert_eq!(
        stub.hits()[1].verdict.reason,
        Some(hookpit::verify::Reason::TimestampTooOld)
    );

    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({ "target": target, "new_id": true, "body": "{\"edited\":true}" }),
    )
    .await;
    assert_eq!(r.json()["status"], 200);
    let edited = &stub.hits()[2];
    assert_eq!(edited.body, "{\"edited\":true}");
    assert_ne!(edited.header("svix-id").as_deref(), Some("msg_hour"));
    assert_eq!(edited.verdict.status, hookpit::verify::Status::Valid);

    // The message's timeline shows the capture and its replays.
    let timeline = get_json(&t, "/api/messages/msg_hour").await;
    assert_eq!(
        timeline["deliveries"][0]["attempts"]
            .as_array()
            .expect("attempts")
            .len(),
        3
    );

    // Without a target or a signing key, the reason is said.
    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .expect("reason")
            .contains("--forward")
    );
    t.stop().await;
}

#[tokio::test]
async fn bulk_replay_sends_exactly_the_failed_ones_in_order() {
    let stub = Stub::start(None, &[200, 500, 200, 503, 200]).await;
    let t = spawn_app(&["--forward", &stub.url("/app")]).await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = format!("{{\"n\":{i}}}");
        let head = format!(
            "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
            body.len()
        );
        let r = raw(t.capture, head.as_bytes(), body.as_bytes()).await;
        ids.push(
            r.header("hookpit-event-id")
                .expect("id")
                .parse::<i64>()
                .expect("id"),
        );
    }
    let request =
        serde_json::json!({ "since": since.to_rfc3339(), "only_failed": true, "dry_run": true });
    let dry = post_json(&t, "/api/replay", &request).await.json();
    let listed: Vec<i64> = dry["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(listed, vec![ids[1], ids[3]]);
    assert_eq!(stub.hits().len(), 5, "a dry run sends nothing");

    let request =
        serde_json::json!({ "since": since.to_rfc3339(), "only_failed": true, "rate": 100.0 });
    let r = post_json(&t, "/api/replay", &request).await;
    assert_eq!(r.status, 202);
    assert_eq!(r.json()["total"], 2);
    let hits = eventually("two replays", || async {
        let hits = stub.hits();
        (hits.len() >= 7).then_some(hits)
    })
    .await;
    let replayed: Vec<&[u8]> = hits[5..].iter().map(|h| h.body.as_ref()).collect();
    assert_eq!(replayed, [b"{\"n\":1}".as_slice(), b"{\"n\":3}".as_slice()]);
    t.stop().await;
}

#[tokio::test]
async fn the_replay_command_asks_a_running_hookpit() {
    let stub = Stub::start(Some(SECRET), &[]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    let body = b"{\"event_type\":\"ping\"}";
    let headers = svix_headers(SECRET, "msg_cli", now() - 3600, body);
    let id = capture_post(&t, "/p", &as_refs(&headers), body).await;
    let run = |extra: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"));
        cmd.args([
            "replay",
            &id.to_string(),
            "--ui",
            &t.ui_origin(),
            "--to",
            &stub.url("/in"),
        ]);
        cmd.args(extra);
        cmd.output()
    };
    let ok = run(&[]).await.expect("runs");
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.contains("→ 200"), "{out}");
    let stale = run(&["--verbatim"]).await.expect("runs");
    assert!(!stale.status.success(), "the app's 401 is a failure");
    assert!(String::from_utf8_lossy(&stale.stderr).contains("401"));
    t.stop().await;
}

#[tokio::test]
async fn route_chaos_fails_on_purpose_and_forwarded_requests_are_not_forwarded_again() {
    let stub = Stub::start(None, &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("hookpit.toml");
    std::fs::write(&config, "[[route]]\npath = \"/flaky\"\nfail_rate = 1.0\n")
        .expect("write config");
    let t = spawn_app(&[
        "--config",
        config.to_str().expect("utf-8"),
        "--forward",
        &stub.url("/app"),
    ])
    .await;

    let r = raw(
        t.capture,
        b"POST /flaky HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n",
        b"{}",
    )
    .await;
    assert_eq!(r.status, 500, "failed on purpose");
    let id = r.json()["id"].as_i64().expect("still stored");
    assert_eq!(get_json(&t, &format!("/api/events/{id}")).await["id"], id);

    assert!(stub.hits().is_empty(), "the failed one was not forwarded");

    // A sender's own marker headers are just headers: forwarded, and stored as direct.
    let r = raw(
        t.capture,
        b"POST /loop HTTP/1.1\r\nHost: x\r\nHookpit-Forwarded: 1\r\nHookpit-Replay: 1\r\nContent-Length: 2\r\n",
        b"{}",
    )
    .await;
    assert_eq!(r.status, 200);
    let id = r.header("hookpit-event-id").expect("stored").to_string();
    assert_eq!(
        get_json(&t, &format!("/api/events/{id}")).await["source"],
        "direct"
    );
    let hits = stub.hits();
    assert_eq!(
        hits.len(),
        1,
        "a forged Hookpit-Forwarded stopped the forward"
    );
    // What hookpit forwarded carries its own marker; coming back, it is not sent on (no loop).
    let ours = hits[0]
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("hookpit-forwarded"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .find(|v| v != "1")
        .expect("hookpit's own marker");
    assert!(
        ours.len() >= 32,
        "a per-instance value, not a constant: {ours}"
    );
    let head = format!(
        "POST /loop HTTP/1.1\r\nHost: x\r\nHookpit-Forwarded: {ours}\r\nContent-Length: 2\r\n"
    );
    let r = raw(t.capture, head.as_bytes(), b"{}").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        stub.hits().len(),
        1,
        "hookpit's own forward came back and was sent on"
    );

    // hookpit's own replay, sent back to its capture port, is recorded as a replay.
    let capture = format!("http://{}/again", t.capture);
    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({ "target": capture, "mode": "verbatim" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let replayed = get_json(&t, "/api/events?path=/again").await;
    assert_eq!(replayed["events"][0]["source"], "replay", "{replayed}");
    t.stop().await;
}

/// Waits until event `id`'s delivery has ended: a finished attempt with no next try.
async fn delivery_ended(t: &TestApp, id: i64) -> Vec<serde_json::Value> {
    eventually(&format!("the end of event {id}'s delivery"), || async {
        let all = attempts(t, id).await;
        let ended = all.last().is_some_and(|a| {
            a["duration_ms"].is_number() && a["next_retry_at"] == serde_json::Value::Null
        });
        ended.then_some(all)
    })
    .await
}

#[tokio::test]
async fn ack_mode_retries_of_a_forged_webhook_never_carry_a_valid_signature() {
    let stub = Stub::start(Some(SECRET), &[]).await;
    let t = spawn_app(&[
        "--secret",
        SECRET,
        "--forward",
        &stub.url("/app"),
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,20ms,20ms",
    ])
    .await;
    let body = br#"{"type":"payout.created","amount":1000000}"#;
    let forged = "v1,Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtZnJvbS10aGUta2V5LWF0LWFsbA==";
    let ts = now().to_string();
    let id = capture_post(
        &t,
        "/c",
        &[
            ("svix-id", "msg_forged"),
            ("svix-timestamp", &ts),
            ("svix-signature", forged),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await;
    let event = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(event["verification"]["status"], "invalid", "{event}");

    let a = delivery_ended(&t, id).await;
    let hits = stub.hits();
    assert!(hits.len() >= 2, "retried: {a:?}");
    assert_eq!(hits.len(), a.len());
    for (n, h) in hits.iter().enumerate() {
        assert_ne!(
            h.verdict.status,
            hookpit::verify::Status::Valid,
            "try {} of a forged webhook passed the app's verification",
            n + 1
        );
        // Retried as the first try sent it: the sender's own signature and timestamp.
        assert_eq!(h.header("svix-signature").as_deref(), Some(forged));
        assert_eq!(h.header("svix-timestamp").as_deref(), Some(ts.as_str()));
    }
    t.stop().await;
}

#[tokio::test]
async fn ack_mode_answers_503_when_the_first_attempt_cannot_be_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hookpit.db");
    let stub = Stub::start(None, &[]).await;
    let t = spawn_app(&[
        "--db",
        db.to_str().expect("utf-8 path"),
        "--forward",
        &stub.url("/app"),
        "--forward-mode",
        "ack",
        "--respond-status",
        "202",
    ])
    .await;
    // A storage failure that hits attempts only: events still store.
    let sql = rusqlite::Connection::open(&db).expect("open the database");
    sql.execute_batch(
        "CREATE TRIGGER no_attempts BEFORE INSERT ON attempts \
         BEGIN SELECT RAISE(ABORT, 'injected attempt failure'); END;",
    )
    .expect("trigger");
    let post = || {
        raw(
            t.capture,
            b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n",
            b"{}",
        )
    };
    let r = post().await;
    assert_eq!(
        r.status,
        503,
        "acknowledged without a record: {}",
        text(&r.body)
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(
        r.json()["error"]
            .as_str()
            .expect("a reason")
            .contains("retry"),
        "{}",
        text(&r.body)
    );
    sql.execute_batch("DROP TRIGGER no_attempts").expect("drop");
    let r = post().await;
    assert_eq!(r.status, 202, "{}", text(&r.body));
    let id = r.json()["id"].as_i64().expect("id");
    finished_attempts(&t, id, 1).await;
    t.stop().await;
}

#[tokio::test]
async fn a_retry_that_hits_a_passing_store_failure_runs_once_the_store_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hookpit.db");
    let stub = Stub::start(None, &[500, 204]).await;
    let t = spawn_app(&[
        "--db",
        db.to_str().expect("utf-8 path"),
        "--forward",
        &stub.url("/app"),
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,50ms,50ms",
    ])
    .await;
    // Retries cannot be recorded for a while; the first try can.
    let sql = rusqlite::Connection::open(&db).expect("open the database");
    sql.execute_batch(
        "CREATE TRIGGER no_retries BEFORE INSERT ON attempts WHEN NEW.kind = 'retry' \
         BEGIN SELECT RAISE(ABORT, 'injected retry failure'); END;",
    )
    .expect("trigger");
    let id = capture_post(&t, "/c", &[], b"{}").await;
    let first = finished_attempts(&t, id, 1).await;
    assert_eq!(first[0]["status"], 500);
    // Long enough for the retry, due 50 ms later, to have failed to start.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(stub.hits().len(), 1, "no retry while the store refuses it");
    sql.execute_batch("DROP TRIGGER no_retries").expect("drop");

    let a = finished_attempts(&t, id, 2).await;
    assert_eq!(a[1]["kind"], "retry");
    assert_eq!(a[1]["status"], 204, "{a:?}");
    t.stop().await;
}
