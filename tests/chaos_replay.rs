//! Sequence chaos: bulk replays in a seeded order (the same seed gives the same order), with a
//! share sent twice under the same message id and re-signed (checked by Python's `svix`), at
//! most `concurrency` in flight at the app; the run's log; bad options refused; the same
//! options on `hookpit replay --since` and `hookpit send --repeat`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::stub::{Stub, eventually};
use common::*;
use serde_json::{Value, json};

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/svix_interop.py");

/// Captures `n` signed events `{"n": i}` (an hour old, so only a re-signed copy verifies);
/// their ids, oldest first.
async fn capture(t: &TestApp, n: usize) -> Vec<i64> {
    let old = chrono::Utc::now().timestamp() - 3600;
    let mut ids = Vec::new();
    for i in 0..n {
        let body = format!("{{\"n\":{i}}}");
        let headers = svix_headers(SECRET, &format!("msg_chaos{i}"), old, body.as_bytes());
        ids.push(capture_post(t, "/e", &as_refs(&headers), body.as_bytes()).await);
    }
    ids
}

/// The `n` of each body the app received, in arrival order.
fn ns(hits: &[common::stub::Hit]) -> Vec<u64> {
    hits.iter()
        .map(|h| {
            serde_json::from_slice::<Value>(&h.body).expect("JSON body")["n"]
                .as_u64()
                .expect("n")
        })
        .collect()
}

/// Waits until job `job` is no longer running; its log.
async fn finished(t: &TestApp, job: &Value) -> Value {
    eventually("the replay run to end", || async {
        let log = get_json(t, &format!("/api/replay/{job}")).await;
        (log["state"] != "running").then_some(log)
    })
    .await
}

