//! Disk trouble: a full disk or a database file that can no longer be written makes capture
//! answer 503 (so the sender retries) and `/api/status` say why, loses nothing stored before,
//! and capture recovers by itself once the trouble is gone; a database file that is not a usable
//! hookpit database stops hookpit at start with a clear message and is left untouched, never
//! replaced by a new empty one. The real trouble (an immutable file, a full tmpfs) needs root
//! and a cooperative file system; without them those checks say loudly that they were skipped.

mod common;

use std::time::Duration;

use common::child::run_to_end;
use common::disk::{Immutable, Tmpfs};
use common::*;

/// A capture POST; returns the status and the answer.
async fn post(t: &TestApp, body: &[u8]) -> RawResponse {
    let head = format!(
        "POST /disk HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        t.capture,
        body.len()
    );
    raw(t.capture, head.as_bytes(), body).await
}

#[tokio::test]
async fn a_full_disk_gets_503_and_a_reason_then_capture_recovers_by_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let t = spawn_app(&["--db", db.to_str().expect("utf-8")]).await;
    let before = capture_post(&t, "/disk", &[], b"{\"n\":0}").await;
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], true, "{status}");

    // The disk fills up: a webhook that needs new pages cannot be stored.
    t.app
        .store
        .simulate_full_disk(Some(0))
        .await
        .expect("cap the file");
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(256 * 1024));
    let r = post(&t, big.as_bytes()).await;
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("retry-after"),
        Some("1"),
        "the sender is told to retry"
    );
    assert!(
        r.json()["error"]
            .as_str()
            .expect("reason")
            .contains("please retry"),
        "{}",
        r.json()
    );
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], false);
    let why = status["storage"]["error"].as_str().expect("why");
    assert!(why.contains("full"), "the UI can say why: {why}");
    assert_eq!(status["events"], 1, "nothing partial was stored");

    // Space returns: the next webhook is stored without a restart, and the status clears.
    t.app
        .store
        .simulate_full_disk(None)
        .await
        .expect("lift the cap");
    let r = post(&t, big.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_i64().expect("id");
    assert!(id > before);
    let raw = ui_request(&t, "GET", &format!("/api/events/{id}/raw"), &[], b"").await;
    assert_eq!(raw.body, big.as_bytes());
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], true);
    assert_eq!(status["storage"]["error"], serde_json::Value::Null);
    assert_eq!(status["events"], 2);
    t.stop().await;
}

/// The raw body of event `id`.
async fn body_of(t: &TestApp, id: i64) -> Vec<u8> {
    ui_request(t, "GET", &format!("/api/events/{id}/raw"), &[], b"")
        .await
        .body
}

/// Checks a 503 for a webhook that could not be stored; returns its reason.
fn refused(r: &RawResponse) -> String {
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("retry-after"), Some("1"), "the sender retries");
    let reason = r.json()["error"].as_str().expect("reason").to_string();
    assert!(reason.contains("please retry"), "{reason}");
    reason
}

#[tokio::test]
async fn a_database_file_that_becomes_unwritable_gets_503_then_capture_recovers_by_itself() {
    // Under target/, not /tmp: `chattr +i` needs a file system that has it (ext4, xfs, btrfs),
    // and /tmp is often a tmpfs.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let wal = dir.path().join("hookpit.db-wal");
    let flags = ["--db", db.to_str().expect("utf-8")];
    let t = spawn_app(&flags).await;
    let (one, two) = (b"{\"n\":1}".as_slice(), b"{\"n\":2}".as_slice());
    let a = capture_post(&t, "/disk", &[], one).await;
    let b = capture_post(&t, "/disk", &[], two).await;
    assert!(wal.exists(), "commits go to {}", wal.display());

    // The files can no longer be written, as after a change of owner or a read-only remount
    // (root ignores permissions, so the immutable attribute stands in). Not -shm: it is mapped
    // into memory, and a write to an immutable mapping is a SIGBUS, not an error.
    let frozen = match Immutable::set(&[&db, &wal]) {
        Ok(frozen) => frozen,
        Err(why) => {
            skipped("disk::a_database_file_that_becomes_unwritable", &why);
            return t.stop().await;
        }
    };
    let reason = refused(&post(&t, b"{\"n\":3}").await);
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], false, "{status}");
    let why = status["storage"]["error"]
        .as_str()
        .expect("the UI can say why");
    assert!(!why.is_empty() && reason.contains(why), "{why} / {reason}");
    // A burst gets the same answer: nothing is acknowledged that was not stored.
    let burst = (0..5).map(|i| {
        let t = &t;
        async move { post(t, format!("{{\"burst\":{i}}}").as_bytes()).await }
    });
    for r in futures_util::future::join_all(burst).await {
        refused(&r);
    }
    // What was stored before is all there.
    assert_eq!(status["events"], 2);
    assert_eq!(body_of(&t, a).await, one);
    assert_eq!(body_of(&t, b).await, two);

    // Writable again: the next webhook is stored without a restart, and the status clears.
    drop(frozen);
    let r = post(&t, b"{\"n\":4}").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let c = r.json()["id"].as_i64().expect("id");
    assert_eq!(body_of(&t, c).await, b"{\"n\":4}");
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], true, "{status}");
    assert_eq!(status["storage"]["error"], serde_json::Value::Null);
    assert_eq!(status["events"], 3, "none of the refused ones");
    t.stop().await;

    // And all of it is on disk: a restart finds the three, byte for byte.
    let t = spawn_app(&flags).await;
    assert_eq!(get_json(&t, "/api/status").await["events"], 3);
    assert_eq!(body_of(&t, a).await, one);
    assert_eq!(body_of(&t, b).await, two);
    assert_eq!(body_of(&t, c).await, b"{\"n\":4}");
    t.stop().await;
}

