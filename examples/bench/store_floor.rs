//! SQLite's own floor for a durable webhook on this machine: a minimal rusqlite loop storing
//! the same kind of row hookpit stores (2 KiB body, ~400 bytes of headers, a random message id,
//! a type and a verdict) with two secondary indexes, WAL with `synchronous=FULL` and 16 rows per
//! transaction. The store's cost is reported as a ratio to it.

use std::time::{Duration, Instant};

use rand::Rng;
use rand::distributions::Alphanumeric;
use rusqlite::{Connection, params};

use crate::procs;

/// Rows per transaction, as in the floor the issue describes.
const ROWS_PER_COMMIT: usize = 16;

/// What the floor loop measured.
pub struct Floor {
    /// Rows committed per second.
    pub rows_per_s: f64,
    /// CPU of the thread running the loop (SQLite's work, checkpoints included), per row.
    pub cpu_us: f64,
}

/// Runs the loop for `d` on a thread of its own and measures that thread's CPU.
pub async fn store_floor(d: Duration) -> Floor {
    tokio::task::spawn_blocking(move || run(d)).await.unwrap()
}

fn run(d: Duration) -> Floor {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("floor.db")).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, \
         msg_id TEXT, event_type TEXT, verdict TEXT NOT NULL, headers TEXT NOT NULL, \
         body BLOB NOT NULL);
         CREATE INDEX events_msg_id ON events (msg_id);
         CREATE INDEX events_event_type ON events (event_type, id);",
    )
    .unwrap();
    let body = vec![b'x'; 2048];
    let headers = format!(
        "[[\"host\",\"127.0.0.1:8080\"],[\"content-type\",\"application/json\"],\
         [\"content-length\",\"2048\"],[\"user-agent\",\"Svix-Webhooks/1.24\"],\
         [\"svix-id\",\"msg_{}\"],[\"svix-timestamp\",\"1764547200\"],\
         [\"svix-signature\",\"v1,{}\"]]",
        "a".repeat(27),
        "b".repeat(44),
    );
    let headers = format!("{headers:<400}");
    let mut rng = rand::thread_rng();
    let cpu_before = procs::thread_cpu();
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < d {
        let tx = conn.unchecked_transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (received_at, msg_id, event_type, verdict, headers, \
                     body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .unwrap();
            for _ in 0..ROWS_PER_COMMIT {
                let msg_id: String = (0..27).map(|_| rng.sample(Alphanumeric) as char).collect();
                insert
                    .execute(params![
                        chrono::Utc::now().timestamp_millis(),
                        format!("msg_{msg_id}"),
                        "run_complete",
                        "valid",
                        headers,
                        body,
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        rows += ROWS_PER_COMMIT as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = procs::thread_cpu() - cpu_before;
    Floor {
        rows_per_s: rows as f64 / secs,
        cpu_us: cpu.as_secs_f64() * 1e6 / rows.max(1) as f64,
    }
}