#[tokio::test]
async fn the_same_seed_gives_the_same_order_and_the_run_is_logged() {
    let stub = Stub::start(None, &[]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    let since = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    let ids = capture(&t, 8).await;
    let ask = |dry: bool| {
        json!({"since": since, "target": stub.url("/app"), "order": "shuffle", "seed": 42,
               "rate": 1000.0, "dry_run": dry})
    };
    let a = post_json(&t, "/api/replay", &ask(true)).await.json();
    let b = post_json(&t, "/api/replay", &ask(true)).await.json();
    assert_eq!(a["plan"], b["plan"], "same seed, same plan");
    assert_eq!(a["options"]["seed"], 42);
    let planned: Vec<i64> = a["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .map(|s| s["event_id"].as_i64().expect("id"))
        .collect();
    assert_ne!(planned, ids, "shuffled");
    let other = post_json(
        &t,
        "/api/replay",
        &json!({"since": since, "order": "shuffle", "seed": 43, "dry_run": true}),
    )
    .await
    .json();
    assert_ne!(other["plan"], a["plan"], "another seed, another order");

    let r = post_json(&t, "/api/replay", &ask(false)).await;
    assert_eq!(r.status, 202, "{}", text(&r.body));
    let started = r.json();
    assert_eq!(
        started["plan"], a["plan"],
        "the run follows the plan it answered"
    );
    let log = finished(&t, &started["job"]).await;
    assert_eq!(log["state"], "done");
    assert_eq!(log["options"]["order"], "shuffle");
    let expected: Vec<u64> = planned
        .iter()
        .map(|id| ids.iter().position(|i| i == id).expect("known") as u64)
        .collect();
    assert_eq!(ns(&stub.hits()), expected, "the app saw the planned order");
    let steps = log["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 8);
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["position"], i);
        assert_eq!(s["event_id"], planned[i]);
        assert_eq!(s["status"], 200);
        assert_eq!(s["duplicate"], false);
        assert!(
            s["started_at"].is_string() && s["attempt_id"].is_i64(),
            "{s}"
        );
    }

    // Reverse is newest first.
    let rev = post_json(
        &t,
        "/api/replay",
        &json!({"since": since, "order": "reverse", "dry_run": true}),
    )
    .await
    .json();
    let reversed: Vec<i64> = rev["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .map(|s| s["event_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(reversed, ids.iter().rev().copied().collect::<Vec<_>>());
    t.stop().await;
}

#[tokio::test]
async fn bad_sequence_options_get_a_clear_400() {
    let t = spawn_app(&[]).await;
    let since = chrono::Utc::now().to_rfc3339();
    for (bad, says) in [
        (json!({"order": "sideways"}), "unknown variant"),
        (
            json!({"duplicates": 1.5}),
            "duplicates must be a share between 0 and 1",
        ),
        (json!({"duplicates": -0.5}), "duplicates must be"),
        (
            json!({"concurrency": 0}),
            "concurrency must be between 1 and 64",
        ),
        (json!({"concurrency": 1000}), "concurrency must be"),
        (json!({"seed": 9_007_199_254_740_992_u64}), "seed must be"),
        (json!({"seed": -1}), "seed must be between 0 and"),
    ] {
        let mut body = bad.clone();
        body["since"] = json!(since);
        let r = post_json(&t, "/api/replay", &body).await;
        assert_eq!(r.status, 400, "{bad}");
        let reason = r.json()["error"].as_str().expect("reason").to_string();
        assert!(reason.contains(says), "{bad}: {reason}");
    }
    t.stop().await;
}

#[tokio::test]
async fn duplicates_go_out_twice_with_the_same_id_each_resigned_for_svix() {
    // The stub verifies with the route's secret and answers 401 to anything stale or forged.
    let stub = Stub::start(Some(SECRET), &[]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    let since = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    capture(&t, 10).await;
    let r = post_json(
        &t,
        "/api/replay",
        &json!({"since": since, "target": stub.url("/app"), "duplicates": 0.3, "seed": 7,
                "rate": 1000.0}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", text(&r.body));
    let log = finished(&t, &r.json()["job"]).await;
    let steps = log["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 13, "10 messages and 3 duplicates");
    assert_eq!(steps.iter().filter(|s| s["duplicate"] == true).count(), 3);
    assert!(steps.iter().all(|s| s["status"] == 200), "{log}");

    let hits = stub.hits();
    assert_eq!(hits.len(), 13);
    let mut per_id = std::collections::BTreeMap::<String, usize>::new();
    for h in &hits {
        assert_eq!(
            h.verdict.status,
            hookpit::verify::Status::Valid,
            "{}",
            h.verdict.message
        );
        let ts: i64 = h.header("svix-timestamp").expect("ts").parse().expect("ts");
        assert!(
            (chrono::Utc::now().timestamp() - ts).abs() < 60,
            "re-signed now"
        );
        *per_id.entry(h.header("svix-id").expect("id")).or_default() += 1;
    }
    assert_eq!(per_id.len(), 10, "no new message ids");
    assert_eq!(per_id.values().filter(|&&n| n == 2).count(), 3);

    if python_svix_available() {
        let cases: Vec<Value> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let headers: serde_json::Map<String, Value> = h
                    .headers
                    .iter()
                    .map(|(n, v)| (n.clone(), json!(String::from_utf8_lossy(v))))
                    .collect();
                json!({"name": format!("hit{i}"), "body": text(&h.body), "headers": headers,
                       "expect": "valid"})
            })
            .collect();
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), serde_json::to_vec(&cases).expect("JSON")).expect("write");
        let out = tokio::process::Command::new("python3")
            .args([
                SCRIPT,
                "verify",
                file.path().to_str().expect("UTF-8"),
                SECRET,
            ])
            .output()
            .await
            .expect("python3 runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(result["verified"], 13, "svix: {result}");
        assert_eq!(result["wrong"], json!([]));
    }
    t.stop().await;
}

/// An app that takes `stall` over each request and counts how many are in flight at once.
struct Counting {
    url: String,
    most: Arc<AtomicUsize>,
    served: Arc<AtomicUsize>,
}

async fn counting_app(stall: Duration) -> Counting {
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/app", listener.local_addr().expect("addr"));
    let (now, most, served) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let app = Counting {
        url,
        most: most.clone(),
        served: served.clone(),
    };
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (now, most, served) = (now.clone(), most.clone(), served.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |_req: hyper::Request<hyper::body::Incoming>| {
                    let (now, most, served) = (now.clone(), most.clone(), served.clone());
                    async move {
                        let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(in_flight, Ordering::SeqCst);
                        tokio::time::sleep(stall).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        served.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(
                            http_body_util::Full::new(bytes::Bytes::from_static(b"ok")),
                        ))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
            });
        }
    });
    app
}

