//! Settings that must not quietly do nothing (issue 21, item 10): `--max-age` prunes an idle
//! hookpit, and `--respond-status` is refused where proxying makes it unused.

mod common;

use common::stub::eventually;
use common::{capture_post, get_json, run_hookpit, spawn_app, text};

#[tokio::test]
async fn max_age_prunes_without_another_webhook() {
    let t = spawn_app(&["--max-age", "1s"]).await;
    capture_post(&t, "/idle", &[], b"{}").await;
    assert_eq!(get_json(&t, "/api/status").await["events"], 1);
    // Nothing else arrives; the event must still go once it is older than a second.
    eventually("the idle event pruned", || async {
        (get_json(&t, "/api/status").await["events"] == 0).then_some(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn respond_status_with_a_proxied_forward_is_refused_at_start() {
    let args = [
        "--db",
        ":memory:",
        "--listen",
        "127.0.0.1:0",
        "--ui",
        "127.0.0.1:0",
        "--forward",
        "http://127.0.0.1:9/",
        "--respond-status",
        "500",
    ];
    let run = run_hookpit(&args, b"");
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), run)
        .await
        .expect("refused at start, not served");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("--respond-status does nothing with --forward in proxy mode"),
        "{err}"
    );
}

/// Issue 21, item 12: a failed replay to another URL does not make a delivered event "failed".
#[tokio::test]
async fn only_failed_asks_whether_the_forward_target_answered_2xx() {
    let app_stub = common::stub::Stub::start(None, &[200]).await;
    let target = app_stub.url("/hooks");
    let t = spawn_app(&["--forward", &target, "--forward-mode", "ack"]).await;
    let id = capture_post(&t, "/x", &[], b"{}").await;
    eventually("the forward recorded", || async {
        let e = get_json(&t, &format!("/api/events/{id}")).await;
        (e["attempts"][0]["status"] == 200).then_some(())
    })
    .await;
    let elsewhere = serde_json::json!({ "target": "http://127.0.0.1:9/nothing-listens" });
    let replayed = common::post_json(&t, &format!("/api/events/{id}/replay"), &elsewhere).await;
    assert_eq!(replayed.status, 200, "{}", text(&replayed.body));
    assert!(
        replayed.json()["error"].is_string(),
        "{}",
        text(&replayed.body)
    );
    let ask = serde_json::json!({
        "since": "2000-01-01T00:00:00Z", "only_failed": true, "dry_run": true
    });
    let picked = common::post_json(&t, "/api/replay", &ask).await.json();
    assert_eq!(
        picked["total"], 0,
        "a delivered event counted as failed: {picked}"
    );
    t.stop().await;
}
