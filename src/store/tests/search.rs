//! Text search through the trigram index finds exactly what a scan finds, complete while the
//! index catches up; retention, deletes and an upgrade keep the index in step.

use std::io::Write;
use std::time::Duration;

use rusqlite::{Connection, params};

use super::super::conn::MIGRATIONS;
use super::super::model::{EventFilter, Headers, ListQuery, NewEvent};
use super::{KEEP_ALL, event, rows_in, verdict};
use crate::store::{IndexProgress, Retention, Store};
use crate::verify::Status;

/// A gzip of `text`.
fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    gz.finish().expect("gzip")
}

/// Events with everything a search looks at: JSON, non-ASCII in both cases, binary with NULs
/// and broken UTF-8, gzip, headers with quotes, backslashes and non-UTF-8 values, query strings.
fn corpus() -> Vec<NewEvent> {
    let mut out = Vec::new();
    let bodies: Vec<Vec<u8>> = vec![
        br#"{"event_type":"run_complete","run":{"id":"r1","status":"task_failed"}}"#.to_vec(),
        br#"{"event_type":"RUN_COMPLETE","note":"Zanzibar Quokka"}"#.to_vec(),
        "{\"name\":\"École Crème brûlée 日本語テキスト 🎉 ok\"}"
            .as_bytes()
            .to_vec(),
        "{\"name\":\"école CRÈME BRÛLÉE\"}".as_bytes().to_vec(),
        b"binary\x00zanzibar after a nul \xff\xfe quokka".to_vec(),
        b"\xc3zan\xe2\x82zibar \x80\x80 lone continuation \xf0\x9f".to_vec(),
        gzip(r#"{"hidden":"zanzibar in gzip"}"#),
        b"plain text: path-like /cyberdesk/hooks and 100% of a_b\\c".to_vec(),
        Vec::new(),
        b"say \"quoted phrase\" here, with a tab\tand caf\xc3\xa9".to_vec(),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let path = ["/cyberdesk", "/shopify/orders", "/café/ü", "/a_b%c"][i % 4];
        let mut e = event(path, &body);
        e.query = ["", "token=zanzibar&x=1", "q=%C3%A9cole", "a=1&b=\"two\""][i % 4].into();
        let mut headers = vec![
            ("Content-Type".into(), b"application/json".to_vec()),
            ("X-Note".into(), format!("say \"hi\" {i}").into_bytes()),
        ];
        match i % 3 {
            0 => headers.push(("X-Path".into(), b"C:\\hooks\\zanzibar".to_vec())),
            1 => headers.push(("X-Bin".into(), vec![0xff, b'z', b'a', b'n'])),
            _ => headers.push(("User-Agent".into(), "Svix-Webhooks/1.24 ünïcode".into())),
        }
        e.headers = Headers::from(headers);
        e.method = if i % 2 == 0 { "POST" } else { "PUT" }.into();
        e.extracted.event_type = Some(if i < 5 { "run_complete" } else { "order" }.into());
        e.verification = verdict(if i % 3 == 0 {
            Status::Valid
        } else {
            Status::Unsigned
        });
        out.push(e);
    }
    out
}

/// Searches to compare: free words, phrases (words with spaces), short words (scanned), and
/// filters combined.
fn filters() -> Vec<EventFilter> {
    let words: &[&[&str]] = &[
        &["zanzibar"],
        &["ZANZIBAR"],
        &["zanzibar", "quokka"],
        &["run_complete"],
        &["Zanzibar Quokka"],
        &["quoted phrase"],
        &["say \"hi\""],
        &["\"hi\" 3"],
        &["C:\\hooks"],
        &["école"],
        &["ÉCOLE"],
        &["crème"],
        &["日本語"],
        &["🎉 ok"],
        &["café"],
        &["%C3%A9cole"],
        &["token=zan"],
        &["100%"],
        &["a_b"],
        &["a_b\\c"],
        &["/shopify/ord"],
        &["ünïcode"],
        &["after a nul"],
        &["zibar"],
        &["\u{fffd}zan"],
        &["\u{80}\u{80} lone"],
        &["in gzip"],
        &["tab\tand"],
        &["ok"],
        &["zanzibar", "ok"],
        &["no such word anywhere"],
        &["application/json"],
        &["x-note"],
        &["   "],
    ];
    let mut out = Vec::new();
    for w in words {
        let text: Vec<String> = w.iter().map(|s| (*s).to_owned()).collect();
        out.push(EventFilter {
            text: text.clone(),
            ..EventFilter::default()
        });
        out.push(EventFilter {
            text: text.clone(),
            event_type: Some("run_complete".into()),
            ..EventFilter::default()
        });
        out.push(EventFilter {
            text,
            method: Some("PUT".into()),
            verification: Some("unsigned".into()),
            path_prefix: Some("/shopify".into()),
            ..EventFilter::default()
        });
    }
    out
}

/// Every id `filter` finds, walking pages of `limit` (small ones cross the index's reach).
async fn walk_by(store: &Store, filter: &EventFilter, by_scan: bool, limit: u32) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut before = None;
    for _ in 0..1000 {
        let q = ListQuery {
            filter: filter.clone(),
            limit,
            before,
        };
        let page = if by_scan {
            store.list_by_scan(q).await
        } else {
            store.list(q).await
        }
        .expect("list");
        ids.extend(page.events.iter().map(|e| e.id));
        match page.next_before {
            Some(b) => before = Some(b),
            None => return ids,
        }
    }
    panic!("more than 1000 pages");
}

