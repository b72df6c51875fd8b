//! Test harness: `spawn_app()` boots the real hookpit on 127.0.0.1:0 (both listeners) with a
//! throwaway or given database, and a tiny raw HTTP/1.1 client sends exact bytes.
#![allow(dead_code, missing_docs)]

pub mod chain;
pub mod child;
pub mod disk;
pub mod h2;
pub mod mcp;
pub mod standin;
pub mod stub;

use std::net::SocketAddr;

use hookpit::app::{App, Listeners};
use hookpit::config::ServeArgs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running hookpit.
pub struct TestApp {
    pub capture: SocketAddr,
    pub ui: SocketAddr,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Stops it and waits until both listeners are closed and the store is released.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("app task").expect("app ran cleanly");
        }
    }

    /// `http://127.0.0.1:port` of the UI.
    pub fn ui_origin(&self) -> String {
        format!("http://{}", self.ui)
    }
}

/// Boots hookpit with `flags` (plus `--db :memory:` unless a `--db` is given, and the UI on
/// 127.0.0.1:0 unless a `--ui` is).
pub async fn spawn_app(flags: &[&str]) -> TestApp {
    spawn_app_with_clock(flags, hookpit::clock::Clock::default()).await
}

/// Like [`spawn_app`], with the clock hookpit stamps and judges by (a manual one in tests that
/// control time).
pub async fn spawn_app_with_clock(flags: &[&str], clock: hookpit::clock::Clock) -> TestApp {
    let mut all: Vec<String> = vec!["--listen".into(), "127.0.0.1:0".into()];
    if !flags.contains(&"--ui") {
        all.extend(["--ui".into(), "127.0.0.1:0".into()]);
    }
    if !flags.contains(&"--db") {
        all.extend(["--db".into(), ":memory:".into()]);
    }
    all.extend(flags.iter().map(|s| s.to_string()));
    let config = ServeArgs::from_flags(all)
        .expect("test flags parse")
        .validate()
        .expect("test config is valid");
    let listeners = Listeners {
        capture: TcpListener::bind(config.listen)
            .await
            .expect("bind capture"),
        ui: TcpListener::bind(config.ui).await.expect("bind ui"),
    };
    let mut app = App::new(config, &listeners).await.expect("app starts");
    app.clock = clock;
    let (capture, ui) = (app.bound.capture, app.bound.ui);
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = app.clone();
    let task = tokio::spawn(async move {
        runner
            .run(listeners, async {
                let _ = stopped.await;
            })
            .await
    });
    TestApp {
        capture,
        ui,
        app,
        stop: Some(stop),
        task: Some(task),
    }
}

/// A response as the raw client read it.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends exactly `head` (without the blank line; `Connection: close` is added) and `body`.
pub async fn raw(addr: SocketAddr, head: &[u8], body: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut req = head.to_vec();
    if !req.ends_with(b"\r\n") {
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"Connection: close\r\n\r\n");
    req.extend_from_slice(body);
    stream.write_all(&req).await.expect("write request");
    let mut buf = Vec::new();
    // Read to the end, or only the head of a 101 (the socket then stays open as a WebSocket).
    loop {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.expect("read response");
        buf.extend_from_slice(&chunk[..n]);
        if n == 0 || (buf.starts_with(b"HTTP/1.1 101") && buf.windows(4).any(|w| w == b"\r\n\r\n"))
        {
            break;
        }
    }
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> RawResponse {
    try_parse_response(buf).unwrap_or_else(|| {
        panic!(
            "not a whole HTTP response: {}",
            String::from_utf8_lossy(buf)
        )
    })
}

/// The response in `buf`, or `None` while its head is incomplete or not HTTP.
pub fn try_parse_response(buf: &[u8]) -> Option<RawResponse> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut slots);
    let len = match resp.parse(buf).ok()? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return None,
    };
    Some(RawResponse {
        status: resp.code?,
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body: buf[len..].to_vec(),
    })
}

/// A request to the UI listener with the right Host and optional extra header lines.
pub async fn ui_request(
    t: &TestApp,
    method: &str,
    path: &str,
    extra: &[&str],
    body: &[u8],
) -> RawResponse {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", t.ui);
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw(t.ui, head.as_bytes(), body).await
}

