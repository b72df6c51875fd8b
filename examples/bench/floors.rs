//! The floors under the capture figures: what the disk takes to make a write durable, CPU per
//! request, and the durable store on its own, with no HTTP in the way.

use std::time::Duration;

use crate::load::Stats;
use crate::{SECRET, procs, shot};
use procs::free_addr;

/// How long the disk under `dir` takes to make a small append durable: the least a commit that
/// answers only once on disk can take.
pub fn fsync_floor(dir: &std::path::Path) -> String {
    use std::io::Write;
    let path = dir.join("fsync.probe");
    let mut file = std::fs::File::create(&path).unwrap();
    let mut times: Vec<f64> = (0..300)
        .map(|_| {
            file.write_all(&[0u8; 4096]).unwrap();
            let t = std::time::Instant::now();
            file.sync_data().unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    drop(file);
    let _ = std::fs::remove_file(&path);
    times.sort_by(f64::total_cmp);
    format!(
        "{:.2} ms / {:.2} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    )
}

/// CPU microseconds per request of a load run.
pub fn per_request_us(cpu: Duration, s: &Stats) -> f64 {
    cpu.as_secs_f64() * 1e6 / s.requests.max(1) as f64
}

/// What the store on its own measured.
pub struct Alone {
    /// The row's text.
    pub text: String,
    /// CPU of the writer thread alone per event, in µs (to compare with the floor).
    pub writer_us: f64,
}

/// Distinct message ids the store-alone tasks cycle through: real senders never repeat one, and
/// a repeated id would put every index entry at the same spot instead of a random one.
const DISTINCT_IDS: usize = 32 * 2048;

/// The store's own ceiling: 32 tasks insert the benchmark's webhook (verified and extracted
/// as capture does, each with its own message id) for `d` through the same group-commit writer,
/// with no HTTP in the way.
pub async fn store_alone(d: Duration) -> Alone {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alone.db");
    let store = hookpit::store::Store::open(
        path.to_str().unwrap(),
        hookpit::store::Retention {
            max_events: 0,
            max_age: None,
        },
    )
    .unwrap();
    let one = shot(free_addr(), "/cyberdesk");
    let key = hookpit::verify::Key::parse(None, SECRET).unwrap();
    // Signed before the clock starts, so signing is not counted as the store's work.
    let signed: Vec<hookpit::store::model::Headers> = (0..DISTINCT_IDS)
        .map(|_| {
            let now = chrono::Utc::now().timestamp();
            let id = hookpit::verify::standard::new_msg_id();
            let sig =
                hookpit::verify::standard::sign(&id, now, &one.body, std::slice::from_ref(&key))
                    .unwrap();
            one.headers
                .iter()
                .map(|(n, v)| {
                    let v = match n.as_str() {
                        "svix-id" => id.clone(),
                        "svix-timestamp" => now.to_string(),
                        "svix-signature" => sig.clone(),
                        _ => v.clone(),
                    };
                    (n.clone(), v.into_bytes())
                })
                .collect()
        })
        .collect();
    let signed = std::sync::Arc::new(signed);
    let writer_before = procs::threads_cpu("hookpit-store-w");
    let cpu_before = procs::own_cpu();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let (store, signed, body, key) = (
                store.clone(),
                std::sync::Arc::clone(&signed),
                one.body.clone(),
                key.clone(),
            );
            tokio::spawn(async move {
                let mut n = 0u64;
                let mine = signed.len() / 32;
                while started.elapsed() < d {
                    let headers = &signed[task * mine + (n as usize % mine)];
                    let now = chrono::Utc::now();
                    let verification = hookpit::verify::verify(
                        headers,
                        &body,
                        std::slice::from_ref(&key),
                        now.timestamp(),
                    );
                    let event = hookpit::store::model::NewEvent {
                        received_at: now,
                        method: "POST".into(),
                        path: "/cyberdesk".into(),
                        query: String::new(),
                        msg_id: verification.msg_id.clone(),
                        content_type: Some("application/json".into()),
                        extracted: hookpit::extract::extract(&body),
                        verification,
                        headers: headers.clone(),
                        body: body.clone(),
                        remote_addr: Some("127.0.0.1:1".into()),
                        source: hookpit::store::model::Source::Direct,
                    };
                    store.insert_event(event).await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let per_event = |cpu: Duration| cpu.as_secs_f64() * 1e6 / total.max(1) as f64;
    let cpu_us = per_event(procs::own_cpu() - cpu_before);
    let writer_us = per_event(procs::threads_cpu("hookpit-store-w") - writer_before);
    let per_commit = {
        let s = store.stats();
        s.writes as f64 / s.commits.max(1) as f64
    };
    Alone {
        text: format!(
            "{:.0} events/s, {cpu_us:.0} µs CPU each (writer thread {writer_us:.0} µs), \
             {per_commit:.1} per commit",
            total as f64 / secs
        ),
        writer_us,
    }
}
