//! Every webhook acknowledged in ack mode reaches the app: the real binary forwards to a slow
//! app, is killed with SIGKILL while deliveries are in flight, round after round, and is
//! restarted on the same database each time. At the end every acknowledged webhook has an
//! attempt the app answered with a 2xx; a message id delivered twice is marked as such.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::child::{Proc, exchange, signed_request, start_serve, try_get};
use common::stub::Stub;
use tokio::net::TcpStream;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
/// Kill-and-restart rounds.
const ROUNDS: u64 = 10;
/// Concurrent sender connections per round.
const SENDERS: u64 = 2;
/// How long the app takes over each request.
const APP_DELAY: Duration = Duration::from_millis(300);

/// Sends webhooks back to back until hookpit dies or `until`; records the acknowledged ones
/// as (event id, message id).
async fn sender(
    addr: std::net::SocketAddr,
    tag: String,
    until: tokio::time::Instant,
    acked: Arc<Mutex<Vec<(i64, String)>>>,
) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return;
    };
    for n in 0.. {
        if tokio::time::Instant::now() >= until {
            return;
        }
        let uid = format!("msg_{tag}n{n}");
        let body = format!(r#"{{"type":"crash.delivery","id":"{uid}"}}"#);
        let req = signed_request(addr, "/d", SECRET, &uid, body.as_bytes());
        let Ok(resp) = exchange(&mut stream, &req).await else {
            return; // killed: this one was not acknowledged
        };
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        let id = resp.json()["id"].as_i64().expect("event id");
        acked.lock().expect("not poisoned").push((id, uid));
    }
}

/// The attempts of event `id`, if the UI answers.
async fn attempts(proc: &Proc, id: i64) -> Option<Vec<serde_json::Value>> {
    let resp = try_get(proc.ui?, &format!("/api/events/{id}")).await?;
    Some(resp.json()["attempts"].as_array()?.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_ack_deliveries_loses_no_delivery() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let stub = Stub::start(Some(SECRET), &[]).await;
    stub.stall_next(&vec![APP_DELAY; 100_000]);
    let target = stub.url("/app");
    // Plenty of quick tries: every kill cuts some short, and each cut counts as one.
    let schedule = format!("0s{}", ",200ms".repeat(60));
    let flags = [
        "--secret",
        SECRET,
        "--forward",
        &target,
        "--forward-mode",
        "ack",
        "--retry-schedule",
        &schedule,
    ];
    let started = std::time::Instant::now();
    let mut proc = start_serve(dir.path(), &db, &flags, "start.log").await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    for round in 0..ROUNDS {
        let until = tokio::time::Instant::now() + Duration::from_millis(400);
        let senders: Vec<_> = (0..SENDERS)
            .map(|c| {
                let tag = format!("r{round}c{c}");
                tokio::spawn(sender(proc.addr, tag, until, Arc::clone(&acked)))
            })
            .collect();
        // A different moment each round, always while the slow app holds deliveries.
        let moment = Duration::from_millis(150 + round * 97 % 400);
        tokio::time::sleep(moment).await;
        proc.kill9().await;
        for s in senders {
            tokio::time::timeout(Duration::from_secs(10), s)
                .await
                .expect("senders stop")
                .expect("sender task");
        }
        proc = start_serve(dir.path(), &db, &flags, &format!("round{round}.log")).await;
    }
    let acked = acked.lock().expect("not poisoned").clone();
    assert!(!acked.is_empty(), "nothing was acknowledged");
    // Bounded: wait until every acknowledged webhook has a 2xx attempt.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut pending: Vec<(i64, String)> = acked.clone();
    let mut twice = 0;
    let mut cut_short = 0;
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (id, uid) in pending {
            let all = attempts(&proc, id).await.unwrap_or_default();
            let ok = all
                .iter()
                .filter(|a| {
                    a["status"]
                        .as_u64()
                        .is_some_and(|s| (200..300).contains(&s))
                })
                .count();
            if ok == 0 {
                still.push((id, uid));
                continue;
            }
            assert!(
                all.iter().all(|a| a["msg_id"] == uid.as_str()),
                "event {id} carries another message id"
            );
            // A repeated message id is allowed, and marked.
            let marked = all
                .iter()
                .filter(|a| a["duplicate_delivery"] == true)
                .count();
            assert_eq!(marked, all.len() - 1, "event {id}: {all:?}");
            twice += usize::from(all.len() > 1);
            cut_short += all
                .iter()
                .filter(|a| a["error"] == "hookpit stopped during this delivery")
                .count();
        }
        pending = still;
        if !pending.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} acknowledged webhooks never got a 2xx, e.g. {:?}\n{}",
                pending.len(),
                &pending[..pending.len().min(5)],
                proc.stderr()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    println!(
        "{ROUNDS} kill -9 rounds with ack deliveries in flight in {:?}: {} acknowledged, all \
         delivered with a 2xx; {cut_short} tries recorded as interrupted, {twice} webhooks reached \
         the app more than once (marked duplicate_delivery), {} requests reached it in all",
        started.elapsed(),
        acked.len(),
        stub.hits().len()
    );
    assert!(cut_short > 0, "no kill caught a delivery in flight");
    proc.kill9().await;
}
