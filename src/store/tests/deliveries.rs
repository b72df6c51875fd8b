//! The delivery queue: due retries however many, attempts left in flight, bulk replay states.

use super::*;
use crate::store::ReplayState;
use crate::store::model::{AttemptKind, AttemptOutcome, NewAttempt};

/// Starts an ack-mode attempt of `kind` on `event_id` at `t`; its id.
async fn begin(store: &Store, event_id: i64, kind: AttemptKind, t: DateTime<Utc>) -> i64 {
    store
        .insert_attempt(NewAttempt {
            event_id,
            kind,
            target: "http://localhost:3000/hooks".into(),
            mode: "ack".into(),
            started_at: t,
            request_headers: Default::default(),
            sent: None,
        })
        .await
        .expect("attempt")
        .id
}

/// Ends attempt `id` as refused, next try at `next`.
async fn refuse(store: &Store, id: i64, next: Option<DateTime<Utc>>) {
    let outcome = AttemptOutcome {
        error: Some("connection refused".into()),
        next_retry_at: next,
        ..AttemptOutcome::default()
    };
    store.finish_attempt(id, outcome).await.expect("finish");
}

#[tokio::test]
async fn every_due_retry_is_read_in_due_order_page_after_page() {
    let store = mem();
    let t0 = at("2026-11-27T12:00:00Z");
    let mut expected = Vec::new();
    // 1,203 events, due in an order unlike their ids (and some at the same millisecond).
    for n in 0..1203i64 {
        let id = store
            .insert_event(event("/q", b"{}"))
            .await
            .expect("event")
            .id;
        let a = begin(&store, id, AttemptKind::Forward, t0).await;
        let due = t0 + chrono::Duration::milliseconds((n * 7919) % 1000);
        refuse(&store, a, Some(due)).await;
        expected.push((due, a));
    }
    expected.sort();
    let now = t0 + chrono::Duration::seconds(5);
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.due_retries(now, after, 500).await.expect("due");
        seen.extend(page.iter().map(|d| (d.due, d.attempt_id)));
        assert!(page.iter().all(|d| d.tries == 1), "one try so far each");
        match page.last() {
            Some(last) if page.len() == 500 => after = Some((last.due, last.attempt_id)),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 1203, "none dropped past the first page");
    assert_eq!(seen, expected, "earliest due first, ties by attempt");
    let half = t0 + chrono::Duration::milliseconds(500);
    let next = store.next_retry_after(half).await.expect("next");
    assert_eq!(next, expected.iter().map(|e| e.0).find(|d| *d > half));
}

#[tokio::test]
async fn an_interrupted_retry_hides_no_older_due_retry_and_is_closed_with_its_own() {
    let store = mem();
    let t0 = at("2026-11-27T12:00:00Z");
    let id = store
        .insert_event(event("/i", b"{}"))
        .await
        .expect("event")
        .id;
    let first = begin(&store, id, AttemptKind::Forward, t0).await;
    let due = t0 + chrono::Duration::seconds(5);
    refuse(&store, first, Some(due)).await;
    // The retry was in flight when hookpit died: neither status nor error.
    let cut = begin(&store, id, AttemptKind::Retry, due).await;
    let replay = begin(&store, id, AttemptKind::Replay, due).await;
    let later = t0 + chrono::Duration::minutes(1);
    let due_ids = |s: Store| async move {
        let due = s.due_retries(later, None, 500).await.expect("due");
        due.iter().map(|d| d.attempt_id).collect::<Vec<_>>()
    };
    assert_eq!(due_ids(store.clone()).await, vec![first]);

    let left = store.unfinished_attempts().await.expect("unfinished");
    let left: Vec<(i64, usize)> = left.iter().map(|(a, tries)| (a.id, *tries)).collect();
    assert_eq!(left, vec![(cut, 2), (replay, 2)], "replays are not tries");
    let again = t0 + chrono::Duration::seconds(30);
    let closed = store
        .close_interrupted("stopped", vec![(cut, Some(again)), (replay, None)])
        .await
        .expect("close");
    assert_eq!(closed, 2);
    assert!(store.unfinished_attempts().await.expect("none").is_empty());
    let got = store.attempts(id).await.expect("attempts");
    assert_eq!(got[1].outcome.error.as_deref(), Some("stopped"));
    assert_eq!(got[1].outcome.next_retry_at, Some(again));
    assert_eq!(got[2].outcome.next_retry_at, None);
    // Closed, the interrupted retry carries the schedule on: it is the one due now.
    assert_eq!(due_ids(store.clone()).await, vec![cut]);
    let due = store.due_retries(later, None, 500).await.expect("due");
    assert_eq!(due[0].tries, 2);
    // Closing twice changes nothing.
    let closed = store
        .close_interrupted("again", vec![(cut, None)])
        .await
        .expect("close");
    assert_eq!(closed, 0);
}

#[tokio::test]
async fn bulk_replay_jobs_record_how_far_they_got() {
    let store = mem();
    let a = store.start_replay_job(10).await.expect("job");
    let b = store.start_replay_job(3).await.expect("job");
    assert!(b > a, "job numbers are not reused");
    store
        .update_replay_job(a, 4, ReplayState::Running)
        .await
        .expect("progress");
    store
        .update_replay_job(b, 3, ReplayState::Done)
        .await
        .expect("done");
    assert_eq!(store.interrupt_replay_jobs().await.expect("interrupt"), 1);
    let job = store.replay_job(a).await.expect("read").expect("stored");
    assert_eq!(
        (job.state, job.done, job.total),
        (ReplayState::Interrupted, 4, 10)
    );
    let job = store.replay_job(b).await.expect("read").expect("stored");
    assert_eq!(job.state, ReplayState::Done);
    assert!(store.replay_job(b + 1).await.expect("read").is_none());
}

#[tokio::test]
async fn a_retry_the_transformation_cancelled_ends_that_targets_queue() {
    let store = mem();
    let t0 = at("2026-11-27T12:00:00Z");
    let id = store
        .insert_event(event("/c", b"{}"))
        .await
        .expect("event")
        .id;
    let first = begin(&store, id, AttemptKind::Forward, t0).await;
    refuse(&store, first, Some(t0 + chrono::Duration::seconds(5))).await;
    let later = t0 + chrono::Duration::seconds(10);
    assert_eq!(
        store.due_retries(later, None, 10).await.expect("due").len(),
        1
    );
    let cancelled = NewAttempt {
        event_id: id,
        kind: AttemptKind::Retry,
        target: "http://localhost:3000/hooks".into(),
        mode: "ack".into(),
        started_at: later,
        request_headers: Default::default(),
        sent: None,
    };
    store
        .insert_skipped_soon(cancelled, "transformation t.js set cancel = true".into())
        .await
        .expect("skip");
    assert!(
        store
            .due_retries(later, None, 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(store.next_retry_after(t0).await.expect("next"), None);
}
