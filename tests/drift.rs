//! Schema drift end to end: a server on 127.0.0.1:0 learns a kind of event from the webhooks it
//! captures, marks one with a missing field and a changed type (summary `drift`, `is:drift`),
//! serves what it learned (`/api/schemas`, JSON Schema), keeps it across a restart, and checks
//! `hookpit send` templates against real events of their type without learning from them.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// The learner works after the commit: waits (bounded) until `check` holds for `GET path`.
async fn eventually(t: &TestApp, path: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let v = get_json(t, path).await;
        if check(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what}: not within 5 s; last {}", get_json(t, path).await);
}

fn order(amount: Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"type": "order.paid", "amount": amount, "customer": {"id": "cus_1"}}),
    )
    .expect("json")
}

fn ids(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_missing_field_and_a_type_change_are_drift_in_the_summary_and_in_search() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("drift.db");
    let db = db.to_str().expect("utf-8 path");
    let t = spawn_app(&["--db", db]).await;
    let mut regular = Vec::new();
    for n in 0..5 {
        regular.push(capture_post(&t, "/shop", &[], &order(json!(n))).await);
    }
    let odd = capture_post(
        &t,
        "/shop",
        &[],
        br#"{"type": "order.paid", "amount": "12.00", "customer": {}}"#,
    )
    .await;
    let summary = eventually(
        &t,
        &format!("/api/events/{odd}"),
        "drift on the odd event",
        |e| e["drift"].is_array(),
    )
    .await;
    assert_eq!(
        summary["drift"],
        json!([
            {"path": "/amount", "op": "type", "was": "number", "now": "string"},
            {"path": "/customer/id", "op": "missing", "was": "string"},
        ])
    );
    // The learner has read everything by now: the regular ones have no drift.
    for id in &regular {
        assert_eq!(
            get_json(&t, &format!("/api/events/{id}")).await["drift"],
            Value::Null
        );
    }
    let found = get_json(&t, "/api/events?q=is%3Adrift").await;
    assert_eq!(ids(&found), vec![odd]);
    let found = get_json(&t, "/api/events?q=is%3Adrift%20type%3Aorder.paid").await;
    assert_eq!(ids(&found), vec![odd]);

    // What was learned, listed and in detail.
    let kinds = get_json(&t, "/api/schemas").await;
    assert_eq!(
        kinds,
        json!([{"key": "/shop order.paid", "route": "/shop", "event_type": "order.paid",
            "events": 6, "fields": 5, "last_drift_id": odd}])
    );
    let kind = get_json(&t, "/api/schemas/%2Fshop%20order.paid").await;
    let id_field = kind["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["path"] == "/customer/id")
        .expect("/customer/id learned")
        .clone();
    assert_eq!(
        id_field,
        json!({"path": "/customer/id", "types": ["string"], "seen": 5, "of": 6, "example": "cus_1"})
    );
    let schema = &kind["json_schema"];
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["properties"]["amount"]["type"],
        json!(["number", "string"])
    );
    assert_eq!(schema["required"], json!(["amount", "customer", "type"]));
    let missing = ui_request(&t, "GET", "/api/schemas/nope", &[], b"").await;
    assert_eq!(missing.status, 404);
    t.stop().await;

    // What was learned survives a restart, and drift is still judged against it.
    let t = spawn_app(&["--db", db]).await;
    let kinds = get_json(&t, "/api/schemas").await;
    assert_eq!(kinds[0]["events"], 6);
    let again = capture_post(&t, "/shop", &[], br#"{"type": "order.paid", "amount": 1}"#).await;
    let summary = eventually(
        &t,
        &format!("/api/events/{again}"),
        "drift after a restart",
        |e| e["drift"].is_array(),
    )
    .await;
    assert_eq!(
        summary["drift"],
        json!([{"path": "/customer", "op": "missing", "was": "object"}])
    );
    eventually(&t, "/api/schemas", "the seventh event learned", |k| {
        k[0]["events"] == 7
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_send_template_is_checked_against_real_events_and_not_learned() {
    let t = spawn_app(&[]).await;
    // Real run_complete events on /cyberdesk, from a sender whose payload has a field the
    // template lacks and lacks one the template has.
    let real = json!({"event_type": "run_complete", "run": {"id": "r", "status": "success"}, "tenant": "acme"});
    for _ in 0..5 {
        capture_post(&t, "/cyberdesk", &[], real.to_string().as_bytes()).await;
    }
    let resp = post_json(
        &t,
        "/api/send",
        &json!({"template": "run_complete", "status": "success", "secret": SECRET, "path": "/cyberdesk"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let sent = resp.json()["id"].as_i64().expect("id");
    let summary = eventually(
        &t,
        &format!("/api/events/{sent}"),
        "the template checked",
        |e| e["drift"].is_array(),
    )
    .await;
    let drift = summary["drift"].as_array().expect("drift");
    assert!(
        drift
            .iter()
            .any(|d| d["path"] == "/tenant" && d["op"] == "missing"),
        "{drift:?}"
    );
    assert!(drift.iter().any(|d| d["op"] == "new"), "{drift:?}");
    // The template taught nothing: the kind still has the five real events.
    let kinds = get_json(&t, "/api/schemas").await;
    assert_eq!(kinds[0]["key"], "/cyberdesk run_complete");
    assert_eq!(kinds[0]["events"], 5);
    assert_eq!(kinds[0]["last_drift_id"], Value::Null);
    t.stop().await;
}

#[tokio::test]
async fn a_gzip_body_is_learned_as_stored_which_is_not_json() {
    use std::io::Write;
    let t = spawn_app(&[]).await;
    for n in 0..5 {
        capture_post(&t, "/shop", &[], &order(json!(n))).await;
    }
    // Stored as sent, compressed: not JSON as stored, so neither learned nor marked.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"type": "order.paid", "amount": "odd"}"#)
        .expect("gzip");
    let gz = gz.finish().expect("gzip");
    let zipped = capture_post(&t, "/shop", &[("Content-Encoding", "gzip")], &gz).await;
    capture_post(&t, "/shop", &[], &order(json!(6))).await;
    // Learned in id order: once the sixth JSON event is learned, the gzip one was read.
    let kinds = eventually(&t, "/api/schemas", "the sixth event learned", |k| {
        k[0]["events"] == 6
    })
    .await;
    assert_eq!(kinds.as_array().map(Vec::len), Some(1), "{kinds}");
    let e = get_json(&t, &format!("/api/events/{zipped}")).await;
    assert_eq!(e["drift"], Value::Null);
    t.stop().await;
}

#[tokio::test]
async fn events_stored_before_the_learner_saw_them_are_learned_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("backlog.db");
    let db = db.to_str().expect("utf-8 path");
    let t = spawn_app(&["--db", db]).await;
    for n in 0..5 {
        capture_post(&t, "/shop", &[], &order(json!(n))).await;
    }
    let odd = capture_post(&t, "/shop", &[], br#"{"type": "order.paid", "amount": 1}"#).await;
    eventually(&t, "/api/schemas", "all six learned", |k| {
        k[0]["events"] == 6
    })
    .await;
    t.stop().await;
    // As if the events had been stored by a hookpit without the learner (an upgrade).
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.execute_batch(
        "DELETE FROM schemas; DELETE FROM event_drift; DELETE FROM meta WHERE key = 'schema_cursor';",
    )
    .expect("forget what was learned");
    drop(conn);

    let t = spawn_app(&["--db", db]).await;
    let summary = eventually(&t, &format!("/api/events/{odd}"), "drift read back", |e| {
        e["drift"].is_array()
    })
    .await;
    assert_eq!(
        summary["drift"],
        json!([{"path": "/customer", "op": "missing", "was": "object"}])
    );
    let kinds = get_json(&t, "/api/schemas").await;
    assert_eq!(kinds[0]["events"], 6);
    t.stop().await;
}
