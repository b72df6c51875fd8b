//! A database written by an earlier schema opens, upgraded, with nothing lost.

use rusqlite::{Connection, params};

use super::super::conn::MIGRATIONS;
use super::{KEEP_ALL, event, query, rows_in, verdict};
use crate::store::Store;
use crate::store::model::EventFilter;
use crate::verify::Status;

/// Writes a schema version 4 database (bodies in a table of their own) at `path`: events 1
/// and 2 (2 a duplicate of 1, with a body that is not UTF-8), an attempt of event 1, and event
/// 3 deleted, so the highest id given out is above the highest stored.
fn version_4_database(path: &str) {
    let conn = Connection::open(path).expect("sqlite");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 <= 4) {
        conn.execute_batch(sql).expect("migration");
        conn.pragma_update(None, "user_version", version)
            .expect("version");
    }
    let verdict = serde_json::to_string(&verdict(Status::Unsigned)).expect("json");
    for (id, path, duplicate_of) in [(1, "/a", None), (2, "/b", Some(1)), (3, "/gone", None)] {
        conn.execute(
            "INSERT INTO events (id, received_at, method, path, query, headers, remote_addr, \
             source, content_type, size, msg_id, event_type, verify_status, verification, \
             duplicate_of) VALUES (?1, 1764547200000, 'POST', ?2, 'x=1', \
             '[[\"X-One\",\"1\"]]', '127.0.0.1:1', 'direct', 'application/json', 2, 'msg_1', \
             'run_complete', 'unsigned', ?3, ?4)",
            params![id, path, verdict, duplicate_of],
        )
        .expect("event");
    }
    conn.execute_batch(
        "INSERT INTO bodies (event_id, body) VALUES \
             (1, CAST('{\"note\":\"zanzibar-quokka\"}' AS BLOB)), (2, x'ff00'), (3, x'');
         INSERT INTO attempts (event_id, kind, target, mode, started_at, request_headers) \
             VALUES (1, 'forward', 'http://127.0.0.1:9/', 'ack', 1764547200000, '[]');
         DELETE FROM bodies WHERE event_id = 3;
         DELETE FROM events WHERE id = 3;",
    )
    .expect("rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_4_database_upgrades_with_bodies_attempts_and_ids_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v4.db");
    let path = path.to_str().expect("utf-8");
    version_4_database(path);

    let store = Store::open(path, KEEP_ALL).expect("upgrade");
    let one = store.get(1).await.expect("get").expect("event 1");
    assert_eq!(&one.body[..], br#"{"note":"zanzibar-quokka"}"#);
    assert_eq!(one.headers[0], ("X-One".to_string(), b"1".to_vec()));
    assert_eq!(one.summary.query, "x=1");
    assert_eq!(one.attempts.len(), 1, "the attempt stays with its event");
    let two = store.get(2).await.expect("get").expect("event 2");
    assert_eq!(&two.body[..], &[0xff, 0x00]);
    assert_eq!(two.summary.duplicate_of, Some(1));
    let raw = store.raw_body(2).await.expect("raw").expect("body");
    assert_eq!(&raw.1[..], &[0xff, 0x00]);

    assert_eq!(super::ids(&store, EventFilter::default()).await, vec![2, 1]);
    let search = EventFilter {
        text: vec!["zanzibar-quokka".into()],
        ..EventFilter::default()
    };
    let page = store.list(query(search, 50)).await.expect("search");
    assert_eq!(page.events.iter().map(|e| e.id).collect::<Vec<_>>(), [1]);

    // Id 3 was given out before the upgrade: it is not given out again.
    let next = store
        .insert_event(event("/n", b"{}"))
        .await
        .expect("insert");
    assert_eq!(next.id, 4);
    // Foreign keys are on again: deleting an event takes its attempts with it.
    assert!(store.delete(1).await.expect("delete"));
    assert_eq!(rows_in(&store, "attempts").await, 0);
    let (version, bodies): (i64, i64) = store
        .read(|c| {
            Ok((
                c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
                c.query_row(
                    "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'bodies'",
                    [],
                    |r| r.get(0),
                )?,
            ))
        })
        .await
        .expect("schema");
    let latest = crate::store::conn::MIGRATIONS.last().expect("migrations").0;
    assert_eq!((version, bodies), (latest, 0));
}

/// A version 9 database with Cyberdesk runs of a session (one of them released, one body that
/// is not JSON) and a run without a session.
fn version_9_database(path: &str) {
    let conn = Connection::open(path).expect("sqlite");
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 <= 9) {
        conn.execute_batch(sql).expect("migration");
        conn.pragma_update(None, "user_version", version)
            .expect("version");
    }
    let verdict = serde_json::to_string(&verdict(Status::Unsigned)).expect("json");
    let rows: [(i64, Option<&str>, &str, &[u8]); 3] = [
        (
            1,
            Some("s1"),
            "r1",
            br#"{"run":{"id":"r1","release_session_after":false}}"#,
        ),
        (
            2,
            Some("s1"),
            "r2",
            br#"{"run":{"id":"r2","release_session_after":true}}"#,
        ),
        (3, None, "r3", b"\xff not json"),
    ];
    for (id, session, run, body) in rows {
        conn.execute(
            "INSERT INTO events (id, received_at, method, path, query, headers, source, size, \
             event_type, run_id, run_status, run_session_id, verify_status, verification, body) \
             VALUES (?1, 1764547200000, 'POST', '/cyberdesk', '', '[]', 'direct', 2, \
             'run_complete', ?2, 'success', ?3, 'unsigned', ?4, ?5)",
            params![id, run, session, verdict, body],
        )
        .expect("event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_9_database_gets_its_session_runs_with_the_release_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v9.db");
    let path = path.to_str().expect("utf-8");
    version_9_database(path);

    let store = Store::open(path, KEEP_ALL).expect("upgrade");
    let all = store.sessions().await.expect("sessions");
    let got: Vec<_> = all
        .runs
        .iter()
        .map(|r| (r.session_id.as_str(), r.run_id.as_str(), r.release_after))
        .collect();
    assert_eq!(got, [("s1", "r1", Some(false)), ("s1", "r2", Some(true))]);
    assert!(all.expected.is_empty());
    let two = store.get(2).await.expect("get").expect("event 2");
    let run = two.summary.run.expect("a run");
    assert_eq!(run.session_id.as_deref(), Some("s1"));
    assert_eq!(run.release_session_after, Some(true));
    // New webhooks are added by the trigger, a body that is not JSON included.
    let mut e = event("/cyberdesk", b"{not json");
    e.extracted.run_id = Some("r9".into());
    e.extracted.run_session_id = Some("s1".into());
    let stored = store.insert_event(e).await.expect("insert");
    assert_eq!(stored.run.expect("run").release_session_after, None);
    assert_eq!(store.sessions().await.expect("sessions").runs.len(), 3);
    assert!(store.delete(2).await.expect("delete"));
    let after = store.sessions().await.expect("sessions");
    assert_eq!(after.runs.len(), 2, "the run went with its event");
}
