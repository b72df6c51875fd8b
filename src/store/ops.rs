//! The writes themselves, run by the writer thread inside a batch's transaction.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::StoreError;
use super::codec::{encode_headers, rfc3339_ms, to_ms};
use super::model::{
    Attempt, AttemptOutcome, EventSummary, NewAttempt, NewEvent, RunSummary, StoredKey,
    VerificationSummary,
};
use super::rows::{attempt_by_id, summary_by_id};
use super::writer::Ctx;
use crate::verify::Verdict;

/// The verdict as stored: its JSON, whole.
fn verdict_json(v: &Verdict) -> String {
    serde_json::to_string(v).expect("a verdict is plain data and always serializes")
}

/// The earliest event with message id `?1`.
pub(crate) const FIRST_WITH_MSG_ID: &str = "SELECT MIN(id) FROM events WHERE msg_id = ?1";

/// Stores a captured event with its body; flags it as a duplicate of the earliest stored
/// event with the same message id (earlier jobs of the same batch included). Its only write is
/// one INSERT: the writer runs it without a savepoint, counting on that.
pub(crate) fn insert_event(ctx: &mut Ctx<'_>, e: NewEvent) -> Result<EventSummary, StoreError> {
    let conn = ctx.conn;
    let duplicate_of: Option<i64> = match &e.msg_id {
        Some(msg_id) => conn
            .prepare_cached(FIRST_WITH_MSG_ID)?
            .query_row([msg_id], |r| r.get(0))?,
        None => None,
    };
    let received_at = to_ms(e.received_at);
    let x = &e.extracted;
    conn.prepare_cached(
        "INSERT INTO events (received_at, method, path, query, headers, remote_addr, source, \
         content_type, size, msg_id, event_type, event_id, run_id, run_status, \
         run_workflow_id, run_session_id, verify_status, verify_reason, verification, \
         duplicate_of, body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        received_at,
        e.method,
        e.path,
        e.query,
        encode_headers(&e.headers),
        e.remote_addr,
        e.source.as_str(),
        e.content_type,
        e.body.len() as i64,
        e.msg_id,
        x.event_type,
        x.event_id,
        x.run_id,
        x.run_status,
        x.run_workflow_id,
        x.run_session_id,
        e.verification.status.as_str(),
        e.verification.reason.map(|r| r.as_str()),
        verdict_json(&e.verification),
        duplicate_of,
        &e.body[..],
    ])?;
    let id = conn.last_insert_rowid();
    ctx.count += 1;
    ctx.inserted = true;
    // The release flag is what the session trigger (migration 0010) read from the body: one
    // reading of it, the one every later summary shows.
    let release_session_after: Option<bool> = match (&x.run_session_id, &x.run_id) {
        (Some(_), Some(_)) => conn
            .prepare_cached("SELECT release_after FROM session_runs WHERE event_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten(),
        _ => None,
    };
    let run = (x.run_id.is_some() || x.run_status.is_some()).then(|| RunSummary {
        id: x.run_id.clone(),
        status: x.run_status.clone(),
        session_id: x.run_session_id.clone(),
        release_session_after,
    });
    Ok(EventSummary {
        id,
        received_at: rfc3339_ms(received_at),
        size: e.body.len() as i64,
        verification: VerificationSummary {
            status: e.verification.status,
            reason: e.verification.reason,
            skew_s: e.verification.skew_s,
            provider: e.verification.provider.clone(),
        },
        duplicate_of,
        last_attempt: None,
        run,
        drift: None,
        method: e.method,
        path: e.path,
        query: e.query,
        source: e.source,
        content_type: e.content_type,
        msg_id: e.msg_id,
        event_type: e.extracted.event_type,
    })
}

/// Deletes one event with its body and attempts; whether it existed.
pub(crate) fn delete_event(ctx: &mut Ctx<'_>, id: i64) -> Result<bool, StoreError> {
    let n = ctx.conn.execute("DELETE FROM events WHERE id = ?1", [id])?;
    ctx.count = ctx.count.saturating_sub(n as u64);
    Ok(n > 0)
}

/// Deletes every event (with its body) and attempt; how many events there were.
pub(crate) fn delete_all(ctx: &mut Ctx<'_>) -> Result<u64, StoreError> {
    ctx.conn.execute_batch("DELETE FROM attempts;")?;
    // The index is emptied at once; with its reach set to 0 meanwhile, the delete trigger does
    // not take out each event by itself. The reach then goes back: new ids are above it.
    let upto = super::search::indexed_upto(ctx.conn)?;
    ctx.conn.execute_batch(
        "INSERT INTO events_fts (events_fts) VALUES ('delete-all');
         UPDATE events_fts_progress SET upto = 0;",
    )?;
    let n = ctx.conn.execute("DELETE FROM events", [])?;
    ctx.conn
        .execute("UPDATE events_fts_progress SET upto = ?1", [upto])?;
    ctx.count = 0;
    Ok(n as u64)
}

