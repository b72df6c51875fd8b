//! Rows into model values, and the few queries both the writer and the readers run.

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Row};

use super::codec::{bad_column, decode_headers, from_ms, parse_wire, rfc3339_ms};
use super::model::{
    Attempt, AttemptKind, AttemptOutcome, AttemptSummary, EventSummary, Headers, RunSummary, Sent,
    Source, VerificationSummary,
};

/// The summary columns, in the order [`summary`] reads them; `a` is the newest attempt.
pub(crate) const SUMMARY_COLUMNS: &str = "e.id, e.received_at, e.method, e.path, e.query, \
     e.source, e.content_type, e.size, e.msg_id, e.event_type, e.verify_status, \
     e.verify_reason, e.duplicate_of, e.run_id, e.run_status, a.id, a.status, a.error, \
     a.duration_ms, json_extract(e.verification, '$.skew_s'), \
     COALESCE(json_extract(e.verification, '$.provider'), \
     CASE json_extract(e.verification, '$.scheme') WHEN 'standard-webhooks' THEN 'standard' \
     WHEN 'stripe' THEN 'stripe' WHEN 'github' THEN 'github' END), d.drift, \
     e.run_session_id, sr.release_after";

/// The provider a stored verdict names; verdicts stored before providers had only a `scheme`
/// naming the sender (`standard-webhooks`, `stripe`, `github`).
pub(crate) const PROVIDER_OF: &str = "COALESCE(json_extract(e.verification, '$.provider'), \
     CASE json_extract(e.verification, '$.scheme') WHEN 'standard-webhooks' THEN 'standard' \
     WHEN 'stripe' THEN 'stripe' WHEN 'github' THEN 'github' END)";

/// How many columns [`SUMMARY_COLUMNS`] has; extra columns of a query follow them.
pub(crate) const SUMMARY_LEN: usize = 24;

/// The joins that add each event's newest attempt, if any (a forward a rule skipped sent
/// nothing, so it is no delivery's outcome), its drift, if the schema learner found one, and
/// its row of a Cyberdesk session (migration 0010), if it has one.
/// A macro so that both constants below are one literal, spelled once.
macro_rules! last_attempt_join {
    () => {
        "LEFT JOIN attempts a \
         ON a.id = (SELECT MAX(x.id) FROM attempts x WHERE x.event_id = e.id AND x.skipped IS NULL) \
         LEFT JOIN event_drift d ON d.event_id = e.id \
         LEFT JOIN session_runs sr ON sr.event_id = e.id"
    };
}

/// The tables behind [`SUMMARY_COLUMNS`]: each event with the joins of [`LAST_ATTEMPT_JOIN`].
pub(crate) const SUMMARY_FROM: &str = concat!("FROM events e ", last_attempt_join!());

/// The joins of [`SUMMARY_FROM`], for a query whose rows of `e` come from elsewhere (the text
/// index).
pub(crate) const LAST_ATTEMPT_JOIN: &str = last_attempt_join!();

/// The attempt columns, in the order [`attempt`] reads them.
pub(crate) const ATTEMPT_COLUMNS: &str = "id, event_id, kind, target, mode, started_at, \
     request_headers, status, response_headers, response_body, duration_ms, error, next_retry_at, \
     skipped, sent_method, sent_url, sent_body";

/// Reads a summary from a row selected with [`SUMMARY_COLUMNS`].
pub(crate) fn summary(row: &Row<'_>) -> rusqlite::Result<EventSummary> {
    let source: String = row.get(5)?;
    let status: String = row.get(10)?;
    let reason: Option<String> = row.get(11)?;
    let run_id: Option<String> = row.get(13)?;
    let run_status: Option<String> = row.get(14)?;
    let attempt_id: Option<i64> = row.get(15)?;
    let last_attempt = match attempt_id {
        Some(_) => Some(AttemptSummary {
            status: row.get(16)?,
            error: row.get(17)?,
            duration_ms: row.get(18)?,
        }),
        None => None,
    };
    let drift: Option<String> = row.get(21)?;
    let drift = drift
        .map(|d| serde_json::from_str(&d))
        .transpose()
        .map_err(|e| bad_column(21, e.to_string()))?;
    let session_id: Option<String> = row.get(22)?;
    let release: Option<bool> = row.get(23)?;
    let run = (run_id.is_some() || run_status.is_some()).then_some(RunSummary {
        id: run_id,
        status: run_status,
        session_id,
        release_session_after: release,
    });
    Ok(EventSummary {
        id: row.get(0)?,
        received_at: rfc3339_ms(row.get(1)?),
        method: row.get(2)?,
        path: row.get(3)?,
        query: row.get(4)?,
        source: Source::parse(&source)
            .ok_or_else(|| bad_column(5, format!("unknown source {source:?}")))?,
        content_type: row.get(6)?,
        size: row.get(7)?,
        msg_id: row.get(8)?,
        event_type: row.get(9)?,
        verification: VerificationSummary {
            status: parse_wire(&status).map_err(|e| bad_column(10, e))?,
            reason: reason
                .map(|r| parse_wire(&r))
                .transpose()
                .map_err(|e| bad_column(11, e))?,
            skew_s: row.get(19)?,
            provider: row.get(20)?,
        },
        duplicate_of: row.get(12)?,
        last_attempt,
        run,
        drift,
    })
}

/// Reads headers stored as JSON in column `idx`.
pub(crate) fn headers(row: &Row<'_>, idx: usize) -> rusqlite::Result<Headers> {
    let json: String = row.get(idx)?;
    decode_headers(&json).map_err(|e| bad_column(idx, e))
}

/// Reads an attempt from a row selected with [`ATTEMPT_COLUMNS`].
pub(crate) fn attempt(row: &Row<'_>) -> rusqlite::Result<Attempt> {
    let kind: String = row.get(2)?;
    let next_retry_at: Option<i64> = row.get(12)?;
    Ok(Attempt {
        id: row.get(0)?,
        event_id: row.get(1)?,
        kind: AttemptKind::parse(&kind)
            .ok_or_else(|| bad_column(2, format!("unknown attempt kind {kind:?}")))?,
        target: row.get(3)?,
        mode: row.get(4)?,
        started_at: rfc3339_ms(row.get(5)?),
        request_headers: headers(row, 6)?,
        outcome: AttemptOutcome {
            status: row.get(7)?,
            response_headers: headers(row, 8)?,
            response_body: Bytes::from(row.get::<_, Vec<u8>>(9)?),
            duration_ms: row.get(10)?,
            error: row.get(11)?,
            next_retry_at: next_retry_at.map(from_ms),
        },
        skipped: row.get(13)?,
        sent: match row.get::<_, Option<String>>(14)? {
            Some(method) => Some(Sent {
                method,
                url: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
                body: Bytes::from(row.get::<_, Option<Vec<u8>>>(16)?.unwrap_or_default()),
            }),
            None => None,
        },
    })
}

/// The summary of one event, if it exists.
pub(crate) fn summary_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<EventSummary>> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE e.id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], summary)
        .optional()
}

/// One attempt, if it exists.
pub(crate) fn attempt_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Attempt>> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], attempt)
        .optional()
}

/// Every attempt of one event, oldest first.
pub(crate) fn attempts_of(conn: &Connection, event_id: i64) -> rusqlite::Result<Vec<Attempt>> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE event_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([event_id], attempt)?;
    rows.collect()
}
