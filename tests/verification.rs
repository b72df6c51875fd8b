//! Verification at capture: Svix-signed Cyberdesk bodies judged as a Svix verifier would.

mod common;

use common::*;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn signed_tampered_and_stale_webhooks_get_the_right_verdict() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let body = fixture("cyberdesk/run_complete.success.json");

    let headers = svix_headers(SECRET, "msg_valid", now(), &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    let v = &get_json(&t, &format!("/api/events/{id}")).await["verification"];
    assert_eq!(v["status"], "valid", "{v}");
    assert_eq!(v["reason"], serde_json::Value::Null);
    assert_eq!(v["signature_ok"], true);
    assert_eq!(v["timestamp_ok"], true);
    // The provider is who sent it; the scheme how it was judged (README, "Providers").
    assert_eq!(v["provider"], "standard");
    assert_eq!(v["scheme"], "hmac-sha256");
    assert_eq!(v["msg_id"], "msg_valid");
    assert!(
        v["matched_key"]
            .as_str()
            .expect("matched key label")
            .contains('…')
    );
    assert!(!v.to_string().contains(&SECRET[6..]), "secret leaked: {v}");

    // One byte changed after signing.
    let mut tampered = body.clone();
    let pos = tampered
        .iter()
        .position(|&b| b == b'7')
        .expect("a 7 in the body");
    tampered[pos] = b'8';
    let headers = svix_headers(SECRET, "msg_tampered", now(), &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &tampered).await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["verification"]["status"], "invalid");
    assert_eq!(e["verification"]["reason"], "signature_mismatch");
    assert_eq!(e["verification"]["signature_ok"], false);

    // Signed correctly ten minutes ago.
    let headers = svix_headers(SECRET, "msg_stale", now() - 600, &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    let v = &e["verification"];
    assert_eq!(v["status"], "invalid");
    assert_eq!(v["reason"], "timestamp_too_old");
    assert_eq!(v["signature_ok"], true);
    assert_eq!(v["timestamp_ok"], false);
    assert!(
        (599..=601).contains(&v["skew_s"].as_i64().expect("skew")),
        "{v}"
    );
    assert!(
        v["message"].as_str().expect("message").contains("10 min"),
        "{v}"
    );
    // The list shows the short form.
    assert_eq!(e["verification"]["status"], "invalid");
    let page = get_json(&t, "/api/events?verification=invalid").await;
    assert_eq!(page["events"].as_array().expect("events").len(), 2);
    // The list line says how stale, so a badge can read "stale 10m".
    let stale = &page["events"][0]["verification"];
    assert!(
        (599..=601).contains(&stale["skew_s"].as_i64().expect("skew in the summary")),
        "{stale}"
    );
    t.stop().await;
}

/// The signature's timestamp is judged against the time the webhook arrived by hookpit's clock:
/// a manual clock years away from the wall clock decides alone, to the second.
#[tokio::test]
async fn a_webhook_is_judged_at_the_time_it_arrived_by_hookpits_clock() {
    let start = chrono::DateTime::from_timestamp(1_900_000_000, 0).expect("in range");
    let clock = hookpit::clock::Clock::manual(start);
    let t = spawn_app_with_clock(&["--secret", SECRET], clock.clone()).await;
    let body = fixture("cyberdesk/run_complete.success.json");
    let signed_at = start.timestamp() - 200;

    let headers = svix_headers(SECRET, "msg_in_time", signed_at, &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["verification"]["status"], "valid", "{e}");
    assert_eq!(e["received_at"], "2030-03-17T17:46:40.000Z");

    clock.advance(chrono::Duration::seconds(150));
    let headers = svix_headers(SECRET, "msg_late", signed_at, &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    let v = &get_json(&t, &format!("/api/events/{id}")).await["verification"];
    assert_eq!(v["reason"], "timestamp_too_old", "{v}");
    assert_eq!(v["skew_s"], 350, "{v}");
    t.stop().await;
}

#[tokio::test]
async fn unsigned_and_webhook_prefixed_headers() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let id = capture_post(&t, "/plain", &[], b"{}").await;
    let v = &get_json(&t, &format!("/api/events/{id}")).await["verification"];
    assert_eq!(v["status"], "unsigned");

    // Standard Webhooks' own header names are accepted too.
    let body = b"{\"type\":\"user.created\"}";
    let headers: Vec<(String, String)> = svix_headers(SECRET, "msg_std", now(), body)
        .into_iter()
        .map(|(n, v)| (n.replace("svix-", "webhook-"), v))
        .collect();
    let id = capture_post(&t, "/std", &as_refs(&headers), body).await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["verification"]["status"], "valid");
    assert_eq!(e["event_type"], "user.created");
    assert_eq!(e["msg_id"], "msg_std");
    t.stop().await;
}

#[tokio::test]
async fn a_key_added_later_turns_unverified_into_valid() {
    let t = spawn_app(&[]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    // Re-verification judges the timestamp at receive time, so it stays valid however late
    // the key is added.
    let headers = svix_headers(SECRET, "msg_later", now(), &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["verification"]["status"], "unverified");
    assert_eq!(e["verification"]["timestamp_ok"], true);

    let r = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({ "secret": SECRET, "route": "/cyberdesk", "label": "cyberdesk-prod", "reverify": false }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        !String::from_utf8_lossy(&r.body).contains(&SECRET[6..]),
        "secret leaked"
    );
    let keys = get_json(&t, "/api/keys").await;
    assert_eq!(keys["keys"][0]["label"], "cyberdesk-prod");
    assert!(
        !keys.to_string().contains(&SECRET[6..]),
        "secret leaked: {keys}"
    );

    let r = post_json(
        &t,
        &format!("/api/events/{id}/verify"),
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "valid", "{v}");
    assert_eq!(v["matched_key"], "cyberdesk-prod");
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["verification"]["status"], "valid");
    t.stop().await;
}

#[tokio::test]
async fn adding_a_key_reverifies_the_route_by_default() {
    let t = spawn_app(&[]).await;
    let body = fixture("cyberdesk/run_complete.success.json");
    let headers = svix_headers(SECRET, "msg_a", now(), &body);
    let under = capture_post(&t, "/cyberdesk/runs", &as_refs(&headers), &body).await;
    let headers = svix_headers(SECRET, "msg_b", now(), &body);
    let elsewhere = capture_post(&t, "/other", &as_refs(&headers), &body).await;
    let r = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({ "secret": SECRET, "route": "/cyberdesk" }),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["reverified"], 1);
    let status = |id: i64| {
        let t = &t;
        async move { get_json(t, &format!("/api/events/{id}")).await["verification"]["status"].clone() }
    };
    assert_eq!(status(under).await, "valid");
    assert_eq!(status(elsewhere).await, "unverified");
    // A bad key is refused with a reason and changes nothing.
    let r = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({ "secret": "whpk_short" }),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .expect("reason")
            .contains("whpk_")
    );
    t.stop().await;
}