#[tokio::test]
async fn the_app_never_sees_more_than_concurrency_in_flight() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let since = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    capture(&t, 9).await;
    for concurrency in [1_usize, 3] {
        let app = counting_app(Duration::from_millis(250)).await;
        let r = post_json(
            &t,
            "/api/replay",
            &json!({"since": since, "target": app.url, "concurrency": concurrency,
                    "rate": 1000.0}),
        )
        .await;
        assert_eq!(r.status, 202, "{}", text(&r.body));
        let log = finished(&t, &r.json()["job"]).await;
        assert_eq!(log["state"], "done");
        assert_eq!(app.served.load(Ordering::SeqCst), 9);
        assert_eq!(
            app.most.load(Ordering::SeqCst),
            concurrency,
            "most in flight at once with concurrency {concurrency}"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn replay_since_and_send_repeat_take_the_same_options() {
    let stub = Stub::start(Some(SECRET), &[]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    capture(&t, 4).await;
    let out = run_hookpit(
        &[
            "replay",
            "--since",
            "1m",
            "--ui",
            &t.ui_origin(),
            "--to",
            &stub.url("/app"),
            "--order",
            "shuffle",
            "--seed",
            "11",
            "--duplicates",
            "0.5",
            "--concurrency",
            "2",
            "--rate",
            "1000",
        ],
        b"",
    )
    .await;
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("6 messages (4 events), order shuffle, seed 11"),
        "{said}"
    );
    assert_eq!(said.matches("(duplicate) → 200").count(), 2, "{said}");
    assert_eq!(stub.hits().len(), 6);

    let bad = run_hookpit(
        &[
            "replay",
            "--since",
            "1m",
            "--ui",
            &t.ui_origin(),
            "--duplicates",
            "2",
        ],
        b"",
    )
    .await;
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("duplicates must be"),
        "{}",
        text(&bad.stderr)
    );

    let sent = Stub::start(Some(SECRET), &[]).await;
    let out = run_hookpit(
        &[
            "send",
            "--to",
            &sent.url("/hook"),
            "--secret",
            SECRET,
            "--repeat",
            "4",
            "--order",
            "reverse",
            "--duplicates",
            "0.5",
            "--concurrency",
            "2",
        ],
        b"",
    )
    .await;
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(said.contains("6 messages: order reverse, seed "), "{said}");
    let hits = sent.hits();
    assert_eq!(hits.len(), 6);
    assert!(
        hits.iter()
            .all(|h| h.verdict.status == hookpit::verify::Status::Valid)
    );
    let mut ids: Vec<String> = hits
        .iter()
        .map(|h| h.header("svix-id").expect("id"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "two of four sent twice under their own id");
    t.stop().await;
}

#[tokio::test]
async fn a_run_cut_by_a_stop_logs_what_went_out_and_what_was_left() {
    let stub = Stub::start(None, &[]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    let since = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    capture(&t, 6).await;
    let r = post_json(
        &t,
        "/api/replay",
        &json!({"since": since, "target": stub.url("/r"), "rate": 2.0, "concurrency": 2,
                "order": "reverse", "duplicates": 0.5}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", text(&r.body));
    let job = r.json()["job"].as_u64().expect("job");
    eventually("the first replay", || async {
        (!stub.hits().is_empty()).then_some(())
    })
    .await;
    let app = t.app.clone();
    t.stop().await;

    let stored = app.store.replay_job(job).await.expect("read").expect("job");
    assert_eq!(stored.state, hookpit::store::ReplayState::Interrupted);
    let (options, steps) = app.store.replay_log(job).await.expect("read").expect("log");
    assert_eq!(
        (options.order.as_str(), options.concurrency),
        ("reverse", 2)
    );
    assert_eq!(steps.len(), 9, "the whole plan is logged");
    let sent = steps.iter().filter(|s| s.started_at.is_some()).count();
    let answered = steps.iter().filter(|s| s.status == Some(200)).count();
    assert_eq!(answered, stored.done, "{steps:?}");
    assert_eq!(
        stub.hits().len(),
        answered,
        "every answer the app gave is logged"
    );
    assert!(sent < 9, "the stop left some unsent: {steps:?}");
    assert!(
        steps
            .iter()
            .skip_while(|s| s.started_at.is_some())
            .all(|s| s.started_at.is_none()),
        "messages go out in plan order: {steps:?}"
    );
}
