//! The `wait` scenario: how soon a waiting `hookpit wait` (the real command) prints a webhook
//! after the sender got its 2xx, and what 500 idle waiters on `GET /api/events/wait` cost
//! hookpit in CPU and memory.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::{Bench, procs, shot};

/// Idle waiters held open at once.
const IDLE_WAITERS: usize = 500;

pub async fn wait(b: &mut Bench) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let (p, capture, ui) = crate::hookpit(&[], db.to_str().unwrap()).await;
    let rounds = if b.secs <= 3 { 20 } else { 100 };
    let mut gaps = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut child = tokio::process::Command::new(procs::binary("hookpit", false))
            .args(["wait", "--ui", &ui.to_string(), "--timeout", "30s"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Time for the command to start and its request to reach hookpit.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let shot = shot(capture, "/cyberdesk");
        assert!(shot.once().await, "the webhook got a 2xx");
        let answered = Instant::now();
        let line = lines.next_line().await.unwrap().unwrap_or_default();
        gaps.push(answered.elapsed().as_secs_f64() * 1000.0);
        assert!(line.contains("\"id\""), "wait printed {line:?}");
        let _ = child.wait().await;
    }
    gaps.sort_by(f64::total_cmp);
    let pick = |q: f64| gaps[((gaps.len() as f64 - 1.0) * q).round() as usize];
    b.row(
        "wait",
        format!("2xx to `hookpit wait` printing it ({rounds} rounds)"),
        format!("p50 {:.2} ms, p99 {:.2} ms", pick(0.5), pick(0.99)),
        "",
        None,
    );

    let idle = Duration::from_secs(b.secs);
    let (rss_before, _) = p.rss_mib();
    let cpu = p.cpu();
    tokio::time::sleep(idle).await;
    let cpu_alone = p.cpu() - cpu;
    let mut waiters = Vec::with_capacity(IDLE_WAITERS);
    for _ in 0..IDLE_WAITERS {
        let mut s = TcpStream::connect(ui).await.unwrap();
        let head = format!("GET /api/events/wait?timeout=300s HTTP/1.1\r\nHost: {ui}\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        waiters.push(s);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss_with, _) = p.rss_mib();
    let cpu = p.cpu();
    tokio::time::sleep(idle).await;
    let cpu_waiting = p.cpu() - cpu;
    b.row(
        "wait",
        format!("{IDLE_WAITERS} idle waiters: memory"),
        format!(
            "RSS {rss_before:.1} → {rss_with:.1} MiB (+{:.1} KiB each)",
            (rss_with - rss_before) * 1024.0 / IDLE_WAITERS as f64
        ),
        "",
        None,
    );
    b.row(
        "wait",
        format!("{IDLE_WAITERS} idle waiters: CPU over {} s", idle.as_secs()),
        format!(
            "{} ms (none waiting: {} ms)",
            cpu_waiting.as_millis(),
            cpu_alone.as_millis()
        ),
        "",
        None,
    );
    let woken = Instant::now();
    assert!(shot(capture, "/cyberdesk").once().await);
    let mut answered = 0;
    for s in waiters {
        let mut first = String::new();
        let mut r = BufReader::new(s);
        if r.read_line(&mut first).await.is_ok() && first.contains(" 200 ") {
            answered += 1;
        }
    }
    b.row(
        "wait",
        format!("one event wakes {IDLE_WAITERS} waiters"),
        format!(
            "{answered} answered 200 within {:.1} ms",
            woken.elapsed().as_secs_f64() * 1000.0
        ),
        "",
        None,
    );
}
