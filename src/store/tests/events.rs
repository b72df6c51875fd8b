//! Events: byte-exact round trips, duplicates, deletes, verification updates, reopening.

use super::*;
use crate::store::model::{AttemptKind, NewAttempt, RunSummary, VerificationSummary};
use crate::verify::{Reason, Scheme};

#[tokio::test]
async fn round_trip_is_byte_exact() {
    let store = mem();
    let body: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xc3]).collect();
    let headers = Headers::from(vec![
        (
            "Content-Type".to_string(),
            b"application/octet-stream".to_vec(),
        ),
        ("X-Dup".to_string(), b"first".to_vec()),
        ("x-dup".to_string(), b"second".to_vec()),
        ("X-Bin".to_string(), vec![0xff, 0xfe, 0x00, 0x80, b'a']),
        ("X-Dup".to_string(), b"third, with \"quotes\"".to_vec()),
        ("X-Empty".to_string(), Vec::new()),
    ]);
    let full = Verdict {
        status: Status::Invalid,
        reason: Some(Reason::TimestampTooOld),
        provider: Some("standard".into()),
        scheme: Some(Scheme::HmacSha256),
        msg_id: Some("msg_1".into()),
        timestamp: Some(1_700_000_000),
        skew_s: Some(720),
        signature_ok: Some(true),
        timestamp_ok: Some(false),
        matched_key: Some("main".into()),
        message: "Signature matches, but the timestamp is 12 minutes old.".into(),
    };
    let extracted = Extracted {
        event_type: Some("run_complete".into()),
        event_id: Some("evt_1".into()),
        run_id: Some("run_1".into()),
        run_status: Some("success".into()),
        run_workflow_id: Some("wf_1".into()),
        run_session_id: Some("sess_1".into()),
    };
    let e = NewEvent {
        received_at: at("2026-11-27T12:04:31.882Z"),
        method: "PATCH".into(),
        path: "/hooks/%7Eme".into(),
        query: "a=1&b=%20".into(),
        headers: headers.clone(),
        body: Bytes::from(body.clone()),
        remote_addr: Some("[::1]:4242".into()),
        source: Source::Relay,
        content_type: Some("application/octet-stream".into()),
        msg_id: Some("msg_1".into()),
        extracted: extracted.clone(),
        verification: full.clone(),
    };
    let summary = store.insert_event(e).await.expect("insert");
    assert_eq!(summary.received_at, "2026-11-27T12:04:31.882Z");
    assert_eq!(summary.size, body.len() as i64);
    assert_eq!(summary.source, Source::Relay);
    assert_eq!(summary.duplicate_of, None);
    assert_eq!(
        summary.run,
        Some(RunSummary {
            id: Some("run_1".into()),
            status: Some("success".into()),
            session_id: Some("sess_1".into()),
            release_session_after: None,
        })
    );
    assert_eq!(
        summary.verification,
        VerificationSummary {
            status: Status::Invalid,
            reason: Some(Reason::TimestampTooOld),
            skew_s: summary.verification.skew_s,
            provider: Some("standard".into()),
        }
    );

    let got = store.get(summary.id).await.expect("get").expect("stored");
    assert_eq!(got.summary, summary, "the list line reads back as inserted");
    assert_eq!(got.headers, headers);
    assert_eq!(&got.body[..], &body[..]);
    assert_eq!(got.remote_addr.as_deref(), Some("[::1]:4242"));
    assert_eq!(got.extracted, extracted);
    assert_eq!(got.verification, full);
    assert!(got.attempts.is_empty());
    let (ct, raw) = store
        .raw_body(summary.id)
        .await
        .expect("raw")
        .expect("stored");
    assert_eq!(ct.as_deref(), Some("application/octet-stream"));
    assert_eq!(&raw[..], &body[..]);
}

