//! https:// forward targets (issue 21, item 16): the public roots by default, a local
//! certificate trusted with `--forward-cacert`, or any with `--forward-insecure`. The target is
//! a relay serving TLS with an rcgen self-signed certificate; its 404 proves the request got
//! through the handshake.

mod common;

use common::{capture_post, post_json, raw, run_hookpit, spawn_app, spawn_relay, text};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// POSTs a webhook to the capture listener and returns the (proxied) answer.
async fn proxied(t: &common::TestApp) -> (u16, String) {
    let head = format!(
        "POST /hooks HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n",
        t.capture
    );
    let resp = raw(t.capture, head.as_bytes(), b"{}").await;
    (resp.status, text(&resp.body))
}

#[tokio::test]
async fn https_targets_with_a_self_signed_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("cert");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    let (cert_arg, key_arg) = (
        cert_path.to_str().expect("utf-8"),
        key_path.to_str().expect("utf-8"),
    );
    let app = spawn_relay(
        "127.0.0.1:0",
        ":memory:",
        &["--tls-cert", cert_arg, "--tls-key", key_arg],
    )
    .await;
    let target = format!("https://{}/", app.addr);

    // Not in the public roots: refused, and the reason says what to pass.
    let t = spawn_app(&["--forward", &target]).await;
    let (status, body) = proxied(&t).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("certificate"), "{body}");
    assert!(body.contains("--forward-cacert"), "{body}");
    t.stop().await;

    for trust in [
        ["--forward-cacert", cert_arg],
        ["--forward-insecure", "--forward-mode=proxy"],
    ] {
        let mut flags = vec!["--forward", target.as_str()];
        flags.extend(trust);
        let t = spawn_app(&flags).await;
        let (status, body) = proxied(&t).await;
        assert_eq!(status, 404, "{trust:?}: {body}");
        assert!(
            body.contains("this is a hookpit relay"),
            "{trust:?}: {body}"
        );
        t.stop().await;
    }

    // A replay to an https:// target, trusted with --forward-cacert.
    let t = spawn_app(&["--forward-cacert", cert_arg]).await;
    let id = capture_post(&t, "/hooks", &[("content-type", "application/json")], b"{}").await;
    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({ "target": target, "mode": "verbatim" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r.body));
    assert_eq!(r.json()["status"], 404, "{}", text(&r.body));
    t.stop().await;

    // `hookpit send` to it: through the handshake with --cacert, a certificate error without.
    let out = run_hookpit(
        &[
            "send", "ping", "--to", &target, "--secret", SECRET, "--cacert", cert_arg,
        ],
        b"",
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(stdout.contains("404"), "{stdout} {}", text(&out.stderr));
    let out = run_hookpit(&["send", "ping", "--to", &target, "--secret", SECRET], b"").await;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("certificate"),
        "{stdout} {}",
        text(&out.stderr)
    );
    app.stop().await;
}

#[test]
fn a_cacert_that_is_not_a_certificate_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("not.pem");
    std::fs::write(&path, "hello").expect("write");
    let flags = [
        "--forward",
        "https://127.0.0.1:3000/",
        "--forward-cacert",
        path.to_str().expect("utf-8"),
    ];
    let err = hookpit::config::ServeArgs::from_flags(flags)
        .expect("flags parse")
        .validate()
        .expect_err("no certificate in the file");
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
}
