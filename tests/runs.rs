//! Retried Cyberdesk runs through the API: a run's webhook delivered (the app fails it), Svix
//! retrying it (same svix-id), then the run retried (same run.id, new svix-id
//! `<run_id>_<ms>`), and a webhook whose body lacks run.id but whose message id names the run.
//! `GET /api/runs/{run_id}` lists them in time order, told apart, with what the app answered;
//! `run:` finds them in the search.

mod common;

use common::stub::{Stub, eventually};
use common::*;
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// `run.id` of the Cyberdesk fixtures `run_complete.task_failed` and `run_complete.success`.
const RUN: &str = "b7e3c1a2-5d4f-4e8a-9c21-7f6a0d3e2b18";

/// Sends `body` signed under `msg_id` now; returns the stored id (the answer is the app's).
async fn deliver(t: &TestApp, msg_id: &str, body: &[u8]) -> i64 {
    let signed = svix_headers(SECRET, msg_id, chrono::Utc::now().timestamp(), body);
    let mut head = format!(
        "POST /cyberdesk HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        t.capture,
        body.len()
    );
    for (n, v) in &signed {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let resp = raw(t.capture, head.as_bytes(), body).await;
    resp.header("hookpit-event-id")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Hookpit-Event-Id (status {})", resp.status))
}

/// `field` of every webhook of a `GET /api/runs/…` answer.
fn each(run: &Value, field: &str) -> Vec<Value> {
    let webhooks = run["webhooks"].as_array().expect("webhooks");
    webhooks.iter().map(|w| w[field].clone()).collect()
}

fn ids(page: &Value) -> Vec<i64> {
    let events = page["events"].as_array().expect("events");
    events
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_run_delivered_svix_retried_then_retried_is_one_timeline() {
    // The app fails the run's first delivery and takes everything after.
    let app = Stub::start(None, &[500, 200]).await;
    let t = spawn_app(&["--secret", SECRET, "--forward", &app.url("/hooks")]).await;
    let failed = fixture("cyberdesk/run_complete.task_failed.json");
    let succeeded = fixture("cyberdesk/run_complete.success.json");

    let first = deliver(&t, RUN, &failed).await;
    let svix_retry = deliver(&t, RUN, &failed).await;
    let retried = deliver(&t, &format!("{RUN}_1702310400000"), &succeeded).await;
    // No run.id in the body: it belongs to the run by its message id alone.
    let bare = br#"{"event_type":"run_complete","note":"no run object"}"#;
    let by_msg_id = deliver(&t, &format!("{RUN}_1702310460000"), bare).await;
    // Not the run's: another run, a suffix that is not digits, a longer id.
    deliver(
        &t,
        "msg_other",
        &fixture("cyberdesk/run_complete.cancelled_minimal.json"),
    )
    .await;
    deliver(&t, &format!("{RUN}_12ab"), bare).await;
    deliver(&t, &format!("{RUN}0_1702310400000"), bare).await;

    // The app's answers are recorded just after they went back.
    let run = eventually("every forward recorded", || async {
        let run = get_json(&t, &format!("/api/runs/{RUN}")).await;
        let done = each(&run, "forward").iter().all(|f| f["status"].is_u64());
        done.then_some(run)
    })
    .await;
    assert_eq!(run["run_id"], RUN);
    assert_eq!(run["truncated"], false);
    assert_eq!(
        each(&run, "event_id"),
        [
            json!(first),
            json!(svix_retry),
            json!(retried),
            json!(by_msg_id)
        ]
    );
    assert_eq!(
        each(&run, "delivery"),
        [
            json!("first"),
            json!("svix_retry"),
            json!("run_retry"),
            json!("run_retry")
        ]
    );
    assert_eq!(
        each(&run, "svix_retry"),
        [json!(null), json!(1), json!(null), json!(null)]
    );
    assert_eq!(
        each(&run, "duplicate_of"),
        [json!(null), json!(first), json!(null), json!(null)]
    );
    assert_eq!(
        each(&run, "retried_at"),
        [
            json!(null),
            json!(null),
            json!("2023-12-11T16:00:00.000Z"),
            json!("2023-12-11T16:01:00.000Z")
        ]
    );
    assert_eq!(
        each(&run, "run_status"),
        [
            json!("task_failed"),
            json!("task_failed"),
            json!("success"),
            json!(null)
        ]
    );
    assert_eq!(
        each(&run, "found_by"),
        [
            json!("run_id"),
            json!("run_id"),
            json!("run_id"),
            json!("msg_id")
        ]
    );
    let verdicts: Vec<Value> = each(&run, "verification")
        .iter()
        .map(|v| v["status"].clone())
        .collect();
    assert_eq!(verdicts, vec![json!("valid"); 4]);
    let answered: Vec<(Value, Value)> = each(&run, "forward")
        .iter()
        .map(|f| (f["status"].clone(), f["tries"].clone()))
        .collect();
    assert_eq!(
        answered,
        [
            (json!(500), json!(1)),
            (json!(200), json!(1)),
            (json!(200), json!(1)),
            (json!(200), json!(1))
        ]
    );
    assert_eq!(
        each(&run, "msg_id")[2],
        json!(format!("{RUN}_1702310400000"))
    );
    t.stop().await;
}

#[tokio::test]
async fn run_search_finds_the_runs_webhooks_and_combines_with_other_filters() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let failed = fixture("cyberdesk/run_complete.task_failed.json");
    let first = deliver(&t, RUN, &failed).await;
    let again = deliver(&t, RUN, &failed).await;
    let retried = deliver(
        &t,
        &format!("{RUN}_1702310400000"),
        &fixture("cyberdesk/run_complete.success.json"),
    )
    .await;
    let bare = br#"{"event_type":"run_complete"}"#;
    let by_msg_id = deliver(&t, &format!("{RUN}_1702310460000"), bare).await;
    deliver(&t, &format!("{RUN}_12ab"), bare).await;
    deliver(
        &t,
        "msg_other",
        &fixture("cyberdesk/run_complete.cancelled_minimal.json"),
    )
    .await;

    let q = |q: &str| format!("/api/events?q={}", q.replace(' ', "%20"));
    let page = get_json(&t, &q(&format!("run:{RUN}"))).await;
    assert_eq!(ids(&page), [by_msg_id, retried, again, first]);
    let page = get_json(&t, &q(&format!("run:{RUN} status:success"))).await;
    assert_eq!(ids(&page), [retried]);
    // A text word narrows it too (through the text index or a scan, the same answer).
    let page = get_json(&t, &q(&format!("run:{RUN} button"))).await;
    assert_eq!(ids(&page), [again, first]);
    let page = get_json(&t, &q("run:2a4c6e80-1b3d-4f5a-8c7e-9d0f1a2b3c4d")).await;
    assert_eq!(ids(&page).len(), 1);
    let page = get_json(&t, &q("run:b7e3c1a2")).await;
    assert_eq!(
        ids(&page),
        Vec::<i64>::new(),
        "a prefix of a run id is no run"
    );
    // `wait` and a route's `match` read the same language.
    let waited = get_json(
        &t,
        &format!("/api/events/wait?q=run:{RUN}%20status:success&after=0&timeout=1s"),
    )
    .await;
    assert_eq!(waited["event"]["id"], retried);
    t.stop().await;
}

#[tokio::test]
async fn an_unknown_or_empty_run_is_a_clear_error() {
    let t = spawn_app(&[]).await;
    capture_post(
        &t,
        "/cyberdesk",
        &[],
        &fixture("cyberdesk/run_complete.task_failed.json"),
    )
    .await;
    let missing = ui_request(&t, "GET", "/api/runs/no-such-run", &[], b"").await;
    assert_eq!(missing.status, 404);
    let reason = missing.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.contains("no webhook of run \"no-such-run\" is stored"),
        "{reason}"
    );
    let empty = ui_request(&t, "GET", "/api/runs/", &[], b"").await;
    assert_eq!(empty.status, 400);
    assert!(
        empty.json()["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("give a run id")
    );
    let post = ui_request(&t, "POST", &format!("/api/runs/{RUN}"), &[], b"").await;
    assert_eq!((post.status, post.header("allow")), (405, Some("GET")));
    // Percent-encoded ids are decoded; an unsigned capture has no message id, only its run.id.
    let run = get_json(&t, &format!("/api/runs/{}", RUN.replace('-', "%2D"))).await;
    assert_eq!(each(&run, "delivery"), [json!("first")]);
    assert_eq!(each(&run, "msg_id"), [json!(null)]);
    assert_eq!(each(&run, "forward"), [json!(null)]);
    t.stop().await;
}