/// Every id `filter` finds, walking pages of 2.
async fn walk(store: &Store, filter: &EventFilter, by_scan: bool) -> Vec<i64> {
    walk_by(store, filter, by_scan, 2).await
}

/// Waits until the index covers every stored event.
async fn indexed(store: &Store) -> IndexProgress {
    for _ in 0..500 {
        let p = store.index_progress().await.expect("progress");
        if p.indexed == p.total {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the index never caught up");
}

/// Asserts that every search finds through the index what the scan finds, in order.
async fn assert_index_agrees(store: &Store) {
    let mut found_any = 0;
    for f in filters() {
        let scan = walk(store, &f, true).await;
        let index = walk(store, &f, false).await;
        assert_eq!(index, scan, "search {:?}", f);
        found_any += usize::from(!scan.is_empty());
    }
    assert!(found_any > 40, "the searches find something ({found_any})");
}

/// Takes the index back to cover only the events up to `upto`, as if the indexer had got no
/// further (it resumes after the next stored event).
async fn index_only_upto(store: &Store, upto: i64) {
    store
        .write(0, move |ctx| {
            ctx.conn
                .execute("DELETE FROM events_fts WHERE rowid > ?1", [upto])?;
            ctx.conn
                .execute("UPDATE events_fts_progress SET upto = ?1", [upto])?;
            Ok(())
        })
        .await
        .expect("roll the index back");
}

/// The ids the index holds.
async fn index_ids(store: &Store) -> Vec<i64> {
    store
        .read(|c| {
            let mut stmt = c.prepare("SELECT rowid FROM events_fts ORDER BY rowid")?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
        .await
        .expect("index rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_and_scan_find_the_same_events_before_during_and_after_indexing() {
    let store = super::mem();
    for e in corpus().into_iter().chain(corpus()) {
        store.insert_event(e).await.expect("insert");
    }
    let done = indexed(&store).await;
    assert_eq!(
        done,
        IndexProgress {
            indexed: 20,
            total: 20
        }
    );
    assert_eq!(index_ids(&store).await, (1..=20).collect::<Vec<_>>());
    assert_index_agrees(&store).await;

    // Half indexed: the rest is scanned, and pages run on across the index's reach.
    index_only_upto(&store, 7).await;
    let half = store.index_progress().await.expect("progress");
    assert_eq!(
        half,
        IndexProgress {
            indexed: 7,
            total: 20
        }
    );
    assert_index_agrees(&store).await;

    // Nothing indexed.
    index_only_upto(&store, 0).await;
    assert_index_agrees(&store).await;

    // The next stored event wakes the indexer, which catches up on everything.
    store
        .insert_event(event("/late", b"zanzibar late"))
        .await
        .expect("insert");
    assert_eq!(indexed(&store).await.total, 21);
    assert_eq!(index_ids(&store).await.len(), 21);
    assert_index_agrees(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_and_deletes_take_events_out_of_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.db");
    let path = path.to_str().expect("utf-8");
    let keep = Retention {
        max_events: 5,
        max_age: None,
    };
    let store = Store::open(path, keep).expect("open");
    for i in 0..12 {
        let body = format!("{{\"n\":\"needle-{i}\"}}");
        store
            .insert_event(event("/r", body.as_bytes()))
            .await
            .expect("insert");
        indexed(&store).await;
    }
    assert_eq!(index_ids(&store).await, (8..=12).collect::<Vec<_>>());
    let needle = |w: &str| EventFilter {
        text: vec![w.to_owned()],
        ..EventFilter::default()
    };
    assert!(walk(&store, &needle("needle-3"), false).await.is_empty());
    assert_eq!(
        walk(&store, &needle("needle-"), false).await,
        vec![12, 11, 10, 9, 8]
    );

    assert!(store.delete(10).await.expect("delete"));
    assert_eq!(index_ids(&store).await, vec![8, 9, 11, 12]);
    assert_eq!(
        walk(&store, &needle("needle-"), false).await,
        vec![12, 11, 9, 8]
    );

    assert_eq!(store.delete_all().await.expect("delete all"), 4);
    assert!(index_ids(&store).await.is_empty());
    assert_eq!(rows_in(&store, "events").await, 0);
    store
        .insert_event(event("/r", b"needle-new"))
        .await
        .expect("insert");
    indexed(&store).await;
    assert_eq!(index_ids(&store).await, vec![13]);
    assert_eq!(walk(&store, &needle("needle-"), false).await, vec![13]);
    drop(store);

    // Pruning by age goes through the same trigger.
    let aged = Retention {
        max_events: 0,
        max_age: Some(Duration::from_secs(3600)),
    };
    let store = Store::open(path, aged).expect("reopen");
    let mut old = event("/old", b"needle-old");
    old.received_at = chrono::Utc::now() - chrono::Duration::hours(2);
    store.insert_event(old).await.expect("insert old");
    store.apply_retention().await.expect("prune");
    indexed(&store).await;
    assert_eq!(index_ids(&store).await, vec![13]);
    assert_eq!(walk(&store, &needle("needle-"), false).await, vec![13]);
}

/// Writes a schema version 6 database (before the index) at `path` holding the corpus `n`
/// times over.
fn version_6_database(path: &str, n: usize) {
    let conn = Connection::open(path).expect("sqlite");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 <= 6) {
        conn.execute_batch(sql).expect("migration");
        conn.pragma_update(None, "user_version", version)
            .expect("version");
    }
    let verdict = serde_json::to_string(&verdict(Status::Unsigned)).expect("json");
    let tx = conn.unchecked_transaction().expect("tx");
    for _ in 0..n {
        for e in corpus() {
            tx.execute(
                "INSERT INTO events (received_at, method, path, query, headers, source, size, \
                 event_type, verify_status, verification, body) \
                 VALUES (1764547200000, ?1, ?2, ?3, ?4, 'direct', ?5, ?6, 'unsigned', ?7, ?8)",
                params![
                    e.method,
                    e.path,
                    e.query,
                    super::super::codec::encode_headers(&e.headers),
                    e.body.len() as i64,
                    e.extracted.event_type,
                    verdict,
                    e.body.to_vec(),
                ],
            )
            .expect("event");
        }
    }
    tx.commit().expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_6_database_is_indexed_in_the_background_and_searched_completely_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v6.db");
    let path = path.to_str().expect("utf-8");
    version_6_database(path, 60);

    // The migration creates the index empty: nothing of the 600 events is indexed yet.
    {
        let target = super::super::conn::Target::new(path).expect("target");
        let conn = super::super::conn::open_writer(&target, path).expect("migrate");
        let p = super::super::search::progress(&conn).expect("progress");
        assert_eq!(
            p,
            IndexProgress {
                indexed: 0,
                total: 600
            }
        );
    }
    let store = Store::open(path, KEEP_ALL).expect("upgrade");
    let schema: i64 = store
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .await
        .expect("version");
    assert_eq!(schema, MIGRATIONS.last().expect("migrations").0);
    // Searches while the indexer works through the 600 events answer completely, whatever it
    // got to; a capture meanwhile is stored and found.
    let word = EventFilter {
        text: vec!["zanzibar".into()],
        ..EventFilter::default()
    };
    let id = store
        .insert_event(event("/new", b"zanzibar arrives during the upgrade"))
        .await
        .expect("capture during indexing")
        .id;
    let all_zanzibar = walk_by(&store, &word, true, 50).await;
    assert!(all_zanzibar.len() > 100, "{}", all_zanzibar.len());
    assert_eq!(all_zanzibar.first(), Some(&id));
    for _ in 0..1000 {
        let p = store.index_progress().await.expect("progress");
        assert_eq!(walk_by(&store, &word, false, 50).await, all_zanzibar);
        if p.indexed == p.total {
            break;
        }
    }
    assert_eq!(indexed(&store).await.total, 601);
    assert_eq!(index_ids(&store).await.len(), 601);
}
