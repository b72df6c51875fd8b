//! Svix transformations run locally (issue "Cyberdesk-native" part 3): `POST
//! /api/events/{id}/transform` on stored Cyberdesk webhooks, forwards and replays through a
//! route with `transformation = "FILE.js"` (the app checks the signature over the transformed
//! body with Python's official `svix` package, tests/interop/svix_interop.py), a cancel that
//! sends nothing, and the startup errors of a missing or broken file.

mod common;

use common::stub::{Stub, eventually};
use common::{TestApp, capture_post, fixture, get_json, post_json, spawn_app, svix_headers};
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/svix_interop.py");

/// The README's example: drop the run's message history, tag the payload, keep the rest.
const DROP_HISTORY: &str = "// Svix transformation: drop the large message history.\nfunction handler(webhook) {\n  delete webhook.payload.run.run_message_history;\n  webhook.payload.transformed = true;\n  return webhook;\n}\n";

/// A routes file in a temp dir with `/cyberdesk` forwarding to `target` through `code`.
fn route_with(dir: &std::path::Path, target: &str, code: &str) -> String {
    std::fs::write(dir.join("handler.js"), code).expect("write handler");
    let toml = format!(
        "[[route]]\npath = \"/cyberdesk\"\nsecrets = [\"{SECRET}\"]\nforward = \"{target}\"\ntransformation = \"handler.js\"\n"
    );
    let path = dir.join("hookpit.toml");
    std::fs::write(&path, toml).expect("write routes");
    path.to_string_lossy().into_owned()
}

/// Captures the Cyberdesk success fixture, signed now; its id.
async fn capture_fixture(t: &TestApp, msg_id: &str) -> i64 {
    capture_signed(t, "cyberdesk/run_complete.success.json", msg_id).await
}

/// POSTs a Cyberdesk fixture signed now to `/cyberdesk`; the stored id (from
/// `Hookpit-Event-Id`: when proxying, the body is the app's).
async fn capture_signed(t: &TestApp, name: &str, msg_id: &str) -> i64 {
    let body = fixture(name);
    let now = chrono::Utc::now().timestamp();
    let mut head = format!(
        "POST /cyberdesk HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        t.capture,
        body.len()
    );
    for (n, v) in svix_headers(SECRET, msg_id, now, &body) {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let resp = common::raw(t.capture, head.as_bytes(), &body).await;
    assert!(
        (200..300).contains(&resp.status),
        "capture answered {}",
        resp.status
    );
    resp.header("hookpit-event-id")
        .and_then(|v| v.parse().ok())
        .expect("event id")
}

/// The attempts of event `id` once `n` of them have finished (or been skipped).
async fn settled(t: &TestApp, id: i64, n: usize) -> Vec<Value> {
    eventually(&format!("{n} finished attempts of event {id}"), || async {
        let all = get_json(t, &format!("/api/events/{id}")).await["attempts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let done = all.len() == n
            && all.iter().all(|a| {
                !a["skipped"].is_null() || !a["status"].is_null() || !a["error"].is_null()
            });
        done.then_some(all)
    })
    .await
}

/// A request the app received: a name for it, its headers, its body.
type Delivered = (String, Vec<(String, Vec<u8>)>, Vec<u8>);

/// Checks each `(name, headers, body)` with `svix.webhooks.Webhook(SECRET).verify`; how many
/// it verified. `None` (and a loud skip) without Python's svix.
fn svix_verifies(deliveries: &[Delivered]) -> Option<usize> {
    if !common::python_svix_available() {
        return None;
    }
    let cases: Vec<Value> = deliveries
        .iter()
        .map(|(name, headers, body)| {
            let headers: serde_json::Map<String, Value> = headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), json!(String::from_utf8_lossy(v))))
                .collect();
            json!({"name": name, "body": String::from_utf8_lossy(body), "headers": headers, "expect": "valid"})
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&cases).expect("json")).expect("write cases");
    let out = std::process::Command::new("python3")
        .args([SCRIPT, "verify", &file.to_string_lossy(), SECRET])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(report["wrong"], json!([]), "{report}");
    report["verified"].as_u64().map(|n| n as usize)
}

