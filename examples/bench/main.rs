//! hookpit's benchmark: `bench/run [--quick] [--runs N] [--smoke]` (or `cargo run --release
//! --example bench`).
//! Starts everything itself on loopback, runs bounded loads with the Rust load generator in
//! `load.rs` (pre-signed 2 KiB Cyberdesk bodies), stops what it started, prints one table and
//! writes `bench/results.json`. Each scenario is a ratio measured in the same run.
#![allow(missing_docs, clippy::unwrap_used)]

mod agents;
mod floors;
mod load;
mod peers;
mod procs;
mod row;
mod runs;
mod store;
mod store_floor;
mod ui;
mod wait;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use floors::{fsync_floor, per_request_us, store_alone};
use futures_util::StreamExt;
use load::{Shot, Stats};
use procs::{Proc, free_addr, start};
use runs::{median_of_runs, scenario_of};

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// One line of the result table.
#[derive(serde::Serialize)]
struct Row {
    scenario: &'static str,
    measure: String,
    value: String,
    target: &'static str,
    met: Option<bool>,
}

struct Bench {
    rows: Vec<Row>,
    secs: u64,
    store_events: usize,
    /// `--store-db FILE`: the store scenario fills this file and leaves it, for a look at it
    /// afterwards (by default a temporary file, removed).
    store_db: Option<String>,
    /// `--agents N`: idle agents the `agents` scenario connects (default 1,000; 200 with
    /// `--quick`).
    agents: Option<usize>,
    /// `--peers`: also measure the tools users would use instead (mitmdump).
    peers: bool,
}

impl Bench {
    fn row(
        &mut self,
        scenario: &'static str,
        measure: impl Into<String>,
        value: String,
        target: &'static str,
        met: Option<bool>,
    ) {
        self.rows.push(Row {
            scenario,
            measure: measure.into(),
            value,
            target,
            met,
        });
    }
}

/// A signed 2 KiB `run_complete`, as Svix would send it now.
fn shot(addr: SocketAddr, path: &str) -> Shot {
    let event =
        hookpit::send::Event::new(hookpit::send::Template::RunComplete, None, false).unwrap();
    let mut body = String::from_utf8(event.body(chrono::Utc::now()).to_vec()).unwrap();
    if body.len() < 2048 {
        body.pop();
        let pad = 2048 - body.len() - 10;
        body.push_str(&format!(",\"pad\":\"{}\"}}", "x".repeat(pad)));
    }
    let key = hookpit::verify::Key::parse(None, SECRET).unwrap();
    let now = chrono::Utc::now().timestamp();
    let id = hookpit::verify::standard::new_msg_id();
    let sig = hookpit::verify::standard::sign(&id, now, body.as_bytes(), &[key]).unwrap();
    Shot {
        addr,
        path: path.to_string(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("svix-id".into(), id),
            ("svix-timestamp".into(), now.to_string()),
            ("svix-signature".into(), sig),
        ],
        body: Bytes::from(body),
    }
}

async fn hookpit(extra: &[String], db: &str) -> (Proc, SocketAddr, SocketAddr) {
    let (capture, ui) = (free_addr(), free_addr());
    let mut args = vec![
        "--listen".into(),
        capture.to_string(),
        "--ui".into(),
        ui.to_string(),
        "--db".into(),
        db.into(),
        "--secret".into(),
        SECRET.into(),
    ];
    args.extend_from_slice(extra);
    let p = start(procs::binary("hookpit", false), &args, ui).await;
    procs::wait_ready(capture).await;
    (p, capture, ui)
}

async fn bare() -> (Proc, SocketAddr) {
    let addr = free_addr();
    (
        start(procs::binary("bare", true), &[addr.to_string()], addr).await,
        addr,
    )
}

fn fmt(s: &Stats) -> String {
    format!(
        "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} errors, {} non-2xx)",
        s.rps, s.p50_ms, s.p99_ms, s.errors, s.non_2xx
    )
}

