//! Attempts, keys, meta, and refusing databases that are not hookpit's.

use super::*;
use crate::store::model::Headers;
use crate::store::model::{AttemptKind, AttemptOutcome, AttemptSummary, NewAttempt};

/// A new attempt of `kind` on `event_id`, started at `t`.
fn attempt(event_id: i64, kind: AttemptKind, t: DateTime<Utc>) -> NewAttempt {
    NewAttempt {
        event_id,
        kind,
        target: "http://localhost:3000/hooks".into(),
        mode: "ack".into(),
        started_at: t,
        request_headers: Headers::from(vec![("svix-id".into(), b"msg_1".to_vec())]),
        sent: None,
    }
}

#[tokio::test]
async fn attempts_record_list_and_schedule_retries() {
    let store = mem();
    let t0 = at("2026-11-27T12:00:00.250Z");
    let id = store
        .insert_event(event("/a", b"{}"))
        .await
        .expect("insert")
        .id;
    let a1 = store
        .insert_attempt(attempt(id, AttemptKind::Forward, t0))
        .await;
    let a1 = a1.expect("attempt");
    assert_eq!(a1.event_id, id);
    assert_eq!(a1.started_at, "2026-11-27T12:00:00.250Z");
    assert_eq!(a1.outcome.status, None);
    let in_flight = Some(AttemptSummary {
        status: None,
        error: None,
        duration_ms: None,
    });
    let summary = |s: &Store| {
        let s = s.clone();
        async move { s.get(id).await.expect("get").expect("stored").summary }
    };
    assert_eq!(summary(&store).await.last_attempt, in_flight);

    let retry_at = at("2026-11-27T12:00:05.250Z");
    let outcome = AttemptOutcome {
        status: Some(500),
        response_headers: Headers::from(vec![("X-Bin".into(), vec![0xfe, 0x01])]),
        response_body: Bytes::from_static(b"oops\0\xff"),
        duration_ms: Some(12),
        error: None,
        next_retry_at: Some(retry_at),
    };
    let done = store
        .finish_attempt(a1.id, outcome.clone())
        .await
        .expect("finish");
    assert_eq!(done.outcome.status, Some(500));
    assert_eq!(done.outcome.response_headers, outcome.response_headers);
    assert_eq!(done.outcome.response_body, outcome.response_body);
    assert_eq!(done.outcome.next_retry_at, Some(retry_at));
    assert_eq!(done.request_headers, a1.request_headers);
    let finished = AttemptSummary {
        status: Some(500),
        error: None,
        duration_ms: Some(12),
    };
    assert_eq!(summary(&store).await.last_attempt, Some(finished.clone()));
    let listed = store
        .list(query(EventFilter::default(), 5))
        .await
        .expect("list");
    assert_eq!(listed.events[0].last_attempt, Some(finished));

    let due = |t: &str| {
        let (s, t) = (store.clone(), at(t));
        async move {
            let due = s.due_retries(t, None, 500).await.expect("due");
            due.into_iter().map(|a| a.attempt_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(due("2026-11-27T12:00:05.249Z").await, Vec::<i64>::new());
    assert_eq!(due("2026-11-27T12:00:05.250Z").await, vec![a1.id]);
    // A user's replay does not cancel the retry; a finished retry does.
    let a2 = store
        .insert_attempt(attempt(id, AttemptKind::Replay, t0))
        .await;
    let a2 = a2.expect("replay");
    assert_eq!(due("2026-11-27T13:00:00Z").await, vec![a1.id]);
    assert_eq!(summary(&store).await.last_attempt, in_flight);
    let a3 = store
        .insert_attempt(attempt(id, AttemptKind::Retry, t0))
        .await;
    let a3 = a3.expect("retry");
    // Still in flight, the retry hides nothing: a stop may leave it so.
    assert_eq!(due("2026-11-27T13:00:00Z").await, vec![a1.id]);
    let refused = AttemptOutcome {
        error: Some("connection refused".into()),
        ..Default::default()
    };
    store.finish_attempt(a3.id, refused).await.expect("finish");
    assert_eq!(due("2026-11-27T13:00:00Z").await, Vec::<i64>::new());
    let last = summary(&store).await.last_attempt.expect("has attempts");
    assert_eq!(last.error.as_deref(), Some("connection refused"));

    let all: Vec<i64> = store
        .attempts(id)
        .await
        .expect("attempts")
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(all, vec![a1.id, a2.id, a3.id]);
    let got = store.get(id).await.expect("get").expect("stored");
    assert_eq!(
        got.attempts.iter().map(|a| a.kind).collect::<Vec<_>>(),
        [
            AttemptKind::Forward,
            AttemptKind::Replay,
            AttemptKind::Retry
        ]
    );

    let missing = store
        .insert_attempt(attempt(id + 50, AttemptKind::Forward, t0))
        .await;
    assert!(matches!(
        missing,
        Err(StoreError::NotFound { what: "event", .. })
    ));
    let missing = store
        .finish_attempt(a3.id + 50, AttemptOutcome::default())
        .await;
    assert!(matches!(
        missing,
        Err(StoreError::NotFound {
            what: "attempt",
            ..
        })
    ));
}

#[tokio::test]
async fn keys_add_list_delete() {
    let store = mem();
    assert!(store.keys().await.expect("keys").is_empty());
    let a = store
        .add_key("/", "main", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .await;
    let a = a.expect("add");
    let b = store
        .add_key("/cyberdesk", "cd", "whpk_abc")
        .await
        .expect("add");
    assert!(
        a.created_at.ends_with('Z') && a.created_at.len() == 24,
        "{}",
        a.created_at
    );
    let keys = store.keys().await.expect("keys");
    let listed: Vec<_> = keys
        .iter()
        .map(|k| (k.id, &*k.route, &*k.label, &*k.secret))
        .collect();
    assert_eq!(
        listed,
        vec![
            (a.id, "/", "main", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            (b.id, "/cyberdesk", "cd", "whpk_abc"),
        ]
    );
    assert!(store.delete_key(a.id).await.expect("delete"));
    assert!(!store.delete_key(a.id).await.expect("delete again"));
    let left: Vec<i64> = store
        .keys()
        .await
        .expect("keys")
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(left, vec![b.id]);
}

#[tokio::test]
async fn meta_set_get_overwrite() {
    let store = mem();
    assert_eq!(store.meta("relay.channel").await.expect("meta"), None);
    store.set_meta("relay.channel", "c1").await.expect("set");
    assert_eq!(
        store.meta("relay.channel").await.expect("meta").as_deref(),
        Some("c1")
    );
    store.set_meta("relay.channel", "c2").await.expect("set");
    assert_eq!(
        store.meta("relay.channel").await.expect("meta").as_deref(),
        Some("c2")
    );
    assert_eq!(store.meta("other").await.expect("meta"), None);
}

#[test]
fn refuses_files_that_are_not_hookpit_databases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.db");
    let bytes = vec![b'x'; 8192];
    std::fs::write(&junk, &bytes).expect("write junk");
    let err = Store::open(junk.to_str().expect("utf-8"), KEEP_ALL).err();
    assert!(
        matches!(&err, Some(StoreError::Corrupt { reason, .. }) if reason.contains("not an SQLite")),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&junk).expect("read"), bytes, "left untouched");

    let foreign = dir.path().join("foreign.db");
    let conn = rusqlite::Connection::open(&foreign).expect("sqlite");
    conn.execute_batch("CREATE TABLE notes (x TEXT)")
        .expect("create");
    drop(conn);
    let err = Store::open(foreign.to_str().expect("utf-8"), KEEP_ALL).err();
    assert!(
        matches!(&err, Some(StoreError::Corrupt { reason, .. }) if reason.contains("another program")),
        "{err:?}"
    );
    let conn = rusqlite::Connection::open(&foreign).expect("sqlite");
    let events: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(events, 0);

    let newer = dir.path().join("newer.db");
    let newer = newer.to_str().expect("utf-8");
    drop(Store::open(newer, KEEP_ALL).expect("create"));
    let conn = rusqlite::Connection::open(newer).expect("sqlite");
    conn.pragma_update(None, "user_version", 99).expect("bump");
    drop(conn);
    let err = Store::open(newer, KEEP_ALL).err();
    assert!(
        matches!(&err, Some(StoreError::Corrupt { reason, .. }) if reason.contains("newer")),
        "{err:?}"
    );
}
