//! `--tunnel` and the canary, end to end: the real binary runs stand-ins of cloudflared, ngrok
//! and ssh (tests/tunnel_standin/standin.py, first on `PATH`) that print what the real programs
//! print and forward a local "public" port to the capture port, so no network is needed.

mod common;

use std::time::Duration;

use common::child::{self, Proc};
use common::standin::{kill9, path_with, pid_alive, stand_ins, start, status};
use common::stub::{Stub, eventually};
use common::*;
use futures_util::StreamExt;
use serde_json::Value;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// How long a tunnel may take to come up, or the canary to see a change.
const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `/api/status` until `check` picks something out of it.
async fn until<T>(proc: &Proc, what: &str, check: impl Fn(&Value) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let s = status(proc).await;
        if let Some(v) = check(&s) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; last status: {s:#}\nstderr:\n{}",
            proc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the tunnel is up and the canary passed through it; the public URL.
async fn up_and_green(proc: &Proc, not: Option<&str>) -> String {
    until(proc, "the tunnel up and the canary green", |s| {
        let url = s["tunnel"]["public_url"].as_str()?;
        let fresh = Some(url) != not;
        let ok =
            s["tunnel"]["state"] == "up" && s["canary"]["ok"] == true && s["canary"]["url"] == url;
        (fresh && ok).then(|| url.to_string())
    })
    .await
}

/// A POST of `body` to `url` (`http://127.0.0.1:port/path`), as a sender on the internet makes it.
async fn post(url: &str, path: &str, body: &str) -> common::RawResponse {
    let addr: std::net::SocketAddr = url
        .strip_prefix("http://")
        .expect("http URL")
        .parse()
        .expect("addr");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the public URL");
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    child::exchange(&mut stream, req.as_bytes())
        .await
        .expect("an answer")
}

#[tokio::test]
async fn a_quick_tunnel_gives_a_url_that_reaches_capture_and_the_canary_is_not_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = stand_ins(dir.path());
    let proc = start(
        dir.path(),
        path_with(&bin),
        &["--tunnel", "cloudflared", "--canary-interval", "200ms"],
    )
    .await;
    let url = up_and_green(&proc, None).await;
    let s = status(&proc).await;
    assert_eq!(s["tunnel"]["driver"], "cloudflared");
    assert_eq!(s["tunnel"]["changes_url"], true);
    assert!(s["tunnel"]["pid"].as_u64().is_some(), "{s:#}");
    assert!(s["canary"]["latency_ms"].as_u64().is_some(), "{s:#}");
    assert!(s["canary"]["received"].as_u64() >= Some(1), "{s:#}");
    assert_eq!(s["events"], 0, "probes are not listed as events: {s:#}");

    let resp = post(&url, "/cyberdesk", r#"{"event_type":"run_complete"}"#).await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    until(&proc, "the webhook stored", |s| {
        (s["events"] == 1).then_some(())
    })
    .await;

    let banner = std::fs::read_to_string(dir.path().join("stdout.log")).expect("stdout");
    assert!(banner.contains("tunnel    cloudflared"), "{banner}");
    assert!(
        banner.contains(&format!("Cyberdesk  {url}/cyberdesk")),
        "{banner}"
    );
    assert!(banner.contains("new URL every time it starts"), "{banner}");
}