async fn capture(b: &mut Bench) {
    let d = Duration::from_secs(b.secs);
    let (bare_proc, addr) = bare().await;
    let cpu_before = bare_proc.cpu();
    let base = load::run(&shot(addr, "/"), 32, d).await;
    let bare_cpu_us = per_request_us(bare_proc.cpu() - cpu_before, &base);
    drop(bare_proc);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (p, capture, ui) = hookpit(&[], db.to_str().unwrap()).await;
    let (idle, _) = p.rss_mib();
    // One browser-like live client, draining frames as they come.
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{ui}/api/live"))
        .await
        .unwrap();
    let drain = tokio::spawn(ws.for_each(|_| async {}));
    let cpu_before = p.cpu();
    let hp = load::run(&shot(capture, "/cyberdesk"), 32, d).await;
    let hookpit_cpu_us = per_request_us(p.cpu() - cpu_before, &hp);
    let (_, peak) = p.rss_mib();
    drain.abort();
    let (_, status) = procs::get(ui, "/api/status").await;
    let storage = &serde_json::from_slice::<serde_json::Value>(&status).unwrap()["storage"];
    let per_commit = storage["writes"].as_f64().unwrap_or(0.0)
        / storage["commits"].as_f64().unwrap_or(1.0).max(1.0);
    let ratio = hp.rps / base.rps;
    b.row("capture", "bare hyper, 32 conns", fmt(&base), "", None);
    b.row(
        "capture",
        "hookpit (verify + durable store + publish, 1 live client)",
        fmt(&hp),
        "",
        None,
    );
    b.row(
        "capture",
        "hookpit writes per fsynced commit (group commit)",
        format!("{per_commit:.1}"),
        "",
        None,
    );
    let commit = &storage["commit_ms"];
    b.row(
        "capture",
        "hookpit commit time (last 4,096), p50 / p99 / max",
        format!(
            "{:.2} ms / {:.2} ms / {:.2} ms",
            commit["p50"].as_f64().unwrap_or(0.0),
            commit["p99"].as_f64().unwrap_or(0.0),
            commit["max"].as_f64().unwrap_or(0.0)
        ),
        "",
        None,
    );
    b.row(
        "capture",
        "CPU per request: bare hyper / hookpit",
        format!("{bare_cpu_us:.0} µs / {hookpit_cpu_us:.0} µs"),
        "",
        None,
    );
    b.row(
        "capture",
        "fdatasync of a 4 KiB append (the disk's floor), p50 / p99",
        fsync_floor(dir.path()),
        "",
        None,
    );
    store_floors(b).await;
    b.row(
        "capture",
        "hookpit / bare requests/s",
        format!("{ratio:.2}"),
        ">= 0.5",
        Some(ratio >= 0.5),
    );
    b.row(
        "capture",
        "hookpit p99",
        format!("{:.2} ms", hp.p99_ms),
        "<= 5 ms",
        Some(hp.p99_ms <= 5.0),
    );
    b.row(
        "memory",
        "RSS idle",
        format!("{idle:.1} MiB"),
        "<= 20 MiB",
        Some(idle <= 20.0),
    );
    b.row(
        "memory",
        "peak RSS under capture load",
        format!("{peak:.1} MiB"),
        "<= 50 MiB",
        Some(peak <= 50.0),
    );
}

/// The store on its own, SQLite's floor under it, and their ratio (`--only floor` runs just
/// these, for quick A/B runs of a store change).
async fn store_floors(b: &mut Bench) {
    let d = Duration::from_secs(b.secs);
    let alone = store_alone(d).await;
    b.row(
        "capture",
        "durable store alone (in-process, 32 writers, no HTTP)",
        alone.text,
        "",
        None,
    );
    let floor = store_floor::store_floor(d).await;
    b.row(
        "capture",
        "store floor: minimal rusqlite loop, same row, 16 per commit",
        format!(
            "{:.0} rows/s, {:.0} µs CPU each",
            floor.rows_per_s, floor.cpu_us
        ),
        "",
        None,
    );
    b.row(
        "capture",
        "store writer thread CPU per event / floor",
        format!("{:.1}x", alone.writer_us / floor.cpu_us.max(0.1)),
        "",
        None,
    );
}

