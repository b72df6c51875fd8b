//! No acknowledged webhook is ever lost: the real binary takes signed webhooks from several
//! keep-alive connections, is killed with SIGKILL at a different moment each round, and is
//! restarted on the same database file; every request that got a 2xx must be there, byte-exact,
//! with its message id and a valid signature.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::child::{Proc, exchange, signed_request, start_serve, try_get};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
/// Kill-and-restart rounds.
const ROUNDS: u64 = 20;
/// Concurrent sender connections.
const SENDERS: u64 = 4;

/// A webhook the sender got a 2xx for.
#[derive(Debug, Clone)]
struct Acked {
    id: i64,
    uid: String,
    body: String,
}

/// The body of request `n` of sender `c` in `round`: a unique id, some non-ASCII text and a
/// size that varies, so byte-exactness is tested on more than one shape.
fn body(uid: &str, n: u64) -> String {
    let pad = "é·x".repeat((n % 7 * 50) as usize);
    format!(r#"{{"type":"crash.test","event_id":"{uid}","data":{{"n":{n},"pad":"{pad}"}}}}"#)
}

/// One sender: requests back to back on a keep-alive connection until the server dies.
async fn sender(
    proc_addr: std::net::SocketAddr,
    round: u64,
    c: u64,
    acked: Arc<Mutex<Vec<Acked>>>,
) -> u64 {
    let Ok(mut stream) = TcpStream::connect(proc_addr).await else {
        return 0;
    };
    let mut sent = 0;
    for n in 0.. {
        let uid = format!("msg_r{round}c{c}n{n}");
        let body = body(&uid, n);
        let req = signed_request(proc_addr, "/crash", SECRET, &uid, body.as_bytes());
        sent += 1;
        let Ok(resp) = exchange(&mut stream, &req).await else {
            break; // killed: this one was not acknowledged
        };
        assert!(
            (200..300).contains(&resp.status),
            "a live hookpit answered {}: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        let id = resp.json()["id"].as_i64().expect("id in the answer");
        acked
            .lock()
            .expect("not poisoned")
            .push(Acked { id, uid, body });
    }
    sent
}

/// Checks that every acknowledged webhook is stored as sent; returns how many were checked.
async fn check(proc: &Proc, acked: &[Acked]) -> usize {
    let ui = proc.ui.expect("serve has a UI");
    for a in acked {
        let resp = try_get(ui, &format!("/api/events/{}", a.id))
            .await
            .unwrap_or_else(|| panic!("UI did not answer for event {}", a.id));
        assert_eq!(
            resp.status, 200,
            "acknowledged webhook {} (event {}) is missing after the crash",
            a.uid, a.id
        );
        let e = resp.json();
        assert_eq!(
            e["msg_id"],
            a.uid.as_str(),
            "event {} holds another webhook",
            a.id
        );
        assert_eq!(e["body"]["encoding"], "utf8");
        assert_eq!(
            e["body"]["data"].as_str().expect("body text").as_bytes(),
            a.body.as_bytes(),
            "event {} is not byte-exact",
            a.id
        );
        assert_eq!(
            e["verification"]["status"], "valid",
            "{}",
            e["verification"]
        );
    }
    acked.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_any_moment_loses_no_acknowledged_webhook() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let flags = ["--secret", SECRET];
    let started = std::time::Instant::now();
    let mut proc = start_serve(dir.path(), &db, &flags, "start.log").await;
    let mut all: Vec<Acked> = Vec::new();
    let mut sent_total = 0;
    for round in 0..ROUNDS {
        let acked = Arc::new(Mutex::new(Vec::new()));
        let senders: Vec<_> = (0..SENDERS)
            .map(|c| tokio::spawn(sender(proc.addr, round, c, Arc::clone(&acked))))
            .collect();
        // A different moment each round: at once, mid-burst, or after a few hundred commits.
        let moment = Duration::from_millis(round * 137 % 450);
        tokio::time::sleep(moment).await;
        proc.kill9().await;
        for s in senders {
            sent_total += tokio::time::timeout(Duration::from_secs(10), s)
                .await
                .expect("senders stop once hookpit is dead")
                .expect("sender task");
        }
        proc = start_serve(dir.path(), &db, &flags, &format!("round{round}.log")).await;
        let acked = acked.lock().expect("not poisoned").clone();
        check(&proc, &acked).await;
        all.extend(acked);
    }
    // Every earlier round's webhooks survived every later crash too.
    let checked = check(&proc, &all).await;
    let status = try_get(proc.ui.expect("ui"), "/api/status")
        .await
        .expect("status");
    let stored = status.json()["events"].as_u64().expect("event count");
    println!(
        "{ROUNDS} kill -9 rounds in {:?}: {sent_total} sent, {checked} acknowledged, all {checked} found; {stored} stored",
        started.elapsed()
    );
    assert!(checked > 0, "no webhook was acknowledged at all");
    assert!(stored as usize >= checked);
    assert!(stored <= sent_total, "more events than requests sent");
    proc.kill9().await;
}

/// Relay rounds: odd rounds kill the relay, even rounds kill the agent.
const RELAY_ROUNDS: u64 = 10;
/// How long each relay round sends.
const RELAY_WINDOW: Duration = Duration::from_millis(700);

/// Sends to the public URL until `until` or until the relay dies; records what got a 2xx.
async fn relay_sender(
    relay: std::net::SocketAddr,
    path: String,
    tag: String,
    until: tokio::time::Instant,
    acked: Arc<Mutex<Vec<String>>>,
    sent: Arc<Mutex<Vec<String>>>,
) {
    let Ok(mut stream) = TcpStream::connect(relay).await else {
        return;
    };
    for n in 0.. {
        if tokio::time::Instant::now() >= until {
            return;
        }
        let uid = format!("msg_{tag}n{n}");
        let body = body(&uid, n);
        let req = signed_request(relay, &path, SECRET, &uid, body.as_bytes());
        sent.lock().expect("not poisoned").push(uid.clone());
        let Ok(resp) = exchange(&mut stream, &req).await else {
            return;
        };
        assert!(
            (200..300).contains(&resp.status),
            "the relay answered {}: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        acked.lock().expect("not poisoned").push(uid);
    }
}

/// Every relayed event's message id in the agent, by paging through the list.
async fn relayed_msg_ids(ui: std::net::SocketAddr) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    let mut before = String::new();
    loop {
        let page = try_get(ui, &format!("/api/events?source=relay&limit=500{before}")).await?;
        let page = page.json();
        for e in page["events"].as_array()? {
            ids.push(e["msg_id"].as_str()?.to_string());
        }
        match page["next_before"].as_i64() {
            Some(b) => before = format!("&before={b}"),
            None => return Some(ids),
        }
    }
}

/// The agent's public URL once it is connected.
async fn public_url(agent: &Proc) -> String {
    let ui = agent.ui.expect("ui");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(s) = try_get(ui, "/api/status").await {
            let s = s.json();
            if s["relay"]["state"] == "connected" {
                return s["relay"]["public_url"].as_str().expect("url").to_string();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent did not connect:\n{}",
            agent.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_relay_or_agent_delivers_every_acknowledged_webhook_exactly_once() {
    use common::child::{free_addr, start_relay};
    let dir = tempfile::tempdir().expect("temp dir");
    let (relay_db, agent_db) = (dir.path().join("relay.db"), dir.path().join("agent.db"));
    let relay_addr = free_addr();
    let relay_flags = ["--wait", "1s"];
    let relay_url = format!("http://{relay_addr}");
    let agent_flags = [
        "--secret",
        SECRET,
        "--relay",
        &relay_url,
        "--relay-token",
        "relay-token",
    ];
    let started = std::time::Instant::now();
    let mut relay = start_relay(dir.path(), relay_addr, &relay_db, &relay_flags, "relay.log").await;
    let mut agent = start_serve(dir.path(), &agent_db, &agent_flags, "agent.log").await;
    let public = public_url(&agent).await;
    let path = format!("/{}/hook", public.split_once("/c/").expect("channel url").1);
    let path = format!("/c{path}");
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(Mutex::new(Vec::new()));
    for round in 0..RELAY_ROUNDS {
        let until = tokio::time::Instant::now() + RELAY_WINDOW;
        let senders: Vec<_> = (0..2)
            .map(|c| {
                tokio::spawn(relay_sender(
                    relay_addr,
                    path.clone(),
                    format!("r{round}c{c}"),
                    until,
                    Arc::clone(&acked),
                    Arc::clone(&sent),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50 + round * 61 % 500)).await;
        let kill_relay = round % 2 == 1;
        if kill_relay {
            relay.kill9().await;
            relay = start_relay(
                dir.path(),
                relay_addr,
                &relay_db,
                &relay_flags,
                &format!("relay{round}.log"),
            )
            .await;
        } else {
            agent.kill9().await;
        }
        for s in senders {
            tokio::time::timeout(Duration::from_secs(15), s)
                .await
                .expect("senders stop")
                .expect("sender task");
        }
        if !kill_relay {
            agent = start_serve(
                dir.path(),
                &agent_db,
                &agent_flags,
                &format!("agent{round}.log"),
            )
            .await;
        }
        assert_eq!(public_url(&agent).await, public, "the channel is kept");
    }
    let acked = acked.lock().expect("not poisoned").clone();
    let sent = sent.lock().expect("not poisoned").clone();
    // Wait (bounded) until everything acknowledged has reached the agent.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let ui = agent.ui.expect("ui");
    let delivered = loop {
        let ids = relayed_msg_ids(ui).await.unwrap_or_default();
        let have: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        let missing: Vec<&String> = acked
            .iter()
            .filter(|u| !have.contains(u.as_str()))
            .collect();
        if missing.is_empty() {
            break ids;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} acknowledged webhooks never reached the agent, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut counts = std::collections::HashMap::new();
    for id in &delivered {
        *counts.entry(id.as_str()).or_insert(0u32) += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    println!(
        "{RELAY_ROUNDS} relay/agent kill -9 rounds in {:?}: {} sent, {} acknowledged (2xx/202), {} delivered, none twice",
        started.elapsed(),
        sent.len(),
        acked.len(),
        delivered.len()
    );
    assert!(!acked.is_empty());
    agent.kill9().await;
    relay.kill9().await;
}