#[tokio::test]
async fn the_canary_goes_red_when_the_tunnel_dies_and_green_after_the_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = stand_ins(dir.path());
    // The default interval (60 s): the canary probes at once when the program dies and when
    // it is back, so red and green come within the test's patience all the same.
    let mut proc = start(dir.path(), path_with(&bin), &["--tunnel", "cloudflared"]).await;
    let first = up_and_green(&proc, None).await;
    let ui = proc.ui.expect("ui");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{ui}/api/live"))
        .await
        .expect("live stream");
    let pid = status(&proc).await["tunnel"]["pid"].as_u64().expect("pid");

    kill9(pid);
    let red = until(&proc, "the canary red", |s| {
        (s["canary"]["ok"] == false).then(|| s.clone())
    })
    .await;
    assert_eq!(red["canary"]["url"], first.as_str(), "{red:#}");
    assert_eq!(red["canary"]["failed_at"], "tunnel");
    assert!(red["canary"]["failing_since"].is_string(), "{red:#}");
    assert!(
        red["canary"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{red:#}"
    );
    // The live stream said so too.
    let frame = tokio::time::timeout(PATIENCE, async {
        while let Some(Ok(msg)) = ws.next().await {
            let Ok(v) = serde_json::from_str::<Value>(msg.to_text().unwrap_or("")) else {
                continue;
            };
            if v["type"] == "tunnel.status" && v["data"]["canary"]["ok"] == false {
                return v;
            }
        }
        panic!("the live stream ended")
    })
    .await
    .expect("a red tunnel.status frame");
    assert!(
        frame["data"]["tunnel"]["driver"] == "cloudflared",
        "{frame:#}"
    );

    let second = up_and_green(&proc, Some(&first)).await;
    let s = status(&proc).await;
    assert_eq!(s["tunnel"]["previous_url"], first.as_str(), "{s:#}");
    assert!(s["tunnel"]["url_changed_at"].is_string(), "{s:#}");
    assert!(s["canary"]["failing_since"].is_null(), "{s:#}");
    let new_pid = s["tunnel"]["pid"].as_u64().expect("pid");
    assert_ne!(new_pid, pid);
    assert!(!pid_alive(pid), "the killed program is reaped");
    let resp = post(&second, "/after-restart", "{}").await;
    assert_eq!(resp.status, 200);

    let log = proc.stderr();
    assert!(
        log.contains(&format!(
            "webhooks sent to {first} are not reaching this hookpit since"
        )),
        "{log}"
    );
    assert!(log.contains("restarting cloudflared in 1 s"), "{log}");
    assert!(
        log.contains(&format!(
            "reach this hookpit again (they failed since {}",
            red["canary"]["failing_since"].as_str().expect("since")
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("the public URL changed (was {first})")),
        "{log}"
    );
    let banner = std::fs::read_to_string(dir.path().join("stdout.log")).expect("stdout");
    assert!(
        banner.contains(&format!("CHANGED (was {first})")),
        "{banner}"
    );

    // Stopping hookpit stops the program: no orphan.
    assert_eq!(
        proc.terminate(Duration::from_secs(15)).await,
        Some(0),
        "{}",
        proc.stderr()
    );
    assert!(
        !pid_alive(new_pid),
        "cloudflared (pid {new_pid}) still runs after hookpit stopped"
    );
}

#[tokio::test]
async fn ngrok_and_ssh_print_their_urls_in_their_own_formats() {
    for driver in ["ngrok", "ssh:nokey@localhost.run"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = stand_ins(dir.path());
        let mut proc = start(
            dir.path(),
            path_with(&bin),
            &["--tunnel", driver, "--canary-interval", "200ms"],
        )
        .await;
        let url = up_and_green(&proc, None).await;
        let s = status(&proc).await;
        assert_eq!(
            s["tunnel"]["driver"],
            driver.split(':').next().expect("name"),
            "{s:#}"
        );
        assert_eq!(s["tunnel"]["changes_url"], false);
        let resp = post(&url, "/hook", "{}").await;
        assert_eq!(resp.status, 200, "{driver}");
        let pid = s["tunnel"]["pid"].as_u64().expect("pid");
        assert_eq!(proc.terminate(Duration::from_secs(15)).await, Some(0));
        assert!(!pid_alive(pid), "{driver} still runs after hookpit stopped");
    }
}

#[tokio::test]
async fn without_the_program_hookpit_says_how_to_install_it_and_still_captures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let proc = start(
        dir.path(),
        empty.into_os_string(),
        &["--tunnel", "cloudflared"],
    )
    .await;
    let s = until(&proc, "the tunnel failed", |s| {
        (s["tunnel"]["state"] == "failed").then(|| s.clone())
    })
    .await;
    let error = s["tunnel"]["error"].as_str().expect("error");
    assert!(
        error.contains("not found on PATH") && error.contains("brew install cloudflared"),
        "{error}"
    );
    assert!(
        error.contains("ssh:nokey@localhost.run") && error.contains("--relay"),
        "{error}"
    );
    assert!(s["tunnel"]["public_url"].is_null());
    assert_eq!(s["canary"]["sent"], 0, "nothing to probe: {s:#}");
    assert!(
        proc.stderr()
            .contains("cloudflared not found on PATH; hookpit keeps capturing"),
        "{}",
        proc.stderr()
    );
    let said = std::fs::read_to_string(dir.path().join("stdout.log")).expect("stdout");
    assert!(
        said.contains("To install it:\n  macOS          brew install cloudflared\n"),
        "{said}"
    );
    assert!(
        said.contains("Needs no install: --tunnel ssh:nokey@localhost.run"),
        "{said}"
    );
    let resp = post(&format!("http://{}", proc.addr), "/still", "{}").await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn a_probe_without_the_secret_is_an_ordinary_webhook() {
    let t = spawn_app(&[]).await;
    let forged = [
        (
            "Hookpit-Canary",
            "v1,0123456789abcdef0123456789abcdef,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        ("Content-Type", "application/json"),
    ];
    let id = capture_post(
        &t,
        "/hookpit-canary",
        &forged,
        br#"{"type":"hookpit.canary"}"#,
    )
    .await;
    let listed = get_json(&t, "/api/events").await;
    assert_eq!(listed["events"][0]["id"], id, "{listed:#}");
    let s = get_json(&t, "/api/status").await;
    assert!(s["canary"].is_null() && s["tunnel"].is_null(), "{s:#}");
    t.stop().await;
}

#[tokio::test]
async fn the_canary_watches_a_relay_too() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    // The default interval (60 s): the first probe goes as soon as the agent is connected.
    let t = spawn_app(&["--relay", &relay.url(), "--relay-token", "relay-token"]).await;
    let s = eventually("the canary green through the relay", || async {
        let s = get_json(&t, "/api/status").await;
        (s["canary"]["ok"] == true).then_some(s)
    })
    .await;
    assert_eq!(
        s["relay"]["canary"]["ok"], true,
        "the relay object carries it: {s:#}"
    );
    assert!(s["tunnel"].is_null());
    let url = s["relay"]["public_url"].as_str().expect("url");
    assert_eq!(s["canary"]["url"], url);
    assert_eq!(
        get_json(&t, "/api/status").await["events"],
        0,
        "probes are not listed"
    );
    relay.stop().await;
    let s = eventually("the canary red without the relay", || async {
        let s = get_json(&t, "/api/status").await;
        (s["canary"]["ok"] == false).then_some(s)
    })
    .await;
    assert_eq!(s["canary"]["failed_at"], "tunnel", "{s:#}");
    t.stop().await;
}

#[tokio::test]
async fn with_canary_app_the_probe_goes_on_to_the_app_and_its_answer_is_judged() {
    let app = Stub::start(Some(SECRET), &[500, 500, 500, 200]).await;
    let forward = format!("http://{}/webhooks", app.addr);
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let t = spawn_app(&[
        "--relay",
        &relay.url(),
        "--relay-token",
        "relay-token",
        "--canary-interval",
        "200ms",
        "--canary-app",
        "--forward",
        &forward,
        "--secret",
        SECRET,
    ])
    .await;
    let red = eventually("the canary red at the app", || async {
        let s = get_json(&t, "/api/status").await;
        (s["canary"]["ok"] == false).then_some(s)
    })
    .await;
    assert_eq!(red["canary"]["failed_at"], "app", "{red:#}");
    assert!(
        red["canary"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{red:#}"
    );
    eventually("the canary green once the app answers 200", || async {
        let s = get_json(&t, "/api/status").await;
        (s["canary"]["ok"] == true).then_some(())
    })
    .await;
    let hits = app.hits.lock().expect("hits").clone();
    assert!(
        hits.iter()
            .all(|h| h.path() == "/webhooks" && h.verdict.status == hookpit::verify::Status::Valid),
        "{hits:#?}"
    );
    assert_eq!(
        get_json(&t, "/api/status").await["events"],
        0,
        "probes are not listed"
    );
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn a_probe_from_an_earlier_run_delivered_after_a_restart_is_dropped_not_listed() {
    // A relay keeps what arrives while the agent is away: a probe the last run sent reaches
    // the next run of the same database, which must still know it as its own.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hookpit.db");
    let db = db.to_str().expect("utf-8");
    let first = spawn_app(&["--db", db]).await;
    let probe = first.app.public.probes.start();
    first.stop().await;
    let second = spawn_app(&["--db", db]).await;
    let head = format!(
        "POST /hookpit-canary HTTP/1.1\r\nHost: {}\r\nHookpit-Canary: {}\r\nContent-Length: 2\r\n",
        second.capture, probe.header
    );
    let resp = raw(second.capture, head.as_bytes(), b"{}").await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    assert_eq!(resp.json()["late"], true, "{}", text(&resp.body));
    let s = get_json(&second, "/api/status").await;
    assert_eq!(s["events"], 0, "a late probe is not a webhook: {s:#}");
    second.stop().await;
}