async fn proxy(b: &mut Bench) {
    let d = Duration::from_secs(b.secs);
    let (_app, app) = bare().await;
    let direct_one = load::run(&shot(app, "/hooks"), 1, d).await;
    let direct = load::run(&shot(app, "/hooks"), 32, d).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (p, capture, _) = hookpit(
        &["--forward".into(), format!("http://{app}/hooks")],
        db.to_str().unwrap(),
    )
    .await;
    let via_one = load::run(&shot(capture, "/"), 1, d).await;
    let cpu_before = p.cpu();
    let via = load::run(&shot(capture, "/"), 32, d).await;
    let cpu_each = (p.cpu() - cpu_before).as_secs_f64() * 1e6 / via.requests.max(1) as f64;
    // One webhook at a time is what a developer's laptop sees; 32 at once is a burst.
    for (conns, direct, via) in [(1, &direct_one, &via_one), (32, &direct, &via)] {
        let added = via.p99_ms - direct.p99_ms;
        b.row(
            "proxy",
            format!("app called directly, {conns} conns"),
            fmt(direct),
            "",
            None,
        );
        b.row(
            "proxy",
            format!("through hookpit --forward (proxy), {conns} conns"),
            fmt(via),
            "",
            None,
        );
        b.row(
            "proxy",
            format!("added at p99, {conns} conns"),
            format!("{added:.2} ms"),
            "<= 1 ms",
            Some(added <= 1.0),
        );
    }
    b.row(
        "proxy",
        "hookpit's CPU per proxied webhook, 32 conns",
        format!("{cpu_each:.0} µs"),
        "",
        None,
    );
    if b.peers {
        match peers::mitmdump(app, &shot(app, "/hooks"), b.secs).await {
            Ok(m) => {
                let ratio = via.rps / m.rps;
                b.row(
                    "proxy",
                    "through mitmdump --mode reverse:",
                    fmt(&m),
                    "",
                    None,
                );
                b.row(
                    "proxy",
                    "hookpit --forward / mitmdump requests/s",
                    format!("{ratio:.0}x"),
                    ">= 25x",
                    Some(ratio >= 25.0),
                );
            }
            Err(why) => b.row(
                "proxy",
                "hookpit --forward / mitmdump requests/s",
                format!("skipped: {why}"),
                ">= 25x",
                None,
            ),
        }
    }
}

