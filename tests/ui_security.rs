//! The UI listener lets no one in: DNS rebinding, cross-origin pages and missing tokens.

mod common;

use common::*;

const UPGRADE: [&str; 4] = [
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
];

#[tokio::test]
async fn cross_origin_websocket_upgrades_are_refused() {
    let t = spawn_app(&[]).await;
    let mut evil = UPGRADE.to_vec();
    evil.push("Origin: http://evil.example");
    let r = ui_request(&t, "GET", "/api/live", &evil, b"").await;
    assert_eq!(r.status, 403);

    let origin = format!("Origin: {}", t.ui_origin());
    let mut same = UPGRADE.to_vec();
    same.push(&origin);
    let r = ui_request(&t, "GET", "/api/live", &same, b"").await;
    assert_eq!(r.status, 101);
    assert_eq!(
        r.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    t.stop().await;
}

#[tokio::test]
async fn cross_origin_state_changes_are_refused_and_change_nothing() {
    let t = spawn_app(&[]).await;
    let id = capture_post(&t, "/keep", &[], b"{}").await;
    let path = format!("/api/events/{id}");

    let r = ui_request(&t, "DELETE", &path, &["Origin: http://evil.example"], b"").await;
    assert_eq!(r.status, 403);
    let r = ui_request(
        &t,
        "DELETE",
        "/api/events",
        &["Origin: http://localhost:1"],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    // A "simple" text/plain form post from another site.
    let r = ui_request(
        &t,
        "POST",
        "/api/keys",
        &["Origin: https://evil.example", "Content-Type: text/plain"],
        br#"{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
    )
    .await;
    assert_eq!(r.status, 403);
    let r = ui_request(&t, "DELETE", &path, &["Sec-Fetch-Site: cross-site"], b"").await;
    assert_eq!(r.status, 403);
    assert_eq!(get_json(&t, &path).await["id"], id);
    assert!(
        get_json(&t, "/api/keys").await["keys"]
            .as_array()
            .expect("keys")
            .is_empty()
    );

    // The UI itself, and a CLI without Origin, may.
    let origin = format!("Origin: {}", t.ui_origin());
    assert_eq!(
        ui_request(&t, "DELETE", &path, &[&origin], b"")
            .await
            .status,
        200
    );
    assert_eq!(
        ui_request(&t, "DELETE", "/api/events", &[], b"")
            .await
            .status,
        200
    );
    t.stop().await;
}

#[tokio::test]
async fn forged_hosts_are_refused() {
    let t = spawn_app(&[]).await;
    for host in [
        "evil.example",
        "evil.example:80",
        &format!("attacker.test:{}", t.ui.port()),
    ] {
        let head = format!("GET /api/events HTTP/1.1\r\nHost: {host}\r\n");
        let r = raw(t.ui, head.as_bytes(), b"").await;
        assert_eq!(r.status, 421, "{host}");
    }
    let head = format!(
        "GET /api/events HTTP/1.1\r\nHost: localhost:{}\r\n",
        t.ui.port()
    );
    assert_eq!(raw(t.ui, head.as_bytes(), b"").await.status, 200);
    t.stop().await;
}

#[tokio::test]
async fn a_ui_token_is_required_everywhere_when_set() {
    let t = spawn_app(&["--ui-token", "s3cret-token"]).await;
    assert_eq!(
        ui_request(&t, "GET", "/api/events", &[], b"").await.status,
        401
    );
    assert_eq!(ui_request(&t, "GET", "/", &[], b"").await.status, 401);
    assert_eq!(
        ui_request(&t, "GET", "/api/live", &UPGRADE, b"")
            .await
            .status,
        401
    );
    assert_eq!(
        ui_request(
            &t,
            "GET",
            "/api/events",
            &["Authorization: Bearer wrong"],
            b""
        )
        .await
        .status,
        401
    );
    let ok = ui_request(
        &t,
        "GET",
        "/api/events",
        &["Authorization: Bearer s3cret-token"],
        b"",
    )
    .await;
    assert_eq!(ok.status, 200);
    let visit = ui_request(&t, "GET", "/?token=s3cret-token", &[], b"").await;
    assert_eq!(visit.status, 200);
    let cookie = visit.header("set-cookie").expect("token cookie");
    assert!(cookie.starts_with("hookpit_token=s3cret-token;"));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let with_cookie = ui_request(
        &t,
        "GET",
        "/api/status",
        &["Cookie: a=b; hookpit_token=s3cret-token"],
        b"",
    )
    .await;
    assert_eq!(with_cookie.status, 200);
    // The capture port never needs the token.
    capture_post(&t, "/open", &[], b"{}").await;
    t.stop().await;
}
