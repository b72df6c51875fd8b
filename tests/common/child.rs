//! The real `hookpit` binary as a child process, for tests that must kill it (`kill -9`) or
//! read its exit status and stderr: free ports, start, wait until it listens, a keep-alive
//! client that reports errors instead of panicking.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use super::RawResponse;

/// How long a started binary may take to listen.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// A port on 127.0.0.1 that was free a moment ago (bound to :0, then released).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind :0");
    l.local_addr().expect("local addr")
}

/// A running `hookpit` child process. Dropping it kills it (SIGKILL).
pub struct Proc {
    pub child: Child,
    /// The address the test waited on (capture, or the relay's listener).
    pub addr: SocketAddr,
    /// The UI address (`hookpit serve` only).
    pub ui: Option<SocketAddr>,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl Proc {
    /// SIGKILL (`kill -9`: no shutdown code runs) and reap.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("kill the child");
    }

    /// SIGTERM (a graceful stop, as from a service manager) and wait, at most `limit`, for
    /// it to exit; its exit code.
    pub async fn terminate(&mut self, limit: Duration) -> Option<i32> {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("hookpit did not exit within {limit:?} of SIGTERM"))
            .expect("wait");
        status.code()
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A `Command` for the binary, in `dir` (so no stray `hookpit.toml` is read), with no
/// `HOOKPIT_*` variables from the environment and stderr to `log`.
pub fn command(dir: &Path, args: &[String], log: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookpit"));
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .env("RUST_LOG", "hookpit=info")
        .kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HOOKPIT_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Starts `hookpit serve` on fresh ports with `db` and `extra` flags; returns once both
/// listeners accept connections.
pub async fn start_serve(dir: &Path, db: &Path, extra: &[&str], log_name: &str) -> Proc {
    start_serve_with(dir, db, extra, log_name, |_| {}).await
}

/// [`start_serve`], with `setup` changing the command first (its `PATH`, its stdout).
pub async fn start_serve_with(
    dir: &Path,
    db: &Path,
    extra: &[&str],
    log_name: &str,
    setup: impl FnOnce(&mut Command),
) -> Proc {
    let (capture, ui) = (free_addr(), free_addr());
    let mut args: Vec<String> = vec![
        "--listen".into(),
        capture.to_string(),
        "--ui".into(),
        ui.to_string(),
        "--db".into(),
        db.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let log = dir.join(log_name);
    let mut cmd = command(dir, &args, &log);
    setup(&mut cmd);
    let child = cmd.spawn().expect("start hookpit");
    let mut proc = Proc {
        child,
        addr: capture,
        ui: Some(ui),
        log,
    };
    wait_listening(&mut proc, &[capture, ui]).await;
    proc
}

/// Starts `hookpit relay` on `addr` (its own public URL) with `db` and token `relay-token`.
pub async fn start_relay(
    dir: &Path,
    addr: SocketAddr,
    db: &Path,
    extra: &[&str],
    log_name: &str,
) -> Proc {
    let mut args: Vec<String> = vec![
        "relay".into(),
        "--listen".into(),
        addr.to_string(),
        "--public-url".into(),
        format!("http://{addr}"),
        "--db".into(),
        db.to_string_lossy().into_owned(),
        "--token".into(),
        "relay-token".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let log = dir.join(log_name);
    let child = command(dir, &args, &log).spawn().expect("start relay");
    let mut proc = Proc {
        child,
        addr,
        ui: None,
        log,
    };
    wait_listening(&mut proc, &[addr]).await;
    proc
}

/// Waits until every address accepts a connection; panics with the child's stderr if it
/// exits first or takes too long.
async fn wait_listening(proc: &mut Proc, addrs: &[SocketAddr]) {
    let deadline = tokio::time::Instant::now() + START_DEADLINE;
    for addr in addrs {
        loop {
            if TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if let Ok(Some(status)) = proc.child.try_wait() {
                panic!(
                    "hookpit exited ({status}) before listening:\n{}",
                    proc.stderr()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "hookpit did not listen on {addr} in time:\n{}",
                proc.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Runs the binary to its end (bounded) and returns (exit code, stderr).
pub async fn run_to_end(dir: &Path, args: &[String], timeout: Duration) -> (Option<i32>, String) {
    let log = dir.join("run.stderr");
    let mut child = command(dir, args, &log).spawn().expect("start hookpit");
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status.expect("wait"),
        Err(_) => {
            let _ = child.kill().await;
            panic!("hookpit {args:?} did not exit within {timeout:?}");
        }
    };
    (
        status.code(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

/// One HTTP/1.1 request on an open connection; reads a `Content-Length`-framed answer.
/// Errors (a reset, a closed socket, a truncated answer) are returned, not panicked on.
pub async fn exchange(stream: &mut TcpStream, request: &[u8]) -> std::io::Result<RawResponse> {
    stream.write_all(request).await?;
    read_response(stream).await
}

/// Reads one `Content-Length`-framed response.
pub async fn read_response(stream: &mut TcpStream) -> std::io::Result<RawResponse> {
    let broken =
        |what: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_string());
    let mut buf = Vec::new();
    let head_len = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(broken("connection closed before a response head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut slots);
    resp.parse(&buf[..head_len])
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let headers: Vec<(String, String)> = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let status = resp.code.ok_or_else(|| broken("no status"))?;
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_len..].to_vec();
    while body.len() < len {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(broken("connection closed inside a response body"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// A signed POST of `body` to `path` on `host`, as bytes for [`exchange`].
pub fn signed_request(
    host: SocketAddr,
    path: &str,
    secret: &str,
    msg_id: &str,
    body: &[u8],
) -> Vec<u8> {
    let headers = super::svix_headers(secret, msg_id, chrono::Utc::now().timestamp(), body);
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    req
}

/// `GET path` on `addr` with a fresh connection; `None` on any error.
pub async fn try_get(addr: SocketAddr, path: &str) -> Option<RawResponse> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    exchange(&mut s, req.as_bytes()).await.ok()
}
