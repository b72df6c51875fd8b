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

/// The Origin check and the handshake read `Upgrade` the same way: an upgrade the guard does not
/// take for a WebSocket (a list such as `foo, websocket`) is not accepted as one either, so no
/// other site opens the live stream by listing a second protocol.
#[tokio::test]
async fn a_listed_upgrade_does_not_slip_past_the_origin_check() {
    let t = spawn_app(&[]).await;
    for upgrade in ["Upgrade: foo, websocket", "Upgrade: websocket, foo"] {
        let mut evil = vec![upgrade];
        evil.extend_from_slice(&UPGRADE[1..]);
        evil.push("Origin: http://evil.example");
        let r = ui_request(&t, "GET", "/api/live", &evil, b"").await;
        assert!(
            r.status == 400 || r.status == 403,
            "{upgrade}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
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

#[tokio::test]
async fn a_page_on_another_localhost_port_is_refused() {
    let t = spawn_app(&[]).await;
    let id = capture_post(&t, "/keep", &[], b"{}").await;
    let other = t.ui.port().wrapping_add(1).max(1);
    for origin in [
        format!("Origin: http://localhost:{other}"),
        format!("Origin: http://127.0.0.1:{other}"),
        format!("Origin: http://localhost:{}", t.capture.port()),
        "Origin: http://localhost".to_string(),
        "Origin: null".to_string(),
    ] {
        let mut ws = UPGRADE.to_vec();
        ws.push(&origin);
        let r = ui_request(&t, "GET", "/api/live", &ws, b"").await;
        assert_eq!(r.status, 403, "WebSocket from {origin}");
        let r = ui_request(
            &t,
            "POST",
            &format!("/api/events/{id}/verify"),
            &[&origin, "Content-Type: application/json"],
            b"{}",
        )
        .await;
        assert_eq!(r.status, 403, "POST from {origin}");
        let r = ui_request(&t, "DELETE", &format!("/api/events/{id}"), &[&origin], b"").await;
        assert_eq!(r.status, 403, "DELETE from {origin}");
    }
    assert_eq!(get_json(&t, &format!("/api/events/{id}")).await["id"], id);
    t.stop().await;
}

#[tokio::test]
async fn text_plain_simple_posts_from_other_origins_change_nothing() {
    let t = spawn_app(&[]).await;
    let id = capture_post(&t, "/keep", &[], b"{}").await;
    let other = format!(
        "Origin: http://localhost:{}",
        t.ui.port().wrapping_add(1).max(1)
    );
    // What a hostile page can send without a CORS preflight: POST with text/plain.
    let posts: [(&str, &[u8]); 7] = [
        (
            "/api/keys",
            br#"{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
        ),
        (
            "/api/send",
            br#"{"template":"run_complete","to":"http://127.0.0.1:9/x"}"#,
        ),
        (
            "/api/replay",
            br#"{"since":"2000-01-01T00:00:00Z","target":"http://127.0.0.1:9/x"}"#,
        ),
        ("/api/verify", b"{}"),
        ("/api/doctor", br#"{"to":"http://127.0.0.1:9/x"}"#),
        (
            "/api/events/1/replay",
            br#"{"target":"http://127.0.0.1:9/x"}"#,
        ),
        ("/api/events/1/curl", b"{}"),
    ];
    for origin in ["Origin: https://evil.example", other.as_str()] {
        for (path, body) in posts {
            let r = ui_request(
                &t,
                "POST",
                path,
                &[origin, "Content-Type: text/plain;charset=UTF-8"],
                body,
            )
            .await;
            assert_eq!(r.status, 403, "text/plain POST {path} from {origin}");
        }
        // A form post (application/x-www-form-urlencoded) and a no-Origin fetch marked
        // cross-site by the browser are refused the same way.
        let r = ui_request(
            &t,
            "POST",
            "/api/keys",
            &[origin, "Content-Type: application/x-www-form-urlencoded"],
            b"secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        .await;
        assert_eq!(r.status, 403);
    }
    let r = ui_request(
        &t,
        "POST",
        "/api/keys",
        &["Sec-Fetch-Site: cross-site", "Content-Type: text/plain"],
        br#"{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        get_json(&t, "/api/keys").await["keys"]
            .as_array()
            .expect("keys")
            .is_empty(),
        "no key was added"
    );
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert!(
        e["attempts"].as_array().is_none_or(Vec::is_empty),
        "nothing was replayed: {}",
        e["attempts"]
    );
    assert_eq!(
        get_json(&t, "/api/status").await["events"],
        1,
        "nothing was sent"
    );
    t.stop().await;
}

#[tokio::test]
async fn with_a_ui_token_every_route_and_the_websocket_need_it() {
    let t = spawn_app(&["--ui-token", "s3cret-token"]).await;
    let id = capture_post(&t, "/x", &[], b"{}").await;
    let routes: Vec<(&str, String)> = vec![
        ("GET", "/".into()),
        ("GET", "/index.html".into()),
        ("GET", "/app.js".into()),
        ("GET", "/style.css".into()),
        ("GET", "/no-such-page".into()),
        ("GET", "/api/events".into()),
        ("GET", format!("/api/events/{id}")),
        ("GET", format!("/api/events/{id}/raw")),
        ("DELETE", format!("/api/events/{id}")),
        ("DELETE", "/api/events".into()),
        ("POST", format!("/api/events/{id}/verify")),
        ("POST", format!("/api/events/{id}/replay")),
        ("POST", format!("/api/events/{id}/curl")),
        ("POST", "/api/replay".into()),
        ("POST", "/api/verify".into()),
        ("GET", "/api/messages/msg_1".into()),
        ("GET", "/api/keys".into()),
        ("POST", "/api/keys".into()),
        ("DELETE", "/api/keys".into()),
        ("DELETE", "/api/keys/1".into()),
        ("GET", "/api/status".into()),
        ("POST", "/api/send".into()),
        ("POST", "/api/doctor".into()),
        ("GET", "/api/doctor/runs".into()),
        ("GET", "/api/doctor/runs/1".into()),
        ("GET", "/api/nope".into()),
    ];
    let wrong = [
        vec![],
        vec!["Authorization: Bearer wrong"],
        vec!["Authorization: bearer s3cret-token"],
        vec!["Authorization: Basic czNjcmV0LXRva2Vu"],
        vec!["Cookie: hookpit_token=s3cret-tokenX"],
        vec!["Cookie: xhookpit_token=s3cret-token"],
    ];
    for (method, path) in &routes {
        for extra in &wrong {
            let r = ui_request(&t, method, path, extra, b"{}").await;
            assert_eq!(r.status, 401, "{method} {path} with {extra:?}");
            assert!(!String::from_utf8_lossy(&r.body).contains("\"id\""));
        }
        let r = ui_request(&t, method, &format!("{path}?token=nope"), &[], b"{}").await;
        assert_eq!(r.status, 401, "{method} {path}?token=nope");
    }
    // The WebSocket too: refused without, let in with the token (header, query or cookie).
    for extra in &wrong {
        let mut ws = UPGRADE.to_vec();
        ws.extend(extra.iter().copied());
        let r = ui_request(&t, "GET", "/api/live", &ws, b"").await;
        assert_eq!(r.status, 401, "WebSocket with {extra:?}");
    }
    let r = ui_request(&t, "GET", "/api/live?token=s3cret-token", &UPGRADE, b"").await;
    assert_eq!(r.status, 101);
    // A browser sends the cookie, and always names its page in Origin.
    let own = format!("Origin: {}", t.ui_origin());
    let mut ws = UPGRADE.to_vec();
    ws.push("Cookie: hookpit_token=s3cret-token");
    ws.push(&own);
    assert_eq!(
        ui_request(&t, "GET", "/api/live", &ws, b"").await.status,
        101
    );
    // The token does not excuse a cross-origin page.
    let mut ws = UPGRADE.to_vec();
    ws.push("Cookie: hookpit_token=s3cret-token");
    ws.push("Origin: http://evil.example");
    assert_eq!(
        ui_request(&t, "GET", "/api/live", &ws, b"").await.status,
        403
    );
    // Nothing was deleted by all that.
    let ok = ui_request(
        &t,
        "GET",
        &format!("/api/events/{id}"),
        &["Authorization: Bearer s3cret-token"],
        b"",
    )
    .await;
    assert_eq!(ok.status, 200);
    t.stop().await;
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const API_SECRET: &str = "whsec_QXBpS2V5Rm9yVGVzdGluZ01hc2tpbmcxMjM0";

/// The part of a `whsec_` secret that must never be shown.
fn hidden(secret: &str) -> &str {
    &secret["whsec_".len()..]
}

#[tokio::test]
async fn secrets_never_appear_unmasked_in_api_answers_or_exports() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let r = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({ "secret": API_SECRET, "route": "/api-route" }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let body = br#"{"type":"run_complete"}"#;
    let headers = svix_headers(SECRET, "msg_secret", chrono::Utc::now().timestamp(), body);
    let id = capture_post(&t, "/x", &as_refs(&headers), body).await;
    let api_headers = svix_headers(API_SECRET, "msg_api", chrono::Utc::now().timestamp(), body);
    let id2 = capture_post(&t, "/api-route/y", &as_refs(&api_headers), body).await;
    let mut answers = Vec::new();
    for path in [
        "/api/keys".to_string(),
        "/api/status".into(),
        "/api/events".into(),
        format!("/api/events/{id}"),
        format!("/api/events/{id2}"),
        "/api/messages/msg_secret".into(),
    ] {
        let r = ui_request(&t, "GET", &path, &[], b"").await;
        assert_eq!(r.status, 200, "{path}");
        answers.push((path, r.body));
    }
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["verification"]["status"], "valid");
    // Exports: a curl command, re-signed, and verbatim.
    for mode in ["resign", "verbatim"] {
        for event in [id, id2] {
            let r = post_json(
                &t,
                &format!("/api/events/{event}/curl"),
                &serde_json::json!({ "mode": mode, "target": "http://127.0.0.1:9/x" }),
            )
            .await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            answers.push((format!("curl {mode} {event}"), r.body));
        }
    }
    for (what, body) in &answers {
        let text = String::from_utf8_lossy(body);
        for secret in [SECRET, API_SECRET] {
            assert!(
                !text.contains(hidden(secret)),
                "{what} shows a secret: {text}"
            );
        }
    }
    let keys = get_json(&t, "/api/keys").await.to_string();
    assert!(keys.contains("whsec_"), "keys are listed, masked: {keys}");
    t.stop().await;
}

#[tokio::test]
async fn secrets_never_appear_in_the_logs_or_the_banner() {
    use common::child::{command, free_addr};
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, ui) = (free_addr(), free_addr());
    let args: Vec<String> = [
        "--db",
        ":memory:",
        "--listen",
        &capture.to_string(),
        "--ui",
        &ui.to_string(),
        "--secret",
        SECRET,
        "--ui-token",
        "the-ui-token-123",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.path().join("stderr.log");
    let out = dir.path().join("stdout.log");
    let mut child = command(dir.path(), &args, &log)
        .env("RUST_LOG", "hookpit=debug")
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .spawn()
        .expect("start hookpit");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while tokio::net::TcpStream::connect(ui).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "hookpit did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Traffic that logs: a valid webhook, a bad one, a refused UI request, a key added by API.
    let body = br#"{"type":"x"}"#;
    let good = svix_headers(SECRET, "msg_log", chrono::Utc::now().timestamp(), body);
    let mut head = format!(
        "POST /x HTTP/1.1\r\nHost: {capture}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in &good {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    assert_eq!(raw(capture, head.as_bytes(), body).await.status, 200);
    let bad = format!(
        "POST /x HTTP/1.1\r\nHost: {capture}\r\nsvix-id: m\r\nsvix-timestamp: 1\r\nsvix-signature: v1,AAAA\r\nContent-Length: 2\r\n"
    );
    assert_eq!(raw(capture, bad.as_bytes(), b"{}").await.status, 200);
    let refused =
        format!("GET /api/keys HTTP/1.1\r\nHost: {ui}\r\nAuthorization: Bearer wrong\r\n");
    assert_eq!(raw(ui, refused.as_bytes(), b"").await.status, 401);
    // The printed UI link used under a name the UI does not answer to: refused, and the token
    // in its query must not end up in the log of the refusal.
    let rebind = format!(
        "GET /?token=the-ui-token-123 HTTP/1.1\r\nHost: hookpit.lan:{}\r\n",
        ui.port()
    );
    assert_eq!(raw(ui, rebind.as_bytes(), b"").await.status, 421);
    let add = serde_json::to_vec(&serde_json::json!({ "secret": API_SECRET })).expect("json");
    let head = format!(
        "POST /api/keys HTTP/1.1\r\nHost: {ui}\r\nAuthorization: Bearer the-ui-token-123\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        add.len()
    );
    assert_eq!(raw(ui, head.as_bytes(), &add).await.status, 201);
    child.kill().await.expect("stop hookpit");
    let stderr = std::fs::read_to_string(&log).expect("stderr");
    let stdout = std::fs::read_to_string(&out).expect("stdout");
    assert!(
        !stderr.is_empty() && !stdout.is_empty(),
        "something was logged"
    );
    for (what, text) in [("stderr", &stderr), ("stdout (banner)", &stdout)] {
        for secret in [SECRET, API_SECRET] {
            assert!(
                !text.contains(hidden(secret)),
                "{what} shows a secret:\n{text}"
            );
        }
        assert!(
            !text.contains("Bearer wrong"),
            "{what} logs a presented token"
        );
    }
    assert!(
        !stderr.contains("the-ui-token-123"),
        "the log shows the UI token:\n{stderr}"
    );
}

#[tokio::test]
async fn raw_bodies_are_served_inert() {
    let t = spawn_app(&[]).await;
    let xss = b"<script>alert(1)</script><img src=x onerror=alert(2)>";
    let id = capture_post(&t, "/xss", &[("Content-Type", "text/html")], xss).await;
    let r = ui_request(&t, "GET", &format!("/api/events/{id}/raw"), &[], b"").await;
    assert_eq!(r.body, xss, "byte-exact");
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // Whatever type the sender claimed, the bytes come as a download, or as plain text when
    // the user asks to view them: never as a script or page of the UI's origin.
    let js = b"fetch('/api/keys',{method:'POST',body:'{}'})";
    let id = capture_post(&t, "/js", &[("Content-Type", "text/javascript")], js).await;
    let r = ui_request(&t, "GET", &format!("/api/events/{id}/raw"), &[], b"").await;
    assert_eq!(r.body, js, "byte-exact");
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(
        r.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")),
        "{r:?}"
    );
    let r = ui_request(&t, "GET", &format!("/api/events/{id}/raw?view=1"), &[], b"").await;
    assert_eq!(r.body, js, "byte-exact");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(
        r.header("content-security-policy")
            .is_some_and(|c| c.contains("sandbox"))
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // In the JSON API the payload is a string inside JSON, never HTML.
    let r = ui_request(&t, "GET", &format!("/api/events/{id}"), &[], b"").await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    let page = ui_request(&t, "GET", "/", &[], b"").await;
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // The browser itself refuses to turn a string into HTML or script, and no policy may be
    // made to get round it (tests/browser.rs checks that every view lives with this).
    assert!(
        csp.contains("require-trusted-types-for 'script'") && csp.contains("trusted-types 'none'"),
        "{csp}"
    );
    t.stop().await;
}

/// A UI bound to every interface (`--ui 0.0.0.0:P`) still knows its own origins: with the
/// token cookie set, pages on other sites and other localhost ports are refused, and the
/// cookie without an Origin does not stand in for one.
#[tokio::test]
async fn a_ui_bound_everywhere_refuses_other_origins_even_with_the_cookie() {
    let t = spawn_app(&["--ui", "0.0.0.0:0", "--ui-token", "s3cret-token"]).await;
    let id = capture_post(&t, "/keep", &[], b"{}").await;
    let ui = std::net::SocketAddr::from(([127, 0, 0, 1], t.ui.port()));
    let request = |method: &'static str, path: String, extra: Vec<String>, body: &'static [u8]| async move {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {ui}\r\nCookie: hookpit_token=s3cret-token\r\n"
        );
        for line in extra {
            head.push_str(&line);
            head.push_str("\r\n");
        }
        if !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        raw(ui, head.as_bytes(), body).await
    };
    let other_port = format!("http://localhost:{}", t.ui.port().wrapping_add(1).max(1));
    for origin in [
        "http://evil.com",
        "http://evil.com:80",
        other_port.as_str(),
        "null",
    ] {
        let from = format!("Origin: {origin}");
        let mut ws: Vec<String> = UPGRADE.iter().map(|s| s.to_string()).collect();
        ws.push(from.clone());
        let r = request("GET", "/api/live".into(), ws, b"").await;
        assert_eq!(r.status, 403, "live stream from {origin}");
        let r = request(
            "POST",
            "/api/keys".into(),
            vec![from.clone(), "Content-Type: text/plain".into()],
            br#"{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
        )
        .await;
        assert_eq!(r.status, 403, "key added from {origin}");
        let r = request("DELETE", "/api/events".into(), vec![from], b"").await;
        assert_eq!(r.status, 403, "events deleted from {origin}");
    }
    let r = request("DELETE", "/api/events".into(), vec![], b"").await;
    assert_eq!(
        r.status, 403,
        "the cookie without an Origin deleted the events"
    );

    // The UI's own pages still work, by address and by name, and a CLI with its Bearer token.
    for origin in [
        format!("http://{ui}"),
        format!("http://localhost:{}", ui.port()),
    ] {
        let mut ws: Vec<String> = UPGRADE.iter().map(|s| s.to_string()).collect();
        ws.push(format!("Origin: {origin}"));
        let r = request("GET", "/api/live".into(), ws, b"").await;
        assert_eq!(r.status, 101, "live stream from the UI's own {origin}");
    }
    let head = format!(
        "GET /api/events/{id} HTTP/1.1\r\nHost: {ui}\r\nAuthorization: Bearer s3cret-token\r\n"
    );
    assert_eq!(
        raw(ui, head.as_bytes(), b"").await.status,
        200,
        "the event is still there"
    );
    let r = request(
        "DELETE",
        format!("/api/events/{id}"),
        vec![format!("Origin: http://{ui}")],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "the UI's own page may delete");
    t.stop().await;
}
