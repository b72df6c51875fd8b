//! Cyberdesk sessions through the real server: `run_complete` webhooks of a chain (the fixtures
//! with one session id, a run id per step) become one timeline per session, each run once with
//! its latest outcome; the chain's early stop, its release and the expected runs that never
//! reported; `PUT …/expected` refuses bad input and keeps what it stored; `session:` searches.

mod common;

use common::chain::{Step, run_complete};
use common::*;
use serde_json::{Value, json};

/// A chain that stops at step 2 of 4 (the release step never runs).
const STOPPED: &str = "5f1d7c3a-8e2b-4a6f-9c0d-1b3e5a7c9f20";
/// A chain of 2 that runs to its end and releases the session; its first run was retried.
const RELEASED: &str = "9a2e4c6b-1d3f-4b5a-8e7c-0f2a4c6e8b13";

const R1: &str = "11111111-0000-4000-8000-000000000001";
const R2: &str = "11111111-0000-4000-8000-000000000002";
const R3: &str = "11111111-0000-4000-8000-000000000003";
const R4: &str = "11111111-0000-4000-8000-000000000004";
const B1: &str = "22222222-0000-4000-8000-000000000001";
const B2: &str = "22222222-0000-4000-8000-000000000002";

fn step<'a>(run_id: &'a str, status: &'a str, release: bool, minute: u32) -> Step<'a> {
    Step {
        run_id,
        status,
        release,
        minute,
    }
}

/// Posts one step as Cyberdesk (through Svix) would, with message id `msg_id`.
async fn deliver(t: &TestApp, session: &str, s: &Step<'_>, msg_id: &str) -> i64 {
    capture_post(
        t,
        "/cyberdesk",
        &[("content-type", "application/json"), ("svix-id", msg_id)],
        &run_complete(session, s),
    )
    .await
}

/// Both chains; returns the event ids in the order they were sent.
async fn deliver_chains(t: &TestApp) -> Vec<i64> {
    let mut ids = Vec::new();
    // The stopped chain: step 1, delivered twice (a Svix retry of the same message), then step
    // 2 fails its post-run check; steps 3 and 4 never report.
    ids.push(deliver(t, STOPPED, &step(R1, "success", false, 40), R1).await);
    ids.push(deliver(t, STOPPED, &step(R1, "success", false, 40), R1).await);
    ids.push(deliver(t, STOPPED, &step(R2, "task_failed", false, 41), R2).await);
    // The released chain: its first run failed, was retried (a new message id, the same run)
    // and succeeded; the last step releases the session.
    ids.push(deliver(t, RELEASED, &step(B1, "task_failed", false, 50), B1).await);
    let retried = format!("{B1}_1764183060000");
    ids.push(deliver(t, RELEASED, &step(B1, "success", false, 51), &retried).await);
    ids.push(deliver(t, RELEASED, &step(B2, "success", true, 52), B2).await);
    // Not part of any session.
    ids.push(
        capture_post(
            t,
            "/cyberdesk",
            &[],
            &fixture("cyberdesk/run_complete.success.json"),
        )
        .await,
    );
    ids
}

