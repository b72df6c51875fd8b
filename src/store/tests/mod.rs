//! Store tests: helpers here, one file per concern.

mod deliveries;
mod drift;
mod events;
mod list;
mod migrate;
mod misc;
mod search;
mod writes;

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::model::{EventFilter, Extracted, Headers, ListQuery, NewEvent, Source};
use super::{Retention, Store, StoreError};
use crate::verify::{Status, Verdict};

/// No retention bound.
const KEEP_ALL: Retention = Retention {
    max_events: 0,
    max_age: None,
};

/// A throwaway in-memory store.
fn mem() -> Store {
    Store::open(":memory:", KEEP_ALL).expect("open :memory:")
}

/// A verdict with only a status set.
fn verdict(status: Status) -> Verdict {
    Verdict {
        status,
        reason: None,
        provider: None,
        scheme: None,
        msg_id: None,
        timestamp: None,
        skew_s: None,
        signature_ok: None,
        timestamp_ok: None,
        matched_key: None,
        message: format!("{} test verdict", status.as_str()),
    }
}

/// Parses an RFC 3339 time.
fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid RFC 3339")
        .with_timezone(&Utc)
}

/// A plain POST event to `path` with `body`, received now.
fn event(path: &str, body: &[u8]) -> NewEvent {
    NewEvent {
        received_at: Utc::now(),
        method: "POST".into(),
        path: path.into(),
        query: String::new(),
        headers: Headers::from(vec![("Content-Type".into(), b"application/json".to_vec())]),
        body: Bytes::copy_from_slice(body),
        remote_addr: Some("127.0.0.1:50000".into()),
        source: Source::Direct,
        content_type: Some("application/json".into()),
        msg_id: None,
        extracted: Extracted::default(),
        verification: verdict(Status::Unsigned),
    }
}

/// A list query with `filter`, a page of up to `limit`, from the newest.
fn query(filter: EventFilter, limit: u32) -> ListQuery {
    ListQuery {
        filter,
        limit,
        before: None,
    }
}

/// The ids of every event matching `filter`, newest first.
async fn ids(store: &Store, filter: EventFilter) -> Vec<i64> {
    let page = store.list(query(filter, 500)).await.expect("list");
    page.events.iter().map(|e| e.id).collect()
}

/// Rows in `table` (read straight from SQL, to see what deletes left behind).
async fn rows_in(store: &Store, table: &'static str) -> i64 {
    store
        .read(move |c| {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            Ok(c.query_row(&sql, [], |r| r.get(0))?)
        })
        .await
        .expect("count rows")
}

/// The writer thread blocked inside a job until [`Hold::release`], so that jobs queue up and
/// the next batch takes them all at once.
struct Hold {
    /// Unblocks the writer.
    release: std::sync::mpsc::Sender<()>,
    /// The blocking job itself.
    done: JoinHandle<Result<(), StoreError>>,
}

impl Hold {
    /// Blocks the writer of `store`; returns once it is blocked.
    async fn new(store: &Store) -> Hold {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, is_started) = oneshot::channel();
        let s = store.clone();
        let done = tokio::spawn(async move {
            s.write(0, move |_| {
                let _ = started.send(());
                let _ = wait.recv();
                Ok(())
            })
            .await
        });
        is_started.await.expect("the writer runs the holding job");
        Hold { release, done }
    }

    /// Lets the writer go on.
    async fn release(self) {
        self.release.send(()).expect("the holding job waits");
        self.done
            .await
            .expect("join")
            .expect("the holding job commits");
    }
}

/// Waits until `n` jobs are queued for the writer.
async fn queued(store: &Store, n: usize) {
    let jobs = &store.inner.jobs;
    tokio::time::timeout(Duration::from_secs(20), async {
        while jobs.max_capacity() - jobs.capacity() < n {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("jobs are queued in time");
}

/// Spawns an insert of `e`.
fn spawn_insert(
    store: &Store,
    e: NewEvent,
) -> JoinHandle<Result<super::model::EventSummary, StoreError>> {
    let s = store.clone();
    tokio::spawn(async move { s.insert_event(e).await })
}