#[tokio::test]
async fn the_api_runs_given_code_on_a_stored_cyberdesk_webhook() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let id = capture_fixture(&t, "msg_api").await;
    let path = format!("/api/events/{id}/transform");

    let ok = post_json(&t, &path, &json!({"code": DROP_HISTORY})).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let ok = ok.json();
    assert_eq!(ok["method"], "POST");
    assert_eq!(
        ok["url"], "/cyberdesk",
        "no forward target: the captured path"
    );
    assert_eq!(ok["cancel"], false);
    assert!(ok.get("error").is_none(), "{ok}");
    assert_eq!(ok["payload"]["transformed"], true);
    assert!(ok["payload"]["run"].get("run_message_history").is_none());
    assert_eq!(ok["payload"]["run"]["status"], "success");
    assert_eq!(ok["input"]["eventType"], "run_complete");
    assert!(
        ok["input"]["payload"]["run"]
            .get("run_message_history")
            .is_some()
    );
    assert_eq!(ok["transformation"], Value::Null);

    let broken = "function handler(webhook) {\n  const run = webhook.payload.runs;\n  run.status = 'x';\n  return webhook;\n}";
    let err = post_json(&t, &path, &json!({"code": broken})).await.json();
    assert_eq!(err["error"]["line"], 3, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("TypeError")),
        "{err}"
    );
    assert_eq!(err["payload"], Value::Null);

    let cancel = "function handler(w) { w.cancel = w.payload.run.status === 'success'; return w; }";
    let cancelled = post_json(&t, &path, &json!({"code": cancel})).await.json();
    assert_eq!(cancelled["cancel"], true, "{cancelled}");

    let slow = post_json(
        &t,
        &path,
        &json!({"code": "function handler(w) { for (;;) {} }"}),
    )
    .await;
    assert!(
        slow.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("stopped after 1 s"))
    );

    // No code and no route transformation: a clear 400; a missing event: 404; junk: 400.
    let none = common::ui_request(&t, "POST", &path, &[], b"").await;
    assert_eq!(none.status, 400);
    assert!(String::from_utf8_lossy(&none.body).contains("transformation = \\\"FILE.js\\\""));
    let missing = post_json(
        &t,
        "/api/events/999999/transform",
        &json!({"code": DROP_HISTORY}),
    )
    .await;
    assert_eq!(missing.status, 404);
    let unknown = post_json(&t, &path, &json!({"script": DROP_HISTORY})).await;
    assert_eq!(unknown.status, 400);

    // A body that is not JSON has no payload to hand over: said plainly, with no line.
    let text = capture_post(&t, "/plain", &[("Content-Type", "text/plain")], b"hello").await;
    let plain = post_json(
        &t,
        &format!("/api/events/{text}/transform"),
        &json!({"code": DROP_HISTORY}),
    )
    .await
    .json();
    assert!(
        plain["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("the body is not JSON")),
        "{plain}"
    );
    assert_eq!(plain["error"]["line"], Value::Null);
    assert_eq!(plain["input"], Value::Null);
    t.stop().await;
}

#[tokio::test]
async fn a_forward_and_a_replay_send_the_transformed_body_signed_as_svix_would() {
    let app = Stub::start(Some(SECRET), &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let target = app.url("/hooks");
    let config = route_with(dir.path(), &target, DROP_HISTORY);
    let t = spawn_app(&["--config", &config]).await;
    let id = capture_fixture(&t, "msg_forwarded").await;

    // The route's own transformation, without code.
    let preview = post_json(&t, &format!("/api/events/{id}/transform"), &json!({}))
        .await
        .json();
    assert_eq!(preview["url"], target.clone());
    assert_eq!(preview["transformation"]["file"], "handler.js");
    assert_eq!(preview["transformation"]["code"], DROP_HISTORY);
    assert_eq!(preview["payload"]["transformed"], true);

    let forwarded = settled(&t, id, 1).await;
    assert_eq!(forwarded[0]["status"], 200, "{}", forwarded[0]);
    let replayed = post_json(&t, &format!("/api/events/{id}/replay"), &json!({})).await;
    assert_eq!(replayed.status, 200);
    let replayed = replayed.json();
    assert_eq!(replayed["status"], 200, "{replayed}");

    let hits = app.hits();
    assert_eq!(hits.len(), 2);
    for (hit, attempt) in hits.iter().zip([&forwarded[0], &replayed]) {
        let body: Value = serde_json::from_slice(&hit.body).expect("JSON body");
        assert_eq!(body["transformed"], true);
        assert!(body["run"].get("run_message_history").is_none());
        assert_eq!(
            hit.header("svix-id").as_deref(),
            Some("msg_forwarded"),
            "the id stays"
        );
        assert_eq!(
            hit.verdict.status,
            hookpit::verify::Status::Valid,
            "{:?}",
            hit.verdict
        );
        // The attempt stores what was sent, and keeps the configured target for its queue.
        assert_eq!(attempt["target"], target.clone());
        assert_eq!(attempt["transformed"]["method"], "POST");
        assert_eq!(attempt["transformed"]["url"], target.clone());
        let stored = attempt["transformed"]["body"]["data"]
            .as_str()
            .expect("utf8 body");
        assert_eq!(stored.as_bytes(), &hit.body[..]);
    }
    let deliveries: Vec<_> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| (format!("delivery {i}"), h.headers.clone(), h.body.to_vec()))
        .collect();
    if let Some(verified) = svix_verifies(&deliveries) {
        assert_eq!(verified, 2, "svix verified both transformed deliveries");
    }
    // The stored webhook itself is untouched.
    let event = get_json(&t, &format!("/api/events/{id}")).await;
    assert!(
        event["body"]["data"]
            .as_str()
            .is_some_and(|b| b.contains("run_message_history"))
    );
    t.stop().await;
}