/// `GET` a JSON resource of the UI listener.
pub async fn get_json(t: &TestApp, path: &str) -> serde_json::Value {
    let resp = ui_request(t, "GET", path, &[], b"").await;
    assert_eq!(
        resp.status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    resp.json()
}

/// `POST` JSON to the UI listener.
pub async fn post_json(t: &TestApp, path: &str, value: &serde_json::Value) -> RawResponse {
    let body = serde_json::to_vec(value).expect("json");
    ui_request(t, "POST", path, &["Content-Type: application/json"], &body).await
}

/// POSTs `body` with `headers` to the capture listener at `path`; returns the stored id.
pub async fn capture_post(t: &TestApp, path: &str, headers: &[(&str, &str)], body: &[u8]) -> i64 {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        t.capture,
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let resp = raw(t.capture, head.as_bytes(), body).await;
    assert!(
        (200..300).contains(&resp.status),
        "capture answered {}: {}",
        resp.status,
        String::from_utf8_lossy(&resp.body)
    );
    resp.json()["id"].as_i64().expect("id in capture answer")
}

/// Svix headers signing `body` with `secret` at `timestamp`.
pub fn svix_headers(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(String, String)> {
    let key = hookpit::verify::Key::parse(None, secret).expect("test key parses");
    let sig =
        hookpit::verify::standard::sign(msg_id, timestamp, body, &[key]).expect("key can sign");
    vec![
        ("svix-id".into(), msg_id.into()),
        ("svix-timestamp".into(), timestamp.to_string()),
        ("svix-signature".into(), sig),
        ("content-type".into(), "application/json".into()),
    ]
}

/// Borrows owned header pairs as `&str` pairs.
pub fn as_refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// A fixture file from tests/data.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A running `hookpit relay`.
pub struct TestRelay {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestRelay {
    /// Stops it and waits until it has closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("relay task").expect("relay ran cleanly");
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Boots a relay on `addr` (`127.0.0.1:0` for a fresh port) with `db` and `extra` flags; its
/// token is `relay-token`.
pub async fn spawn_relay(addr: &str, db: &str, extra: &[&str]) -> TestRelay {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        relay: hookpit::relay::args::RelayArgs,
    }
    let listener = TcpListener::bind(addr).await.expect("bind relay");
    let bound = listener.local_addr().expect("relay addr");
    let public = format!("http://{bound}");
    let mut args = vec![
        "relay",
        "--public-url",
        &public,
        "--db",
        db,
        "--token",
        "relay-token",
    ];
    args.extend_from_slice(extra);
    let relay_args = Wrapper::try_parse_from(args).expect("relay flags").relay;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(hookpit::relay::run(relay_args, listener, async {
        let _ = stopped.await;
    }));
    TestRelay {
        addr: bound,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Boots hookpit like `spawn_app`, but with the UI listener bound to `ui`: a restart on the
/// same UI address, as a browser tab that stays open sees it.
pub async fn spawn_app_on(ui: SocketAddr, flags: &[&str]) -> TestApp {
    let mut all: Vec<String> = vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--ui".into(),
        ui.to_string(),
    ];
    if !flags.contains(&"--db") {
        all.extend(["--db".into(), ":memory:".into()]);
    }
    all.extend(flags.iter().map(|s| s.to_string()));
    let config = ServeArgs::from_flags(all)
        .expect("test flags parse")
        .validate()
        .expect("test config is valid");
    // The old listener may take a moment to let go of the port.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let ui_listener = loop {
        match TcpListener::bind(config.ui).await {
            Ok(l) => break l,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("bind ui {}: {e}", config.ui),
        }
    };
    let listeners = Listeners {
        capture: TcpListener::bind(config.listen)
            .await
            .expect("bind capture"),
        ui: ui_listener,
    };
    let app = App::new(config, &listeners).await.expect("app starts");
    let (capture, ui) = (app.bound.capture, app.bound.ui);
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = app.clone();
    let task = tokio::spawn(async move {
        runner
            .run(listeners, async {
                let _ = stopped.await;
            })
            .await
    });
    TestApp {
        capture,
        ui,
        app,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Runs the real binary with `args` and `stdin`, without HOOKPIT_* secrets from the environment.
pub async fn run_hookpit(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args(args)
        .env_remove("HOOKPIT_SECRET")
        .env_remove("HOOKPIT_TO")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("hookpit binary starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).await.expect("write stdin");
    drop(input);
    child.wait_with_output().await.expect("hookpit runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Signing options with one key.
pub fn signing(secret: &str) -> hookpit::send::Signing {
    hookpit::send::Signing {
        keys: vec![hookpit::verify::Key::parse(None, secret).expect("key")],
        ..hookpit::send::Signing::default()
    }
}

/// Whether Python's svix is importable; panics under CI, where it must be.
pub fn python_svix_available() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import svix"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3 cannot import svix; CI must `pip install svix` before the tests");
        }
        // Written to the real stderr, past the test harness's capture, so a skip is never quiet.
        let loud = "\n*** SKIPPED: python svix package not installed (pip install svix) ***\n";
        let _ = std::io::Write::write_all(&mut std::io::stderr(), loud.as_bytes());
    }
    ok
}

/// Says on the real stderr, past the test harness's capture, that a check did not run and why,
/// so a skip is never quiet.
pub fn skipped(test: &str, why: &str) {
    let loud = format!("\n*** SKIPPED {test}: {why} ***\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), loud.as_bytes());
}
