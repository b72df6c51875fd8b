//! The store at scale (`--store-events N`, default 100,000): fills a fresh store with N events
//! through the capture port (64 connections; a few 1 MiB bodies, one findable word), waits for
//! the text index to catch up, restarts hookpit on the file, then times what a user does with a
//! long history: the first page, a `type:` filter, a deep page, opening one event, a text search
//! that finds one event and one that finds none; with the fill rate, the start-up time, the RSS
//! and the database's bytes per event.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::procs::{self, free_addr, start};
use crate::{Bench, hookpit, load, shot};

/// How long the index may take to catch up before the benchmark says it did not.
const INDEX_WAIT: Duration = Duration::from_secs(3600);

/// `/api/status` as JSON.
async fn status(ui: std::net::SocketAddr) -> serde_json::Value {
    let (_, body) = procs::get(ui, "/api/status").await;
    serde_json::from_slice(&body).unwrap()
}

pub async fn store(b: &mut Bench) {
    let dir = tempfile::tempdir().unwrap();
    let temporary = dir.path().join("h.db");
    let db = match &b.store_db {
        Some(kept) => {
            assert!(
                !std::path::Path::new(kept).exists(),
                "--store-db {kept} exists"
            );
            kept.clone()
        }
        None => temporary.to_str().unwrap().to_string(),
    };
    let db = db.as_str();
    let keep = (b.store_events * 2).max(1_000_000).to_string();
    let (p, capture, ui) = hookpit(&["--max-events".into(), keep.clone()], db).await;
    // Fill: a few 1 MiB bodies, the rest 2 KiB, with a findable word in one of them.
    let mut big = shot(capture, "/big");
    big.body = Bytes::from(format!("{{\"blob\":\"{}\"}}", "b".repeat(1 << 20)));
    big.headers.retain(|(n, _)| n == "content-type");
    let n_big = (b.store_events / 1000).max(1);
    for _ in 0..n_big {
        load::run(&big, 1, Duration::from_millis(1)).await;
    }
    let mut needle = shot(capture, "/needle");
    needle.body = Bytes::from_static(b"{\"event_type\":\"needle\",\"note\":\"zanzibar-quokka\"}");
    load::run(&needle, 1, Duration::from_millis(1)).await;
    let fill = shot(capture, "/fill");
    // In steps sized by the rate so far, so the store ends near `store_events`, not past it.
    let mut stored = 0;
    let mut step = Duration::from_secs(2);
    let filling = Instant::now();
    while stored < b.store_events {
        let s = load::run(&fill, 64, step).await;
        stored += s.requests as usize;
        let left = b.store_events.saturating_sub(stored) as f64;
        step = Duration::from_secs_f64((left / s.rps.max(1.0)).clamp(0.05, 2.0));
    }
    let fill_rate = stored as f64 / filling.elapsed().as_secs_f64();
    // The indexer works behind the writer: how long after the last webhook it caught up.
    let waiting = Instant::now();
    let mut s = status(ui).await;
    while s["index"]["indexed"] != s["index"]["total"] && waiting.elapsed() < INDEX_WAIT {
        tokio::time::sleep(Duration::from_millis(200)).await;
        s = status(ui).await;
    }
    let caught_up = waiting.elapsed().as_secs_f64();
    let events = s["events"].as_u64().unwrap_or(0);
    let indexed = s["index"]["indexed"].as_u64().unwrap_or(0);
    drop(p);

    let (startup_addr, listen) = (free_addr(), free_addr());
    let args = vec![
        "--listen".into(),
        listen.to_string(),
        "--ui".into(),
        startup_addr.to_string(),
        "--db".into(),
        db.to_string(),
        "--max-events".into(),
        keep,
    ];
    let t = Instant::now();
    let again = start(procs::binary("hookpit", false), &args, startup_addr).await;
    let startup = t.elapsed().as_secs_f64() * 1000.0;
    let (rss_start, _) = again.rss_mib();
    let ui = startup_addr;
    let list = procs::median_get_ms(ui, "/api/events?limit=50", 21).await;
    let filter = procs::median_get_ms(ui, "/api/events?limit=50&q=type:needle", 21).await;
    let (oldest, newest) = id_span(ui).await;
    let deep = format!("/api/events?limit=50&before={}", oldest + 1000);
    let deep = procs::median_get_ms(ui, &deep, 21).await;
    let open = format!("/api/events/{}", oldest + (newest - oldest) / 2);
    let open = procs::median_get_ms(ui, &open, 21).await;
    let hit = procs::median_get_ms(ui, "/api/events?limit=50&q=zanzibar-quokka", 5).await;
    let miss = procs::median_get_ms(ui, "/api/events?limit=50&q=okapi-narwhal", 5).await;
    let (rss_after, _) = again.rss_mib();
    drop(again);
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{db}{s}")).ok())
        .map(|m| m.len())
        .sum();

    let row = |b: &mut Bench, measure: &str, value: String, target: &'static str, met| {
        b.row("store", measure, value, target, met)
    };
    row(
        b,
        "events stored (fill through the capture port, 64 conns)",
        format!("{events} ({n_big} of 1 MiB), {fill_rate:.0} events/s"),
        "",
        None,
    );
    row(
        b,
        "text index caught up after the fill",
        format!("{caught_up:.1} s ({indexed} of {events} indexed)"),
        "",
        None,
    );
    for (measure, ms) in [
        ("list first page (median of 21)", list),
        ("filter type:needle (median of 21)", filter),
        ("deep page, 1,000 from the oldest (median of 21)", deep),
        ("open one event (median of 21)", open),
    ] {
        row(
            b,
            measure,
            format!("{ms:.2} ms"),
            "<= 20 ms",
            Some(ms <= 20.0),
        );
    }
    for (measure, ms) in [
        ("text search, a word in one event (median of 5)", hit),
        ("text search, a word in none (median of 5)", miss),
    ] {
        row(
            b,
            measure,
            format!("{ms:.1} ms"),
            "<= 100 ms",
            Some(ms <= 100.0),
        );
    }
    row(
        b,
        "startup to ready",
        format!("{startup:.0} ms"),
        "<= 200 ms",
        Some(startup <= 200.0),
    );
    row(
        b,
        "RSS right after start / after the reads above",
        format!("{rss_start:.1} MiB / {rss_after:.1} MiB"),
        "<= 50 MiB",
        Some(rss_start <= 50.0),
    );
    row(
        b,
        "database size per event (file and WAL)",
        format!("{:.0} bytes", size as f64 / events.max(1) as f64),
        "",
        None,
    );
}

/// The oldest and newest stored ids, from the list's last and first pages.
async fn id_span(ui: std::net::SocketAddr) -> (i64, i64) {
    let ids = |body: Bytes| -> Vec<i64> {
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        page["events"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let (_, first) = procs::get(ui, "/api/events?limit=1").await;
    let newest = ids(first).first().copied().unwrap_or(1);
    // A fresh file's ids start at 1 and nothing was pruned (`--max-events` is twice the fill).
    let (_, page) = procs::get(ui, "/api/events?limit=500&before=502").await;
    let oldest = ids(page).last().copied().unwrap_or(1);
    (oldest, newest)
}
