//! Drift rows: stored beside their event (`event_drift`), read with its summary, searched with
//! `is:drift`, and deleted with it however it goes (by id, all at once, by retention).

use super::{KEEP_ALL, event, ids, mem, rows_in};
use crate::schema::{Drift, DriftOp};
use crate::store::model::EventFilter;
use crate::store::schemas::Learning;
use crate::store::{Retention, Store};

fn missing(path: &str) -> Vec<Drift> {
    vec![Drift {
        path: path.into(),
        op: DriftOp::Missing,
        was: Some("string".into()),
        now: None,
    }]
}

/// Marks `id` as drifted; the summaries the store gave back.
async fn mark(store: &Store, id: i64, cursor: i64) -> Vec<i64> {
    let learning = Learning {
        kinds: Vec::new(),
        drifts: vec![(id, missing("/customer/id"))],
        cursor,
    };
    let updated = store.save_learning(learning).await.expect("save");
    updated.iter().map(|s| s.id).collect()
}

fn only_drift() -> EventFilter {
    EventFilter {
        drift: true,
        ..EventFilter::default()
    }
}

#[tokio::test]
async fn drift_is_in_the_summary_and_found_by_is_drift() {
    let store = mem();
    for n in 0..3 {
        store
            .insert_event(event(&format!("/e{n}"), b"{}"))
            .await
            .expect("insert");
    }
    assert_eq!(mark(&store, 2, 3).await, vec![2]);
    let two = store.get(2).await.expect("get").expect("event 2");
    assert_eq!(two.summary.drift, Some(missing("/customer/id")));
    let one = store.get(1).await.expect("get").expect("event 1");
    assert_eq!(one.summary.drift, None);
    assert_eq!(ids(&store, only_drift()).await, vec![2]);
    let page = store
        .list(super::query(EventFilter::default(), 10))
        .await
        .expect("list");
    let drifts: Vec<bool> = page.events.iter().map(|e| e.drift.is_some()).collect();
    assert_eq!(drifts, vec![false, true, false], "newest first");
    assert_eq!(store.schema_cursor().await.expect("cursor"), 3);
}

#[tokio::test]
async fn a_deleted_event_takes_its_drift_and_is_not_marked_later() {
    let store = mem();
    for _ in 0..3 {
        store
            .insert_event(event("/e", b"{}"))
            .await
            .expect("insert");
    }
    mark(&store, 1, 3).await;
    mark(&store, 2, 3).await;
    assert!(store.delete(1).await.expect("delete"));
    assert_eq!(rows_in(&store, "event_drift").await, 1);
    // Read before the delete, stored after: nothing to mark, and no error.
    assert_eq!(mark(&store, 1, 3).await, Vec::<i64>::new());
    assert_eq!(rows_in(&store, "event_drift").await, 1);
    store.delete_all().await.expect("delete all");
    assert_eq!(rows_in(&store, "event_drift").await, 0);
    assert!(ids(&store, only_drift()).await.is_empty());
}

#[tokio::test]
async fn retention_deletes_drift_rows_with_their_events() {
    let keep_two = Retention {
        max_events: 2,
        ..KEEP_ALL
    };
    let store = Store::open(":memory:", keep_two).expect("open");
    store
        .insert_event(event("/e", b"{}"))
        .await
        .expect("insert");
    store
        .insert_event(event("/e", b"{}"))
        .await
        .expect("insert");
    mark(&store, 1, 2).await;
    mark(&store, 2, 2).await;
    store
        .insert_event(event("/e", b"{}"))
        .await
        .expect("insert");
    // The writer prunes after answering the insert; its next write comes after the prune.
    store
        .set_meta("sync", "1")
        .await
        .expect("a write after the prune");
    assert_eq!(ids(&store, EventFilter::default()).await, vec![3, 2]);
    assert_eq!(rows_in(&store, "event_drift").await, 1);
    assert_eq!(ids(&store, only_drift()).await, vec![2]);
}
