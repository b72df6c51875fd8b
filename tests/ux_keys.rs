//! A new user's keys (issue 21, items 8 and 9): keys that cannot work are refused at start and
//! by the API with the reason, and a route's keys add to `--secret` instead of replacing it.

mod common;

use common::{
    as_refs, capture_post, get_json, post_json, run_hookpit, spawn_app, svix_headers, text,
    ui_request,
};
use serde_json::json;

const GLOBAL: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROUTE: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const OTHER: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// Runs `hookpit` with a throwaway store on free ports; it must refuse before binding (a
/// hookpit that accepted the key would serve until killed, so it gets 20 s).
async fn refused_at_start(secret: &str) -> String {
    let args = [
        "--db",
        ":memory:",
        "--listen",
        "127.0.0.1:0",
        "--ui",
        "127.0.0.1:0",
        "--secret",
        secret,
    ];
    let run = run_hookpit(&args, b"");
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), run)
        .await
        .unwrap_or_else(|_| panic!("{secret:?} was accepted: hookpit started serving"));
    assert!(!out.status.success(), "{secret:?} was accepted");
    text(&out.stderr)
}

#[tokio::test]
async fn undecodable_keys_are_refused_at_start_with_the_reason() {
    let err = refused_at_start("whsec_abc!").await;
    assert!(err.contains("--secret: whsec_ key must be base64"), "{err}");
    assert!(err.contains("'!'"), "{err}");
    let err = refused_at_start(&format!("v1,{GLOBAL}")).await;
    assert!(err.contains("this is a signature"), "{err}");
    assert!(err.contains("not a signing secret"), "{err}");
}

#[tokio::test]
async fn the_api_refuses_placeholder_and_toy_keys() {
    let t = spawn_app(&[]).await;
    for secret in [
        "whsec_…",
        "nope",
        "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    ] {
        let resp = post_json(&t, "/api/keys", &json!({ "secret": secret })).await;
        assert_eq!(resp.status, 400, "{secret:?}: {}", text(&resp.body));
        let error = resp.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(error.starts_with("key rejected: "), "{error}");
    }
    assert_eq!(get_json(&t, "/api/keys").await["keys"], json!([]));
    t.stop().await;
}

#[tokio::test]
async fn route_keys_add_to_the_global_secret() {
    let t = spawn_app(&["--secret", GLOBAL]).await;
    let added = post_json(
        &t,
        "/api/keys",
        &json!({ "secret": ROUTE, "route": "/cyberdesk", "label": "prod" }),
    )
    .await;
    assert_eq!(added.status, 201, "{}", text(&added.body));
    let body = br#"{"type":"run_complete"}"#;
    let now = chrono::Utc::now().timestamp();
    let by_global = capture_post(
        &t,
        "/cyberdesk/runs",
        &as_refs(&svix_headers(GLOBAL, "msg_global", now, body)),
        body,
    )
    .await;
    let by_route = capture_post(
        &t,
        "/cyberdesk/runs",
        &as_refs(&svix_headers(ROUTE, "msg_route", now, body)),
        body,
    )
    .await;
    let by_neither = capture_post(
        &t,
        "/cyberdesk/runs",
        &as_refs(&svix_headers(OTHER, "msg_other", now, body)),
        body,
    )
    .await;
    let verdict = |v: serde_json::Value| v["verification"].clone();
    let global = verdict(get_json(&t, &format!("/api/events/{by_global}")).await);
    assert_eq!(global["status"], "valid", "{global}");
    assert_eq!(global["matched_key"], "whsec_…LaSw");
    let route = verdict(get_json(&t, &format!("/api/events/{by_route}")).await);
    assert_eq!(route["matched_key"], "prod", "{route}");
    let neither = verdict(get_json(&t, &format!("/api/events/{by_neither}")).await);
    let message = neither["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(r#"any of the 2 configured keys ("prod", "whsec_…LaSw")"#),
        "{message}"
    );
    t.stop().await;
}

#[tokio::test]
async fn two_keys_with_one_label_on_one_route_are_refused() {
    let t = spawn_app(&[]).await;
    let first = json!({ "secret": ROUTE, "route": "/cyberdesk", "label": "prod" });
    assert_eq!(post_json(&t, "/api/keys", &first).await.status, 201);
    let second = json!({ "secret": OTHER, "route": "/cyberdesk/", "label": "prod" });
    let resp = post_json(&t, "/api/keys", &second).await;
    assert_eq!(resp.status, 409, "{}", text(&resp.body));
    assert!(
        text(&resp.body).contains("already has a key labelled"),
        "{}",
        text(&resp.body)
    );
    let elsewhere = json!({ "secret": OTHER, "route": "/github", "label": "prod" });
    assert_eq!(post_json(&t, "/api/keys", &elsewhere).await.status, 201);
    t.stop().await;
}

#[tokio::test]
async fn delete_by_body_takes_an_integral_number_and_refuses_a_fraction() {
    let t = spawn_app(&[]).await;
    let added = post_json(&t, "/api/keys", &json!({ "secret": ROUTE })).await;
    assert_eq!(added.status, 201, "{}", text(&added.body));
    let id = added.json()["key"]["id"].as_i64().expect("key id");
    let half = ui_request(
        &t,
        "DELETE",
        "/api/keys",
        &["Content-Type: application/json"],
        br#"{"id": 1.5}"#,
    )
    .await;
    assert_eq!(half.status, 400, "{}", text(&half.body));
    // JSON Schema counts 1.0 as an integer (schemathesis sends such ids).
    let body = format!(r#"{{"id": {id}.0}}"#);
    let gone = ui_request(
        &t,
        "DELETE",
        "/api/keys",
        &["Content-Type: application/json"],
        body.as_bytes(),
    )
    .await;
    assert_eq!(gone.status, 200, "{}", text(&gone.body));
    assert_eq!(get_json(&t, "/api/keys").await["keys"], json!([]));
    t.stop().await;
}