#[tokio::test]
async fn a_really_full_file_system_gets_503_then_capture_recovers_when_space_returns() {
    let fs = match Tmpfs::mount(8) {
        Ok(fs) => fs,
        Err(why) => return skipped("disk::a_really_full_file_system", &why),
    };
    let db = fs.dir.join("hookpit.db");
    let t = spawn_app(&["--db", db.to_str().expect("utf-8")]).await;
    let a = capture_post(&t, "/disk", &[], b"{\"n\":1}").await;
    let filler = fs.fill("filler");
    // Larger than anything the write-ahead log could reuse, so it needs new space.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(1 << 20));
    refused(&post(&t, big.as_bytes()).await);
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], false, "{status}");
    let why = status["storage"]["error"].as_str().expect("why");
    assert!(why.contains("full"), "the UI can say why: {why}");
    assert_eq!(status["events"], 1, "nothing partial was stored");
    assert_eq!(body_of(&t, a).await, b"{\"n\":1}");

    // Space returns: the same webhook is stored without a restart.
    std::fs::remove_file(&filler).expect("free the space");
    let r = post(&t, big.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(body_of(&t, id).await, big.as_bytes());
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], true, "{status}");
    assert_eq!(status["events"], 2);
    t.stop().await;
    drop(fs);
}

/// Runs `hookpit --db PATH` on fresh ports and expects it to refuse to start.
async fn refuses(dir: &std::path::Path, db: &std::path::Path) -> String {
    let args: Vec<String> = [
        "--db",
        db.to_str().expect("utf-8"),
        "--listen",
        &common::child::free_addr().to_string(),
        "--ui",
        &common::child::free_addr().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, stderr) = run_to_end(dir, &args, Duration::from_secs(20)).await;
    assert!(
        code.is_some_and(|c| c != 0),
        "hookpit started on {}: {code:?}\n{stderr}",
        db.display()
    );
    stderr
}

#[tokio::test]
async fn a_corrupt_database_stops_hookpit_with_a_clear_message_and_is_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");

    // Not a database at all.
    let garbage = dir.path().join("garbage.db");
    let bytes: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&garbage, &bytes).expect("write");
    let stderr = refuses(dir.path(), &garbage).await;
    assert!(
        stderr.contains("is not a usable hookpit database"),
        "{stderr}"
    );
    assert!(stderr.contains("not an SQLite database"), "{stderr}");
    assert_eq!(
        std::fs::read(&garbage).expect("read"),
        bytes,
        "left untouched"
    );

    // Another program's SQLite database.
    let other = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&other).expect("sqlite");
        c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .expect("schema");
    }
    let stderr = refuses(dir.path(), &other).await;
    assert!(stderr.contains("another program"), "{stderr}");

    // A real hookpit database whose pages were damaged: refused, not silently half-read.
    let damaged = dir.path().join("damaged.db");
    {
        let t = spawn_app(&["--db", damaged.to_str().expect("utf-8")]).await;
        for i in 0..40 {
            let body = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "y".repeat(2000));
            capture_post(&t, "/d", &[], body.as_bytes()).await;
        }
        t.stop().await;
    }
    // Move everything from the WAL into the main file first: whether closing hookpit already did
    // depends on when its last connection went away.
    {
        let c = rusqlite::Connection::open(&damaged).expect("reopen");
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }
    let mut file = std::fs::read(&damaged).expect("read");
    assert!(file.len() > 64 * 1024, "a database of several pages");
    let page = 4096;
    // Every page after the schema page turns to noise (the header and schema stay valid).
    for (i, b) in file.iter_mut().enumerate().skip(2 * page) {
        *b = (i * 31 % 253) as u8;
    }
    std::fs::write(&damaged, &file).expect("damage");
    let stderr = refuses(dir.path(), &damaged).await;
    assert!(
        stderr.contains("malformed")
            || stderr.contains("corrupt")
            || stderr.contains("not a usable"),
        "a clear reason: {stderr}"
    );
    assert_eq!(
        std::fs::read(&damaged).expect("read"),
        file,
        "left as it was"
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_written_at_start_stops_hookpit_with_a_clear_message() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let t = spawn_app(&["--db", db.to_str().expect("utf-8")]).await;
    capture_post(&t, "/disk", &[], b"{}").await;
    t.stop().await;
    {
        let c = rusqlite::Connection::open(&db).expect("reopen");
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }
    let before = std::fs::read(&db).expect("read");
    let _frozen = match Immutable::set(&[&db]) {
        Ok(frozen) => frozen,
        Err(why) => return skipped("disk::a_database_that_cannot_be_written_at_start", &why),
    };
    let stderr = refuses(dir.path(), &db).await;
    assert!(
        stderr.contains("read-only") || stderr.contains("cannot be written"),
        "a clear reason: {stderr}"
    );
    assert_eq!(std::fs::read(&db).expect("read"), before, "left as it was");
}

#[tokio::test]
async fn a_database_deleted_while_hookpit_runs_gets_503_not_a_silent_loss() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hookpit.db");
    let t = spawn_app(&["--db", db.to_str().expect("utf-8")]).await;
    capture_post(&t, "/disk", &[], b"{\"n\":0}").await;

    // Someone removes the file (a cleanup script, `rm` of the wrong directory). SQLite would
    // go on writing into the unlinked file, and a restart would find none of it.
    std::fs::remove_file(&db).expect("remove the database");
    let r = post(&t, b"{\"n\":1}").await;
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("retry-after"), Some("1"));
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["storage"]["ok"], false, "{status}");
    let why = status["storage"]["error"].as_str().expect("why");
    assert!(
        why.contains("deleted or replaced"),
        "the UI can say why: {why}"
    );
    t.stop().await;
}
