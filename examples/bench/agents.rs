//! The `agents` scenario: what an idle connected agent costs `hookpit relay` in memory. N
//! agents (`--agents N`; 1,000, or 200 with `--quick`) each open the relay's WebSocket, say hello with the token
//! (a new channel each) and get their welcome; the relay's RSS before and after, per agent.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hookpit::relay::protocol::{AgentFrame, CONNECT_PATH, VERSION};
use tokio_tungstenite::tungstenite::Message;

use crate::{Bench, procs};

/// Agents held open at once (the figure is for 1,000).
const AGENTS: usize = 1_000;

pub async fn agents(b: &mut Bench) {
    let n = b.agents.unwrap_or(if b.secs <= 3 { 200 } else { AGENTS });
    let dir = tempfile::tempdir().unwrap();
    let addr = procs::free_addr();
    let args: Vec<String> = [
        "relay",
        "--listen",
        &addr.to_string(),
        "--public-url",
        &format!("http://{addr}"),
        "--db",
        dir.path().join("agents.db").to_str().unwrap(),
        "--token",
        "t",
        "--max-channels",
        &(n + 1).to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let relay = procs::start(procs::binary("hookpit", false), &args, addr).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = relay.rss_mib();
    let hello = serde_json::to_string(&AgentFrame::Hello {
        version: VERSION,
        token: Some("t".into()),
        channel: None,
        key: None,
        last_seq: 0,
    })
    .unwrap();
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let url = format!("ws://{addr}{CONNECT_PATH}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        ws.send(Message::text(hello.clone())).await.unwrap();
        let welcome = ws.next().await.unwrap().unwrap();
        assert!(
            welcome.to_text().unwrap_or("").contains("welcome"),
            "{welcome:?}"
        );
        held.push(ws);
    }
    // Let allocations settle (the sessions' first heartbeats are 15 s away).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (with, _) = relay.rss_mib();
    let each_kib = (with - before) * 1024.0 / n as f64;
    b.row(
        "agents",
        format!("{n} idle connected agents: relay memory"),
        format!("RSS {before:.1} → {with:.1} MiB (+{each_kib:.1} KiB each)"),
        "≤ 64 KiB each",
        Some(each_kib <= 64.0),
    );
    drop(held);
}