async fn relay(b: &mut Bench) {
    let d = Duration::from_secs(b.secs);
    let (_app, app) = bare().await;
    let direct = load::run(&shot(app, "/hooks"), 1, d).await;
    let dir = tempfile::tempdir().unwrap();
    let relay_addr = free_addr();
    let relay_args: Vec<String> = [
        "relay",
        "--listen",
        &relay_addr.to_string(),
        "--public-url",
        &format!("http://{relay_addr}"),
        "--db",
        dir.path().join("r.db").to_str().unwrap(),
        "--token",
        "t",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let relay_proc = start(procs::binary("hookpit", false), &relay_args, relay_addr).await;
    let agent_args = [
        "--relay".into(),
        format!("http://{relay_addr}"),
        "--relay-token".into(),
        "t".into(),
        "--forward".into(),
        format!("http://{app}/hooks"),
    ];
    let (agent, _, ui) = hookpit(&agent_args, dir.path().join("a.db").to_str().unwrap()).await;
    let mut public = None;
    for _ in 0..500 {
        let (_, body) = procs::get(ui, "/api/status").await;
        let status: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let Some(url) = status["relay"]["public_url"]
            .as_str()
            .filter(|_| status["relay"]["state"] == "connected")
        {
            public = Some(url.to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let public = public.expect("the agent connects to the relay");
    let path = public
        .split_once("/c/")
        .map(|(_, c)| format!("/c/{c}/x"))
        .unwrap();
    let one = load::run(&shot(relay_addr, &path), 1, d).await;
    let cpu_before = relay_proc.cpu() + agent.cpu();
    let many = load::run(&shot(relay_addr, &path), 32, d).await;
    let cpu_each = (relay_proc.cpu() + agent.cpu() - cpu_before).as_secs_f64() * 1e6
        / many.requests.max(1) as f64;
    let added = one.p50_ms - direct.p50_ms;
    b.row(
        "relay",
        "sender -> app directly, 1 conn",
        fmt(&direct),
        "",
        None,
    );
    b.row(
        "relay",
        "sender -> relay -> agent -> app, 1 conn",
        fmt(&one),
        "",
        None,
    );
    b.row(
        "relay",
        "added at p50",
        format!("{added:.2} ms"),
        "<= 2 ms",
        Some(added <= 2.0),
    );
    b.row(
        "relay",
        "into one channel, 32 conns",
        fmt(&many),
        ">= 5000 req/s",
        Some(many.rps >= 5000.0),
    );
    b.row(
        "relay",
        "CPU per webhook into one channel, relay + agent",
        format!("{cpu_each:.0} µs"),
        "",
        None,
    );
    if b.peers {
        match peers::localtunnel(app, &shot(app, "/hooks"), b.secs).await {
            Ok((lt_one, lt_many)) => {
                b.row(
                    "relay",
                    "sender -> localtunnel server -> lt -> app, 1 conn",
                    fmt(&lt_one),
                    "",
                    None,
                );
                b.row(
                    "relay",
                    "localtunnel added at p50",
                    format!("{:.2} ms", lt_one.p50_ms - direct.p50_ms),
                    "",
                    None,
                );
                b.row("relay", "localtunnel, 32 conns", fmt(&lt_many), "", None);
            }
            Err(why) => b.row(
                "relay",
                "localtunnel (peer)",
                format!("skipped: {why}"),
                "",
                None,
            ),
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "bench [--quick] [--smoke] [--runs N] [--peers] [--out FILE] [--store-events N]\n      \
             [--store-db FILE] [--agents N] [--only capture,floor,proxy,relay,store,ui,wait]\n\n\
             --store-events N: events the store scenario fills (default 100,000; 10,000 with \
             --quick)\n\
             --store-db FILE: the store scenario fills FILE (which must not exist) and keeps it\n\
             --agents N: idle agents the agents scenario connects (default 1,000)\n\
             floor: only the durable store alone, the minimal rusqlite loop under it and their \
             ratio (capture runs them too)"
        );
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<&String> = args.iter().skip_while(|a| *a != "--only").nth(1);
    let out = args
        .iter()
        .skip_while(|a| *a != "--out")
        .nth(1)
        .cloned()
        .unwrap_or_else(|| "bench/results.json".into());
    let mut b = Bench {
        rows: Vec::new(),
        secs: if quick { 3 } else { 10 },
        store_events: args
            .iter()
            .skip_while(|a| *a != "--store-events")
            .nth(1)
            .and_then(|n| n.replace(['_', ','], "").parse().ok())
            .unwrap_or(if quick { 10_000 } else { 100_000 }),
        store_db: args
            .iter()
            .skip_while(|a| *a != "--store-db")
            .nth(1)
            .cloned(),
        agents: args
            .iter()
            .skip_while(|a| *a != "--agents")
            .nth(1)
            .and_then(|n| n.replace(['_', ','], "").parse().ok()),
        peers: args.iter().any(|a| a == "--peers"),
    };
    let runs: usize = args
        .iter()
        .skip_while(|a| *a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    let wants = |name: &str| only.is_none_or(|o| o.split(',').any(|x| x == name));
    eprintln!(
        "load: the in-repo Rust generator (hyper, keep-alive), 2 KiB signed run_complete bodies, {} s per run; each scenario is its median run of {runs}",
        b.secs
    );
    let mut all = Vec::with_capacity(runs);
    for run in 1..=runs {
        if runs > 1 {
            eprintln!("run {run} of {runs}");
        }
        if wants("capture") {
            capture(&mut b).await;
        } else if wants("floor") {
            store_floors(&mut b).await;
        }
        if wants("proxy") {
            proxy(&mut b).await;
        }
        if wants("relay") {
            relay(&mut b).await;
        }
        if wants("store") {
            store::store(&mut b).await;
        }
        if wants("ui") {
            ui::ui(&mut b).await;
        }
        if wants("row") {
            row::row(&mut b).await;
        }
        if wants("wait") {
            wait::wait(&mut b).await;
        }
        if wants("agents") {
            agents::agents(&mut b).await;
        }
        all.push(std::mem::take(&mut b.rows));
    }
    b.rows = median_of_runs(all);
    let smoke_failures: Vec<String> = [
        "capture", "proxy", "relay", "store", "ui", "row", "wait", "agents",
    ]
    .into_iter()
    .filter(|s| wants(s))
    .filter_map(|scenario| {
        let rows: Vec<&Row> = b
            .rows
            .iter()
            .filter(|r| scenario_of(r) == scenario)
            .collect();
        let empty = rows
            .iter()
            .find(|r| r.value.is_empty() || r.value.starts_with("skipped"));
        match (rows.is_empty(), empty) {
            (true, _) => Some(format!("{scenario}: no figures")),
            (false, Some(r)) => Some(format!("{scenario}: {}: {}", r.measure, r.value)),
            (false, None) => None,
        }
    })
    .collect();
    println!(
        "{:<9} {:<58} {:<62} {:<14} met",
        "scenario", "measure", "value", "target"
    );
    for r in &b.rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!(
            "{:<9} {:<58} {:<62} {:<14} {met}",
            r.scenario, r.measure, r.value, r.target
        );
    }
    let json = serde_json::json!({ "when": chrono::Utc::now().to_rfc3339(), "seconds_per_run": b.secs, "runs": runs, "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "rows": b.rows });
    if let Err(e) = std::fs::write(&out, serde_json::to_vec_pretty(&json).unwrap()) {
        eprintln!("cannot write {out}: {e}");
    } else {
        eprintln!("wrote {out}");
    }
    // `--smoke` (what CI runs): every scenario must have run and produced figures; speed is
    // not judged.
    if args.iter().any(|a| a == "--smoke") {
        if smoke_failures.is_empty() {
            eprintln!("smoke: every scenario ran and produced figures");
        } else {
            for f in &smoke_failures {
                eprintln!("smoke: {f}");
            }
            std::process::exit(1);
        }
    }
}