fn run_ids(timeline: &Value) -> Vec<&str> {
    timeline["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["run_id"].as_str().expect("run_id"))
        .collect()
}

async fn put_expected(t: &TestApp, session: &str, body: &[u8]) -> RawResponse {
    ui_request(
        t,
        "PUT",
        &format!("/api/sessions/{session}/expected"),
        &["Content-Type: application/json"],
        body,
    )
    .await
}

#[tokio::test]
async fn a_chain_is_one_timeline_with_its_stop_its_release_and_its_missing_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let db = db.to_str().expect("utf-8 path");
    let t = spawn_app(&["--db", db]).await;
    let ids = deliver_chains(&t).await;

    let list = get_json(&t, "/api/sessions").await;
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 2, "{list:?}");
    // Most recently active first.
    assert_eq!(list[0]["session_id"], RELEASED);
    assert_eq!(list[0]["runs"], 2, "a retried run counts once");
    assert_eq!(list[0]["released"], true);
    assert_eq!(list[0]["stopped_early"], false, "the retry succeeded");
    assert_eq!(list[1]["session_id"], STOPPED);
    assert_eq!(list[1]["runs"], 2, "a redelivered run counts once");
    assert_eq!(list[1]["released"], false);
    assert_eq!(list[1]["stopped_early"], true);
    let first_event = get_json(&t, &format!("/api/events/{}", ids[0])).await;
    let third_event = get_json(&t, &format!("/api/events/{}", ids[2])).await;
    assert_eq!(list[1]["first_at"], first_event["received_at"]);
    assert_eq!(list[1]["last_at"], third_event["received_at"]);

    let stopped = get_json(&t, &format!("/api/sessions/{STOPPED}")).await;
    assert_eq!(stopped["session_id"], STOPPED);
    assert_eq!(run_ids(&stopped), [R1, R2]);
    let r1 = &stopped["runs"][0];
    assert_eq!(r1["event_id"], ids[1], "the newest delivery is the outcome");
    assert_eq!(r1["status"], "success");
    assert_eq!(r1["started_at"], "2026-11-26T18:40:00.000Z");
    assert_eq!(r1["ended_at"], "2026-11-26T18:40:30.250Z");
    assert_eq!(r1["duration_ms"], 30_250);
    assert_eq!(r1["failed_checks"], json!([]));
    assert_eq!(r1["release_session_after"], false);
    let r2 = &stopped["runs"][1];
    assert_eq!(r2["status"], "task_failed");
    assert_eq!(
        r2["failed_checks"],
        json!([{
            "name": "Confirmation PDF saved",
            "type": "run_attachment_exists",
            "status": "failed",
            "error_message": "Expected 1 matching attachment, found 0",
        }])
    );
    assert_eq!(stopped["stopped_early_at"], R2);
    assert_eq!(stopped["released"], false);
    assert_eq!(
        stopped["missing"],
        json!([]),
        "nothing is missing until told the chain"
    );
    assert!(stopped.get("expected").is_none(), "{stopped}");

    // The chain as `client.runs.chain(...)` returned it.
    let resp = put_expected(
        &t,
        STOPPED,
        json!({"run_ids": [R1, R2, R3, R4]}).to_string().as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    let told = resp.json();
    assert_eq!(told["expected"], json!([R1, R2, R3, R4]));
    assert_eq!(told["missing"], json!([R3, R4]));
    assert_eq!(told["stopped_early_at"], R2);

    let released = get_json(&t, &format!("/api/sessions/{RELEASED}")).await;
    assert_eq!(run_ids(&released), [B1, B2]);
    assert_eq!(
        released["runs"][0]["status"], "success",
        "the retry's outcome"
    );
    assert_eq!(released["runs"][0]["event_id"], ids[4]);
    assert_eq!(released["runs"][1]["release_session_after"], true);
    assert_eq!(released["released"], true);
    assert!(released.get("stopped_early_at").is_none(), "{released}");

    // The event list's summary carries the session.
    let page = get_json(&t, "/api/events").await;
    let summary = |id: i64| {
        page["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["id"] == id)
            .cloned()
            .expect("listed")
    };
    assert_eq!(summary(ids[5])["run"]["session_id"], RELEASED);
    assert_eq!(summary(ids[5])["run"]["release_session_after"], true);
    assert_eq!(summary(ids[2])["run"]["release_session_after"], false);
    assert_eq!(summary(ids[6])["run"]["session_id"], Value::Null);

    // The expected chain is in the store: it outlives a restart.
    t.stop().await;
    let t = spawn_app(&["--db", db]).await;
    let again = get_json(&t, &format!("/api/sessions/{STOPPED}")).await;
    assert_eq!(again["expected"], json!([R1, R2, R3, R4]));
    assert_eq!(again["missing"], json!([R3, R4]));
    // With the chain known, a failure at its last step is no early stop.
    let resp = put_expected(
        &t,
        STOPPED,
        json!({"run_ids": [R1, R2]}).to_string().as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert!(resp.json().get("stopped_early_at").is_none());
    let list = get_json(&t, "/api/sessions").await;
    assert_eq!(
        list[1]["stopped_early"], false,
        "the list judges as the timeline"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_expected_chain_comes_before_its_webhooks_and_deleting_events_takes_runs_away() {
    let t = spawn_app(&[]).await;
    let resp = put_expected(
        &t,
        STOPPED,
        json!({"run_ids": [R1, R2]}).to_string().as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    assert_eq!(resp.json()["missing"], json!([R1, R2]));
    let list = get_json(&t, "/api/sessions").await;
    assert_eq!(list[0]["session_id"], STOPPED);
    assert_eq!(list[0]["runs"], 0);
    assert_eq!(list[0]["first_at"], Value::Null);

    let id = deliver(&t, STOPPED, &step(R1, "success", false, 40), R1).await;
    let timeline = get_json(&t, &format!("/api/sessions/{STOPPED}")).await;
    assert_eq!(timeline["missing"], json!([R2]));
    let resp = ui_request(&t, "DELETE", &format!("/api/events/{id}"), &[], b"").await;
    assert_eq!(resp.status, 200);
    let timeline = get_json(&t, &format!("/api/sessions/{STOPPED}")).await;
    assert_eq!(timeline["runs"], json!([]), "the run went with its event");
    assert_eq!(timeline["missing"], json!([R1, R2]));

    // Forgetting the chain of a session no webhook names: then hookpit knows nothing of it.
    let resp = put_expected(&t, STOPPED, br#"{"run_ids": []}"#).await;
    assert_eq!(resp.status, 200);
    let resp = ui_request(&t, "GET", &format!("/api/sessions/{STOPPED}"), &[], b"").await;
    assert_eq!(resp.status, 404);
    t.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_reason_and_loses_nothing() {
    let t = spawn_app(&[]).await;
    deliver_chains(&t).await;
    let good = json!({"run_ids": [R1, R2, R3]}).to_string();
    assert_eq!(put_expected(&t, STOPPED, good.as_bytes()).await.status, 200);

    let too_many: Vec<String> = (0..1001).map(|n| format!("run-{n}")).collect();
    let long_id = "r".repeat(201);
    let cases: Vec<(String, Vec<u8>, &str)> = vec![
        (STOPPED.into(), b"{not json".to_vec(), "invalid JSON"),
        (
            STOPPED.into(),
            br#"{"run_ids": "r1"}"#.to_vec(),
            "invalid JSON",
        ),
        (
            STOPPED.into(),
            br#"{"runs": ["r1"]}"#.to_vec(),
            "unknown field",
        ),
        (STOPPED.into(), br#"{}"#.to_vec(), "missing field `run_ids`"),
        (
            STOPPED.into(),
            br#"{"run_ids": [1, 2]}"#.to_vec(),
            "invalid JSON",
        ),
        (
            STOPPED.into(),
            br#"{"run_ids": ["r1", ""]}"#.to_vec(),
            "run id at step 2 is empty",
        ),
        (
            STOPPED.into(),
            br#"{"run_ids": ["r1", "r 2"]}"#.to_vec(),
            "space",
        ),
        (
            STOPPED.into(),
            br#"{"run_ids": ["r1", "r2", "r1"]}"#.to_vec(),
            "given twice (steps 1 and 3)",
        ),
        (
            STOPPED.into(),
            json!({"run_ids": [long_id]}).to_string().into_bytes(),
            "at most 200",
        ),
        (
            STOPPED.into(),
            json!({"run_ids": too_many}).to_string().into_bytes(),
            "at most 1000",
        ),
        (
            "r".repeat(201),
            good.clone().into_bytes(),
            "session id has 201 characters",
        ),
        (
            "a%00b".into(),
            good.clone().into_bytes(),
            "control character",
        ),
    ];
    for (session, body, reason) in cases {
        let resp = put_expected(&t, &session, &body).await;
        let message = text(&resp.body);
        assert_eq!(resp.status, 400, "{session} {}: {message}", text(&body));
        assert!(message.contains(reason), "{reason:?} not in {message}");
    }
    let kept = get_json(&t, &format!("/api/sessions/{STOPPED}")).await;
    assert_eq!(
        kept["expected"],
        json!([R1, R2, R3]),
        "the stored chain is untouched"
    );

    let resp = ui_request(&t, "GET", "/api/sessions/no-such-session", &[], b"").await;
    assert_eq!(resp.status, 404);
    let message = text(&resp.body);
    assert!(
        message.contains("no webhook names session \\\"no-such-session\\\""),
        "{message}"
    );
    for limit in ["lots", "0", "1001"] {
        let resp = ui_request(&t, "GET", &format!("/api/sessions?limit={limit}"), &[], b"").await;
        assert_eq!(resp.status, 400, "limit={limit}");
        assert!(
            text(&resp.body).contains("from 1 to 1000"),
            "{}",
            text(&resp.body)
        );
    }
    let resp = ui_request(&t, "POST", "/api/sessions/x/expected", &[], b"").await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("PUT"));
    let one = get_json(&t, "/api/sessions?limit=1").await;
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    t.stop().await;
}

#[tokio::test]
async fn session_search_keeps_that_sessions_webhooks() {
    let t = spawn_app(&[]).await;
    let ids = deliver_chains(&t).await;
    let found = |page: Value| -> Vec<i64> {
        page["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["id"].as_i64().expect("id"))
            .collect()
    };
    let q = format!("/api/events?q=session%3A{STOPPED}");
    assert_eq!(found(get_json(&t, &q).await), [ids[2], ids[1], ids[0]]);
    let q = format!("/api/events?q=session%3A{RELEASED}+status%3Atask_failed");
    assert_eq!(found(get_json(&t, &q).await), [ids[3]]);
    // With a free word too (the text index path), the filter still holds.
    let q = format!("/api/events?q=session%3A{STOPPED}+Confirm");
    assert_eq!(found(get_json(&t, &q).await), [ids[2], ids[1], ids[0]]);
    let q = "/api/events?q=session%3Anobody";
    assert_eq!(found(get_json(&t, q).await), Vec::<i64>::new());
    t.stop().await;
}
