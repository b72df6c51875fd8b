//! `GET /api/diff`: two stored webhooks compared, bodies by JSON structure or by line, headers by
//! name; and clear errors for ids that are missing, malformed or unknown.

mod common;

use common::*;
use serde_json::{Value, json};

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// Sends a `run_complete` template through `POST /api/send`; returns the stored id.
async fn send_run(t: &TestApp, status: &str) -> i64 {
    let resp = post_json(
        t,
        "/api/send",
        &json!({"template": "run_complete", "status": status, "secret": SECRET, "path": "/cyberdesk"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()["id"].as_i64().expect("id")
}

fn change<'a>(changes: &'a Value, key: &str, value: &str) -> Option<&'a Value> {
    changes
        .as_array()
        .expect("a list of changes")
        .iter()
        .find(|c| c[key] == value)
}

#[tokio::test]
async fn a_success_and_a_task_failed_run_differ_in_run_status() {
    let t = spawn_app(&[]).await;
    let ok = send_run(&t, "success").await;
    let failed = send_run(&t, "task_failed").await;
    let d = get_json(&t, &format!("/api/diff?a={ok}&b={failed}")).await;
    assert_eq!(d["body"]["kind"], "json");
    let status = change(&d["body"]["changes"], "path", "/run/status").expect("/run/status changed");
    assert_eq!(status["op"], "change");
    assert_eq!(status["a"], "success");
    assert_eq!(status["b"], "task_failed");
    // Each send is a new message: its id and signature differ, compared by name.
    let msg = change(&d["headers"], "name", "svix-id").expect("svix-id differs");
    assert_eq!(msg["op"], "change");
    assert!(msg["a"].is_string() && msg["b"].is_string() && msg["a"] != msg["b"]);
    // An event compared with itself has no difference.
    let same = get_json(&t, &format!("/api/diff?a={ok}&b={ok}")).await;
    assert_eq!(same["body"]["changes"], json!([]));
    assert_eq!(same["headers"], json!([]));
    t.stop().await;
}

#[tokio::test]
async fn text_bodies_are_compared_by_line_and_headers_case_insensitively() {
    let t = spawn_app(&[]).await;
    let a = capture_post(
        &t,
        "/form",
        &[("X-Kind", "one"), ("X-Gone", "1")],
        b"a=1\nb=2\nc=3",
    )
    .await;
    let b = capture_post(
        &t,
        "/form",
        &[("x-kind", "one"), ("X-New", "2")],
        b"a=1\nb=9\nc=3\nd=4",
    )
    .await;
    let d = get_json(&t, &format!("/api/diff?a={a}&b={b}")).await;
    assert_eq!(d["body"]["kind"], "text");
    assert_eq!(
        d["body"]["changes"],
        json!([
            {"path": "/2", "op": "change", "a": "b=2", "b": "b=9"},
            {"path": "/4", "op": "add", "b": "d=4"},
        ])
    );
    assert!(change(&d["headers"], "name", "x-kind").is_none(), "{d}");
    let gone = change(&d["headers"], "name", "x-gone").expect("x-gone");
    assert_eq!(
        (&gone["op"], &gone["a"], gone.get("b")),
        (&json!("remove"), &json!("1"), None)
    );
    let new = change(&d["headers"], "name", "x-new").expect("x-new");
    assert_eq!(
        (&new["op"], &new["b"], new.get("a")),
        (&json!("add"), &json!("2"), None)
    );
    t.stop().await;
}

#[tokio::test]
async fn missing_malformed_and_unknown_ids_are_clear_errors() {
    let t = spawn_app(&[]).await;
    let id = capture_post(&t, "/x", &[], b"{}").await;
    for (query, status, says) in [
        ("".to_string(), 400, "?a=ID&b=ID"),
        (format!("?a={id}"), 400, "?a=ID&b=ID"),
        (
            format!("?a={id}&b=seven"),
            400,
            "\"seven\" is not an event id",
        ),
        (format!("?a=-&b={id}"), 400, "is not an event id"),
        (format!("?a={id}&b=999999"), 404, "no event with id 999999"),
        (format!("?a=424242&b={id}"), 404, "no event with id 424242"),
    ] {
        let resp = ui_request(&t, "GET", &format!("/api/diff{query}"), &[], b"").await;
        assert_eq!(resp.status, status, "{query}");
        let error = resp.json()["error"]
            .as_str()
            .expect("an error message")
            .to_string();
        assert!(error.contains(says), "{query}: {error}");
    }
    t.stop().await;
}