#[tokio::test]
async fn empty_body_and_no_headers_round_trip() {
    let store = mem();
    let mut e = event("/", b"");
    e.headers = Headers::default();
    e.content_type = None;
    e.remote_addr = None;
    let s = store.insert_event(e).await.expect("insert");
    assert_eq!(s.size, 0);
    assert_eq!(s.run, None);
    let got = store.get(s.id).await.expect("get").expect("stored");
    assert!(got.body.is_empty());
    assert!(got.headers.is_empty());
    assert_eq!(got.remote_addr, None);
    let raw = store.raw_body(s.id).await.expect("raw");
    assert_eq!(raw, Some((None, Bytes::new())));
    assert_eq!(
        store.get(s.id + 1).await.expect("get").map(|e| e.summary),
        None
    );
    assert_eq!(store.raw_body(s.id + 1).await.expect("raw"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_point_at_the_first_event() {
    let store = mem();
    let with_id = |id: &str| {
        let mut e = event("/d", b"{}");
        e.msg_id = Some(id.into());
        e
    };
    let first = store.insert_event(with_id("msg_a")).await.expect("insert");
    let plain = store
        .insert_event(event("/d", b"{}"))
        .await
        .expect("insert");
    let again = store.insert_event(with_id("msg_a")).await.expect("insert");
    let third = store.insert_event(with_id("msg_a")).await.expect("insert");
    let other = store.insert_event(with_id("msg_b")).await.expect("insert");
    assert_eq!(first.duplicate_of, None);
    assert_eq!(plain.duplicate_of, None);
    assert_eq!(again.duplicate_of, Some(first.id));
    assert_eq!(third.duplicate_of, Some(first.id));
    assert_eq!(other.duplicate_of, None);
    let listed = store.get(again.id).await.expect("get").expect("stored");
    assert_eq!(listed.summary.duplicate_of, Some(first.id));

    // Two with the same id in one batch: the second sees the first.
    let hold = Hold::new(&store).await;
    let a = spawn_insert(&store, with_id("msg_c"));
    queued(&store, 1).await;
    let b = spawn_insert(&store, with_id("msg_c"));
    queued(&store, 2).await;
    let commits = store.stats().commits;
    hold.release().await;
    let a = a.await.expect("join").expect("insert");
    let b = b.await.expect("join").expect("insert");
    assert_eq!(
        store.stats().commits,
        commits + 2,
        "hold's batch, then one batch of both"
    );
    assert_eq!(a.duplicate_of, None);
    assert_eq!(b.duplicate_of, Some(a.id));
}

#[tokio::test]
async fn delete_one_and_all_take_bodies_and_attempts() {
    let store = mem();
    let mut ids = Vec::new();
    for i in 0..3 {
        let s = store.insert_event(event(&format!("/e{i}"), b"body")).await;
        let id = s.expect("insert").id;
        let a = NewAttempt {
            event_id: id,
            kind: AttemptKind::Forward,
            target: "http://localhost:3000/".into(),
            mode: "proxy".into(),
            started_at: Utc::now(),
            request_headers: Headers::default(),
            sent: None,
        };
        store.insert_attempt(a).await.expect("attempt");
        ids.push(id);
    }
    assert!(store.delete(ids[1]).await.expect("delete"));
    assert!(!store.delete(ids[1]).await.expect("delete again"));
    assert_eq!(
        store.get(ids[1]).await.expect("get").map(|e| e.summary),
        None
    );
    assert_eq!(store.raw_body(ids[1]).await.expect("raw"), None);
    assert!(store.attempts(ids[1]).await.expect("attempts").is_empty());
    assert_eq!(store.count().await.expect("count"), 2);
    assert_eq!(rows_in(&store, "attempts").await, 2);

    assert_eq!(store.delete_all().await.expect("delete all"), 2);
    assert_eq!(store.count().await.expect("count"), 0);
    assert_eq!(rows_in(&store, "attempts").await, 0);
    let next = store.insert_event(event("/n", b"")).await.expect("insert");
    assert!(next.id > ids[2], "ids are never reused");
}

#[tokio::test]
async fn set_verification_replaces_the_verdict() {
    let store = mem();
    let s = store
        .insert_event(event("/v", b"{}"))
        .await
        .expect("insert");
    let mut valid = verdict(Status::Valid);
    valid.matched_key = Some("rotated".into());
    let updated = store.set_verification(s.id, valid.clone()).await;
    let updated = updated.expect("update").expect("exists");
    assert_eq!(updated.verification.status, Status::Valid);
    assert_eq!(updated.id, s.id);
    let got = store.get(s.id).await.expect("get").expect("stored");
    assert_eq!(got.verification, valid);
    let filter = EventFilter {
        verification: Some("valid".into()),
        ..Default::default()
    };
    assert_eq!(ids(&store, filter).await, vec![s.id]);
    let missing = store.set_verification(s.id + 100, valid).await;
    assert_eq!(missing.expect("update"), None);
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/deeper/hookpit.db");
    let path = path.to_str().expect("utf-8 path");
    let body = vec![0u8, 159, 146, 150, 255];
    let (id, key_id) = {
        let store = Store::open(path, KEEP_ALL).expect("open new");
        assert_eq!(store.path(), path);
        let id = store
            .insert_event(event("/keep", &body))
            .await
            .expect("insert")
            .id;
        store.set_meta("channel", "abc").await.expect("meta");
        let key = store.add_key("/", "main", "whsec_x").await.expect("key");
        (id, key.id)
    };
    let store = Store::open(path, KEEP_ALL).expect("reopen");
    let got = store.get(id).await.expect("get").expect("still there");
    assert_eq!(&got.body[..], &body[..]);
    assert_eq!(got.summary.path, "/keep");
    assert_eq!(
        store.meta("channel").await.expect("meta").as_deref(),
        Some("abc")
    );
    assert_eq!(store.keys().await.expect("keys")[0].id, key_id);
    let next = store
        .insert_event(event("/next", b""))
        .await
        .expect("insert");
    assert!(next.id > id);
    assert_eq!(store.count().await.expect("count"), 2);
}
