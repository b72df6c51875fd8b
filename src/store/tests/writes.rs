//! The writer: group commit, batch failures, retention and `:memory:` with concurrent reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::*;
use crate::store::model::{AttemptKind, NewAttempt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_inserts_is_a_handful_of_transactions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("burst.db");
    let store = Store::open(path.to_str().expect("utf-8"), KEEP_ALL).expect("open");
    let before = store.stats();
    let started = Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            spawn_insert(
                &store,
                event(&format!("/burst/{i}"), format!("{i}").as_bytes()),
            )
        })
        .collect();
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await.expect("join").expect("insert"));
    }
    let elapsed = started.elapsed();
    let stats = store.stats();
    let transactions = stats.commits - before.commits;
    println!("1000 concurrent inserts: {transactions} transactions in {elapsed:?}");
    assert!(transactions < 100, "{transactions} transactions");
    assert_eq!(stats.writes - before.writes, 1000);
    let unique: std::collections::BTreeSet<i64> = done.iter().map(|s| s.id).collect();
    assert_eq!(unique.len(), 1000);
    assert_eq!(store.count().await.expect("count"), 1000);
    for s in &done {
        let got = store.raw_body(s.id).await.expect("raw").expect("stored");
        let i = s.path.trim_start_matches("/burst/");
        assert_eq!(&got.1[..], i.as_bytes(), "event {}", s.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_fails_every_op_of_its_batch() {
    let store = mem();
    let hold = Hold::new(&store).await;
    let inserts: Vec<_> = (0..5)
        .map(|i| spawn_insert(&store, event(&format!("/lost/{i}"), b"x")))
        .collect();
    queued(&store, 5).await;
    // Defers a foreign-key violation to COMMIT, which then fails for the whole batch.
    let s = store.clone();
    let poison = tokio::spawn(async move {
        s.write(0, |ctx| {
            ctx.conn.execute_batch(
                "PRAGMA defer_foreign_keys = ON; \
                 INSERT INTO attempts (event_id, kind, target, mode, started_at, \
                 request_headers) VALUES (999999, 'forward', 'x', 'ack', 0, '[]');",
            )?;
            Ok(())
        })
        .await
    });
    queued(&store, 6).await;
    hold.release().await;
    for t in inserts {
        let err = t
            .await
            .expect("join")
            .expect_err("nothing of the batch is acknowledged");
        assert!(
            err.to_string().contains("FOREIGN KEY constraint failed"),
            "{err}"
        );
    }
    assert!(poison.await.expect("join").is_err());
    assert_eq!(store.stats().failed_batches, 1);
    assert_eq!(store.count().await.expect("count"), 0);
    assert_eq!(rows_in(&store, "attempts").await, 0);
    // The writer goes on.
    let ok = store
        .insert_event(event("/after", b"y"))
        .await
        .expect("insert");
    assert_eq!(store.count().await.expect("count"), 1);
    assert!(store.get(ok.id).await.expect("get").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_op_does_not_fail_its_batch() {
    let store = mem();
    let hold = Hold::new(&store).await;
    let good = spawn_insert(&store, event("/good", b""));
    queued(&store, 1).await;
    let s = store.clone();
    let bad = tokio::spawn(async move { s.finish_attempt(12345, Default::default()).await });
    queued(&store, 2).await;
    hold.release().await;
    assert!(good.await.expect("join").is_ok());
    let err = bad.await.expect("join").expect_err("no such attempt");
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "attempt",
                id: 12345
            }
        ),
        "{err}"
    );
    assert_eq!(store.count().await.expect("count"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insert_failing_alone_leaves_no_trace_and_its_batch_commits() {
    let store = mem();
    // Refuses one path after its row (and its index entries) went in, so undoing the insert
    // is SQLite's statement rollback: inserts run without a savepoint of their own.
    store
        .write(0, |ctx| {
            ctx.conn.execute_batch(
                "CREATE TEMP TRIGGER refuse AFTER INSERT ON main.events \
                 WHEN NEW.path = '/refused' BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )?;
            Ok(())
        })
        .await
        .expect("trigger");
    let hold = Hold::new(&store).await;
    let first = spawn_insert(&store, event("/first", b"1"));
    queued(&store, 1).await;
    let refused = spawn_insert(&store, event("/refused", b"2"));
    queued(&store, 2).await;
    let last = spawn_insert(&store, event("/last", b"3"));
    queued(&store, 3).await;
    hold.release().await;
    let first = first.await.expect("join").expect("first stored");
    let err = refused.await.expect("join").expect_err("refused");
    assert!(err.to_string().contains("refused"), "{err}");
    let last = last.await.expect("join").expect("last stored");
    assert_eq!(store.stats().failed_batches, 0);
    assert_eq!(
        super::ids(&store, EventFilter::default()).await,
        vec![last.id, first.id]
    );
    assert_eq!(rows_in(&store, "events").await, 2);
    let raw = store.raw_body(last.id).await.expect("raw").expect("body");
    assert_eq!(&raw.1[..], b"3");
}

#[tokio::test]
async fn retention_keeps_the_newest_max_events() {
    let retention = Retention {
        max_events: 5,
        max_age: None,
    };
    let store = Store::open(":memory:", retention).expect("open");
    let first = store
        .insert_event(event("/0", b"old"))
        .await
        .expect("insert")
        .id;
    let attempt = NewAttempt {
        event_id: first,
        kind: AttemptKind::Forward,
        target: "http://localhost:1/".into(),
        mode: "ack".into(),
        started_at: Utc::now(),
        request_headers: Headers::default(),
        sent: None,
    };
    store.insert_attempt(attempt).await.expect("attempt");
    let mut ids = vec![first];
    for i in 1..8 {
        ids.push(
            store
                .insert_event(event(&format!("/{i}"), b"b"))
                .await
                .expect("insert")
                .id,
        );
    }
    store.set_meta("barrier", "1").await.expect("meta"); // runs after the last pruning
    assert_eq!(store.count().await.expect("count"), 5);
    let kept = super::ids(&store, EventFilter::default()).await;
    assert_eq!(kept, ids[3..].iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(rows_in(&store, "attempts").await, 0);
    assert_eq!(store.stats().pruned, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_drops_events_older_than_max_age() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("age.db");
    let path = path.to_str().expect("utf-8");
    let old = || {
        let mut e = event("/old", b"old body");
        e.received_at = Utc::now() - chrono::Duration::hours(2);
        e
    };
    {
        let store = Store::open(path, KEEP_ALL).expect("open");
        let id = store.insert_event(old()).await.expect("insert").id;
        let attempt = NewAttempt {
            event_id: id,
            kind: AttemptKind::Forward,
            target: "http://localhost:1/".into(),
            mode: "ack".into(),
            started_at: Utc::now(),
            request_headers: Headers::default(),
            sent: None,
        };
        store.insert_attempt(attempt).await.expect("attempt");
        store
            .insert_event(event("/new", b""))
            .await
            .expect("insert");
    }
    let retention = Retention {
        max_events: 0,
        max_age: Some(Duration::from_secs(3600)),
    };
    // At open: the old event, its body and its attempt go.
    let store = Store::open(path, retention).expect("reopen");
    store.set_meta("barrier", "1").await.expect("meta");
    assert_eq!(store.count().await.expect("count"), 1);
    assert_eq!(rows_in(&store, "attempts").await, 0);

    // While running: old events inserted in one batch are pruned after it.
    let hold = Hold::new(&store).await;
    let a = spawn_insert(&store, old());
    queued(&store, 1).await;
    let b = spawn_insert(&store, event("/fresh", b""));
    queued(&store, 2).await;
    hold.release().await;
    a.await.expect("join").expect("insert");
    b.await.expect("join").expect("insert");
    store.set_meta("barrier", "2").await.expect("meta");
    let paths: Vec<String> = store
        .list(query(EventFilter::default(), 10))
        .await
        .expect("list")
        .events
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(paths, vec!["/fresh", "/new"]);
    assert_eq!(store.stats().pruned, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_serves_reads_during_writes() {
    let store = mem();
    let other = mem();
    let writing = Arc::new(AtomicBool::new(true));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (s, writing) = (store.clone(), Arc::clone(&writing));
        readers.push(tokio::spawn(async move {
            let (mut reads, mut last) = (0u32, 0u64);
            while writing.load(Ordering::Relaxed) {
                let n = s.count().await.expect("count during writes");
                assert!(n >= last, "count went back from {last} to {n}");
                let page = s
                    .list(query(EventFilter::default(), 20))
                    .await
                    .expect("list");
                assert!(page.events.len() as u64 >= n.min(20));
                last = n;
                reads += 1;
            }
            reads
        }));
    }
    for i in 0..300 {
        store
            .insert_event(event(&format!("/m{i}"), b"m"))
            .await
            .expect("insert");
    }
    writing.store(false, Ordering::Relaxed);
    for r in readers {
        assert!(r.await.expect("reader") > 0);
    }
    assert_eq!(store.count().await.expect("count"), 300);
    assert_eq!(
        other.count().await.expect("count"),
        0,
        "each :memory: store is its own"
    );
    drop(store);
    assert!(!std::path::Path::new(":memory:").exists());
    let stray = std::fs::read_dir(".")
        .expect("cwd")
        .filter_map(Result::ok)
        .any(|f| {
            let name = f.file_name().to_string_lossy().into_owned();
            name.starts_with("file:") || name.contains("memdb")
        });
    assert!(!stray, "no file left behind");
}

#[test]
fn statements_are_prepared_once_whatever_is_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plan.db");
    drop(Store::open(path.to_str().expect("utf-8"), KEEP_ALL).expect("open"));
    let target = crate::store::conn::Target::File(path.clone());
    let conn = crate::store::conn::open_writer(&target, "plan.db").expect("connect");
    // As the writer runs it: once per insert, inside the batch's transaction.
    for msg_id in ["msg_a", "msg_b", "msg_c"] {
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        let first: Option<i64> = conn
            .prepare_cached(crate::store::ops::FIRST_WITH_MSG_ID)
            .and_then(|mut s| s.query_row([msg_id], |r| r.get(0)))
            .expect("lookup");
        assert_eq!(first, None);
        conn.execute_batch("COMMIT").expect("commit");
    }
    let stmt = conn
        .prepare_cached(crate::store::ops::FIRST_WITH_MSG_ID)
        .expect("cached");
    let again = stmt.get_status(rusqlite::StatementStatus::RePrepare);
    assert_eq!(
        again, 0,
        "prepared {again} more times: the plan depends on bound values"
    );
}

#[test]
fn pruning_past_max_events_reads_only_the_rows_it_deletes() {
    use rusqlite::StatementStatus;
    let conn = rusqlite::Connection::open_in_memory().expect("sqlite");
    for (_, sql) in super::super::conn::MIGRATIONS {
        conn.execute_batch(sql).expect("migration");
    }
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO events (received_at, method, path, query, headers, source, size,
             verify_status, verification, body)
         SELECT i, 'POST', '/', '', '[]', 'direct', 1, 'unsigned', '{}', x'00' FROM n;",
    )
    .expect("5,000 events");
    // A full store one event over its bound: the oldest one goes, and the statement's steps
    // stay near that one row, not the 5,000 stored.
    let mut stmt = conn
        .prepare(super::super::writer::PRUNE_OLDEST)
        .expect("prepare");
    assert_eq!(stmt.execute([1]).expect("prune"), 1);
    let steps = stmt.get_status(StatementStatus::VmStep);
    assert!(steps < 200, "{steps} VM steps to delete one event");
    let oldest: i64 = conn
        .query_row("SELECT MIN(id) FROM events", [], |r| r.get(0))
        .expect("min");
    assert_eq!(oldest, 2);
}