#[tokio::test]
async fn the_transformation_chooses_method_and_url() {
    let app = Stub::start(Some(SECRET), &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let elsewhere = app.url("/elsewhere");
    let code = format!(
        "function handler(w) {{ w.method = 'PUT'; w.url = {elsewhere:?} + '?run=' + w.payload.run.id; w.payload = {{ id: w.payload.run.id }}; return w; }}"
    );
    let config = route_with(dir.path(), &app.url("/hooks"), &code);
    let t = spawn_app(&["--config", &config, "--forward-mode", "ack"]).await;
    let id = capture_fixture(&t, "msg_put").await;
    let attempts = settled(&t, id, 1).await;
    assert_eq!(attempts[0]["status"], 200, "{}", attempts[0]);
    let hits = app.hits();
    assert_eq!(hits[0].method, "PUT");
    assert_eq!(
        hits[0].path_and_query,
        "/elsewhere?run=b7e3c1a2-5d4f-4e8a-9c21-7f6a0d3e2b18"
    );
    assert_eq!(
        &hits[0].body[..],
        br#"{"id":"b7e3c1a2-5d4f-4e8a-9c21-7f6a0d3e2b18"}"#
    );
    assert_eq!(hits[0].verdict.status, hookpit::verify::Status::Valid);
    assert_eq!(attempts[0]["transformed"]["method"], "PUT");
    t.stop().await;
}

#[tokio::test]
async fn cancel_sends_nothing_and_says_so() {
    let app = Stub::start(Some(SECRET), &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let code = "function handler(webhook) {\n  webhook.cancel = webhook.payload.run.status === 'success';\n  return webhook;\n}\n";
    let config = route_with(dir.path(), &app.url("/hooks"), code);
    for mode in ["ack", "proxy"] {
        let t = spawn_app(&["--config", &config, "--forward-mode", mode]).await;
        let id = capture_fixture(&t, &format!("msg_cancel_{mode}")).await;
        let attempts = settled(&t, id, 1).await;
        assert_eq!(
            attempts[0]["skipped"], "transformation handler.js set cancel = true",
            "{}",
            attempts[0]
        );
        assert_eq!(attempts[0]["status"], Value::Null);
        assert_eq!(attempts[0]["next_retry_at"], Value::Null, "never retried");
        let replayed = post_json(&t, &format!("/api/events/{id}/replay"), &json!({}))
            .await
            .json();
        assert_eq!(replayed["kind"], "replay");
        assert_eq!(
            replayed["skipped"],
            "transformation handler.js set cancel = true"
        );
        // A failed task_failed run is not cancelled: it goes out.
        let failed = "cyberdesk/run_complete.task_failed.json";
        let sent = capture_signed(&t, failed, &format!("msg_failed_{mode}")).await;
        let went = settled(&t, sent, 1).await;
        assert_eq!(went[0]["status"], 200, "{}", went[0]);
        t.stop().await;
    }
    assert_eq!(
        app.hits().len(),
        2,
        "only the two task_failed runs reached the app"
    );
}

#[tokio::test]
async fn a_failing_transformation_is_a_failed_try_with_its_line() {
    let app = Stub::start(Some(SECRET), &[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let code = "function handler(webhook) {\n  if (webhook.payload.run.status === 'success') {\n    throw new Error('no successes today');\n  }\n  return webhook;\n}\n";
    let config = route_with(dir.path(), &app.url("/hooks"), code);
    let t = spawn_app(&["--config", &config, "--forward-mode", "ack"]).await;
    let id = capture_fixture(&t, "msg_throws").await;
    let attempts = settled(&t, id, 1).await;
    assert_eq!(
        attempts[0]["error"],
        "transformation handler.js failed: Error: no successes today (line 3)"
    );
    assert!(
        !attempts[0]["next_retry_at"].is_null(),
        "retried like any failed try"
    );
    assert!(app.hits().is_empty());
    t.stop().await;
}

#[tokio::test]
async fn a_missing_or_broken_file_stops_hookpit_at_start_naming_route_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = route_with(
        dir.path(),
        "http://127.0.0.1:9/hooks",
        "function handler(w) {\n  return w +* 1;\n}\n",
    );
    let out = common::run_hookpit(&["serve", "--config", &config, "--db", ":memory:"], b"").await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("route /cyberdesk transformation "),
        "{stderr}"
    );
    assert!(
        stderr.contains("SyntaxError") && stderr.contains("(line 2)"),
        "{stderr}"
    );
    std::fs::remove_file(dir.path().join("handler.js")).expect("remove");
    let out = common::run_hookpit(&["serve", "--config", &config, "--db", ":memory:"], b"").await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("route /cyberdesk transformation: cannot read "),
        "{stderr}"
    );
    assert!(stderr.contains("handler.js"), "{stderr}");
}
