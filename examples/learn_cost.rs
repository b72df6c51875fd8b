//! The schema learner's work per body on a fixed workload, for an instruction counter (the
//! shared machine's wall clock is too noisy for it): `learn_cost shape|walk N` learns N
//! Cyberdesk `run_complete` bodies of one kind (`hookpit send`'s template, new ids and times in
//! each, the four run statuses in turn, so the kind sees a few shapes as it does live).
//! - `shape`: as the learner does (`Learned::observe_json`: a body of a shape already learned
//!   is read once and not walked), settled at the end as a learner pass is;
//! - `walk`: each body parsed into a `serde_json::Value` and walked (`Learned::observe`), as the
//!   learner did before.
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='learn_cost::learn' target/release/examples/learn_cost shape 2000
//! ```
//! counts only the learning, not making the bodies; BENCHMARKS.md has the figures.

use std::hint::black_box;

use hookpit::schema::{Learned, Scratch};
use hookpit::send::{Event, RunStatus, Template};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let statuses = [
        RunStatus::Success,
        RunStatus::Error,
        RunStatus::TaskFailed,
        RunStatus::Cancelled,
    ];
    let now = chrono::Utc::now();
    let bodies: Vec<bytes::Bytes> = (0..n)
        .map(|i| {
            let status = statuses[i % statuses.len()];
            let event = Event::new(Template::RunComplete, Some(status), i % 7 == 0)
                .expect("run_complete takes a status");
            event.body(now)
        })
        .collect();
    let size = bodies.iter().map(|b| b.len()).sum::<usize>() / n.max(1);
    let drifted = match mode.as_str() {
        "shape" | "walk" => learn(&bodies, mode == "shape"),
        _ => {
            eprintln!("usage: learn_cost shape|walk N");
            std::process::exit(2);
        }
    };
    println!("{mode}: {n} bodies of {size} bytes on average, {drifted} drifted");
}

/// Learns every body into one kind; how many drifted.
#[inline(never)]
fn learn(bodies: &[bytes::Bytes], by_shape: bool) -> usize {
    let mut learned = Learned::default();
    let (mut scratch, mut path) = (Scratch::default(), String::new());
    let mut drifted = 0;
    for body in bodies {
        let drift = if by_shape {
            learned.observe_json(body, true, &mut scratch)
        } else {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .map(|v| learned.observe(&v, true, &mut path))
        };
        drifted += usize::from(drift.is_some_and(|d| !d.is_empty()));
    }
    learned.settle();
    black_box(&learned);
    drifted
}
