//! Processes the benchmark starts itself (hookpit, the relay, the bare hyper yardstick) on
//! loopback ports it picks; each is killed when its handle drops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::process::{Child, Command};

/// A started process, killed on drop.
pub struct Proc {
    pub child: Child,
}

impl Proc {
    /// Resident memory now and at its peak, in MiB, from /proc.
    pub fn rss_mib(&self) -> (f64, f64) {
        let Some(pid) = self.child.id() else {
            return (0.0, 0.0);
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU time (user + system) the process has used so far, from /proc.
    pub fn cpu(&self) -> Duration {
        self.child
            .id()
            .map_or(Duration::ZERO, |pid| cpu_of(&format!("/proc/{pid}/stat")))
    }
}

/// CPU time of this benchmark process so far.
pub fn own_cpu() -> Duration {
    cpu_of("/proc/self/stat")
}

/// CPU time of the calling thread so far.
pub fn thread_cpu() -> Duration {
    cpu_of("/proc/thread-self/stat")
}

/// CPU time so far of this process's threads named `name` (as `/proc` shows it: at most 15
/// bytes).
pub fn threads_cpu(name: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim_end() == name)
        })
        .map(|t| cpu_of(&t.path().join("stat").to_string_lossy()))
        .sum()
}

/// utime + stime of a `/proc/…/stat` file (fields 14 and 15, after the parenthesised name).
fn cpu_of(stat: &str) -> Duration {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    let after_name = text.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    // Linux reports these in clock ticks of 1/100 s (USER_HZ) on every architecture it runs.
    Duration::from_millis(ticks * 10)
}

/// A loopback address with a port nobody uses right now.
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address")
}

/// `target/release/<name>` or `target/release/examples/<name>`, next to this benchmark.
pub fn binary(name: &str, example: bool) -> PathBuf {
    let me = std::env::current_exe().expect("own path");
    let examples = me.parent().expect("examples dir").to_path_buf();
    if example {
        examples.join(name)
    } else {
        examples.parent().expect("profile dir").join(name)
    }
}

/// Starts `bin` with `args` and waits until `ready` accepts connections.
pub async fn start(bin: PathBuf, args: &[String], ready: SocketAddr) -> Proc {
    let child = Command::new(&bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (run bench/run, which builds it)",
                bin.display()
            )
        });
    wait_ready(ready).await;
    Proc { child }
}

/// Waits (at most 10 s) until `addr` accepts a connection; returns how long it took.
pub async fn wait_ready(addr: SocketAddr) -> Duration {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return t.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("{addr} did not come up within 10 s");
}

/// One GET; returns its latency and body.
pub async fn get(addr: SocketAddr, path: &str) -> (Duration, Bytes) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .expect("request");
    let t = Instant::now();
    let resp = sender.send_request(req).await.expect("answer");
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (t.elapsed(), body)
}

/// Median of `n` GETs of `path`, in milliseconds.
pub async fn median_get_ms(addr: SocketAddr, path: &str, n: usize) -> f64 {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        times.push(get(addr, path).await.0.as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