/// Replaces an event's verdict; its new summary, or `None` if there is no such event.
pub(crate) fn set_verification(
    ctx: &mut Ctx<'_>,
    id: i64,
    v: &Verdict,
) -> Result<Option<EventSummary>, StoreError> {
    let n = ctx.conn.execute(
        "UPDATE events SET verify_status = ?1, verify_reason = ?2, verification = ?3 \
         WHERE id = ?4",
        params![
            v.status.as_str(),
            v.reason.map(|r| r.as_str()),
            verdict_json(v),
            id
        ],
    )?;
    if n == 0 {
        return Ok(None);
    }
    Ok(summary_by_id(ctx.conn, id)?)
}

/// Records a delivery try that is starting.
pub(crate) fn insert_attempt(ctx: &mut Ctx<'_>, a: NewAttempt) -> Result<Attempt, StoreError> {
    insert(ctx, a, None)
}

/// Records a forward that the rule `rule` kept from `a.target`: finished as written, since
/// nothing was sent.
pub(crate) fn insert_skipped(
    ctx: &mut Ctx<'_>,
    a: NewAttempt,
    rule: String,
) -> Result<Attempt, StoreError> {
    insert(ctx, a, Some(rule))
}

/// Records an attempt of an existing event: a try starting, or (with `skipped`) a forward a
/// rule kept back.
fn insert(
    ctx: &mut Ctx<'_>,
    a: NewAttempt,
    skipped: Option<String>,
) -> Result<Attempt, StoreError> {
    let conn = ctx.conn;
    let exists = conn
        .prepare_cached("SELECT 1 FROM events WHERE id = ?1")?
        .exists([a.event_id])?;
    if !exists {
        return Err(StoreError::NotFound {
            what: "event",
            id: a.event_id,
        });
    }
    let started_at = to_ms(a.started_at);
    conn.prepare_cached(
        "INSERT INTO attempts (event_id, kind, target, mode, started_at, request_headers, \
         skipped, sent_method, sent_url, sent_body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        a.event_id,
        a.kind.as_str(),
        a.target,
        a.mode,
        started_at,
        encode_headers(&a.request_headers),
        skipped,
        a.sent.as_ref().map(|s| s.method.as_str()),
        a.sent.as_ref().map(|s| s.url.as_str()),
        a.sent.as_ref().map(|s| s.body.as_ref()),
    ])?;
    Ok(Attempt {
        id: conn.last_insert_rowid(),
        event_id: a.event_id,
        kind: a.kind,
        target: a.target,
        mode: a.mode,
        started_at: rfc3339_ms(started_at),
        request_headers: a.request_headers,
        outcome: AttemptOutcome::default(),
        skipped,
        sent: a.sent,
    })
}

/// Records how a delivery try ended; the attempt as now stored.
pub(crate) fn finish_attempt(
    ctx: &mut Ctx<'_>,
    id: i64,
    o: AttemptOutcome,
) -> Result<Attempt, StoreError> {
    // Cached: every proxied webhook ends an attempt, and parsing this each time showed in
    // profiles of the relay agent.
    let n = ctx
        .conn
        .prepare_cached(
            "UPDATE attempts SET status = ?1, response_headers = ?2, response_body = ?3, \
         duration_ms = ?4, error = ?5, next_retry_at = ?6 WHERE id = ?7",
        )?
        .execute(params![
            o.status,
            encode_headers(&o.response_headers),
            &o.response_body[..],
            o.duration_ms,
            o.error,
            o.next_retry_at.map(to_ms),
            id
        ])?;
    let not_found = StoreError::NotFound {
        what: "attempt",
        id,
    };
    if n == 0 {
        return Err(not_found);
    }
    attempt_by_id(ctx.conn, id)?.ok_or(not_found)
}

/// Stores a signing key.
pub(crate) fn add_key(
    ctx: &mut Ctx<'_>,
    route: String,
    label: String,
    secret: String,
) -> Result<StoredKey, StoreError> {
    let created_at = to_ms(Utc::now());
    ctx.conn.execute(
        "INSERT INTO keys (route, label, secret, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![route, label, secret, created_at],
    )?;
    Ok(StoredKey {
        id: ctx.conn.last_insert_rowid(),
        route,
        label,
        secret,
        created_at: rfc3339_ms(created_at),
    })
}

/// Deletes a signing key; whether it existed.
pub(crate) fn delete_key(ctx: &mut Ctx<'_>, id: i64) -> Result<bool, StoreError> {
    Ok(ctx.conn.execute("DELETE FROM keys WHERE id = ?1", [id])? > 0)
}

/// Sets one meta value.
pub(crate) fn set_meta(ctx: &mut Ctx<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    // Cached: the relay agent sets its last sequence with every batch it stores.
    ctx.conn
        .prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute([key, value])?;
    Ok(())
}
