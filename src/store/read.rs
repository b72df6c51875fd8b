//! Reads: a small pool of read-only connections, used from `spawn_blocking`, and the queries
//! behind the list, the detail view, attempts, keys and meta.

use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::StoreError;
use super::codec::{bad_column, json_escaped, rfc3339_ms};
use super::conn::{Target, open_reader};
use super::model::{EventFilter, EventSummary, Extracted, ListQuery, Page, StoredEvent, StoredKey};
use super::rows::{self, SUMMARY_COLUMNS, SUMMARY_FROM, SUMMARY_LEN};

/// Idle read connections kept for reuse; more are opened when all are busy.
const MAX_IDLE: usize = 4;

/// Largest page of the event list.
pub(crate) const MAX_LIMIT: u32 = 500;

/// Read connections to one database.
pub(crate) struct Pool {
    /// What every connection opens.
    target: Target,
    /// Idle connections; the lock is held only to take or return one, never while querying.
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// An empty pool for `target`.
    pub(crate) fn new(target: Target) -> Pool {
        Pool {
            target,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on an idle connection, or a new one; call it off the async runtime.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A poisoned lock only means another reader panicked; the idle list is still sound.
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.target)?,
        };
        let out = f(&conn);
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        out
    }
}

/// Escapes `%`, `_` and `\` so `LIKE ... ESCAPE '\'` matches `s` literally.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The WHERE clause and its parameters for `filter` (and ids below `before`, from `from` on),
/// all bound, never inlined.
pub(crate) fn where_clause(
    filter: &EventFilter,
    before: Option<i64>,
    from: Option<i64>,
) -> (String, Vec<Value>) {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut bind = |v: String| {
        params.push(Value::Text(v));
        params.len()
    };
    let exact = [
        ("e.verify_status", &filter.verification),
        ("e.event_type", &filter.event_type),
        ("e.run_status", &filter.run_status),
        ("e.method", &filter.method),
        ("e.source", &filter.source),
        ("e.msg_id", &filter.msg_id),
    ];
    for (column, value) in exact {
        if let Some(v) = value {
            let n = bind(v.clone());
            conds.push(format!("{column} = ?{n}"));
        }
    }
    if let Some(provider) = &filter.provider {
        // The verdict's JSON holds the provider: no column of its own, no migration.
        let n = bind(provider.to_ascii_lowercase());
        conds.push(format!("{} = ?{n}", rows::PROVIDER_OF));
    }
    if let Some(session) = &filter.run_session_id {
        // Through the session rows (migration 0010) and their index: the event table is not
        // scanned for a column most of its rows lack.
        let n = bind(session.clone());
        conds.push(format!(
            "e.id IN (SELECT event_id FROM session_runs WHERE session_id = ?{n})"
        ));
    }
    if let Some(prefix) = &filter.path_prefix {
        // Paths are case-sensitive, so not LIKE (which folds ASCII case): compare the prefix.
        let n = bind(prefix.clone());
        conds.push(format!("substr(e.path, 1, length(?{n})) = ?{n}"));
    }
    for word in filter
        .text
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
    {
        let plain = bind(format!("%{}%", like_escape(word)));
        let json = bind(format!("%{}%", like_escape(&json_escaped(word))));
        conds.push(format!(
            "(e.path LIKE ?{plain} ESCAPE '\\' OR e.query LIKE ?{plain} ESCAPE '\\' \
             OR e.headers LIKE ?{json} ESCAPE '\\' \
             OR CAST(e.body AS TEXT) LIKE ?{plain} ESCAPE '\\')"
        ));
    }
    if filter.drift {
        conds.push("EXISTS (SELECT 1 FROM event_drift x WHERE x.event_id = e.id)".to_string());
    }
    if let Some(run_id) = &filter.run_id {
        conds.push(super::runs::member_condition(run_id, &mut params));
    }
    if let Some(before) = before {
        params.push(Value::Integer(before));
        conds.push(format!("e.id < ?{}", params.len()));
    }
    if let Some(from) = from {
        params.push(Value::Integer(from));
        conds.push(format!("e.id >= ?{}", params.len()));
    }
    if conds.is_empty() {
        return (String::new(), params);
    }
    (format!("WHERE {}", conds.join(" AND ")), params)
}

/// One page of summaries, newest first.
pub(crate) fn list(conn: &Connection, q: &ListQuery) -> Result<Page, StoreError> {
    let limit = q.limit.clamp(1, MAX_LIMIT);
    Ok(page(newest(conn, &q.filter, q.before, None, limit)?, limit))
}

/// Up to `limit + 1` summaries matching `filter`, newest first, with ids below `before` and
/// from `from` on (the extra one tells that there is more).
pub(crate) fn newest(
    conn: &Connection,
    filter: &EventFilter,
    before: Option<i64>,
    from: Option<i64>,
    limit: u32,
) -> Result<Vec<EventSummary>, StoreError> {
    let (filter, mut params) = where_clause(filter, before, from);
    params.push(Value::Integer(i64::from(limit) + 1));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} {filter} ORDER BY e.id DESC LIMIT ?{}",
        params.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let events = stmt
        .query_map(params_from_iter(params), rows::summary)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(events)
}

/// The oldest summary matching `filter` with an id above `after`: what a waiter gets, so that
/// waiting again after its id walks forward without skipping one.
pub(crate) fn oldest_after(
    conn: &Connection,
    filter: &EventFilter,
    after: i64,
) -> Result<Option<EventSummary>, StoreError> {
    let (filter, params) = where_clause(filter, None, Some(after.saturating_add(1)));
    let sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} {filter} ORDER BY e.id ASC LIMIT 1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query_map(params_from_iter(params), rows::summary)?;
    Ok(rows.next().transpose()?)
}

/// The page made of `events` (newest first, up to `limit + 1` of them).
pub(crate) fn page(mut events: Vec<EventSummary>, limit: u32) -> Page {
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_before = if more {
        events.last().map(|e| e.id)
    } else {
        None
    };
    Page {
        events,
        next_before,
    }
}

/// The lowest and highest stored event ids, if any.
pub(crate) fn id_span(conn: &Connection) -> Result<Option<(i64, i64)>, StoreError> {
    let span: (Option<i64>, Option<i64>) =
        conn.query_row("SELECT MIN(id), MAX(id) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(span.0.zip(span.1))
}

/// Everything about one event, read in one snapshot.
pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<StoredEvent>, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, e.headers, e.remote_addr, e.event_id, e.run_workflow_id, \
         e.run_session_id, e.verification, e.body {SUMMARY_FROM} WHERE e.id = ?1"
    );
    let event = tx
        .prepare_cached(&sql)?
        .query_row([id], |row| {
            let summary = rows::summary(row)?;
            let n = SUMMARY_LEN;
            let verdict: String = row.get(n + 5)?;
            Ok(StoredEvent {
                headers: rows::headers(row, n)?,
                remote_addr: row.get(n + 1)?,
                extracted: Extracted {
                    event_type: summary.event_type.clone(),
                    event_id: row.get(n + 2)?,
                    run_id: summary.run.as_ref().and_then(|r| r.id.clone()),
                    run_status: summary.run.as_ref().and_then(|r| r.status.clone()),
                    run_workflow_id: row.get(n + 3)?,
                    run_session_id: row.get(n + 4)?,
                },
                verification: serde_json::from_str(&verdict)
                    .map_err(|e| bad_column(n + 5, e.to_string()))?,
                body: Bytes::from(row.get::<_, Vec<u8>>(n + 6)?),
                attempts: Vec::new(),
                summary,
            })
        })
        .optional()?;
    let Some(mut event) = event else {
        return Ok(None);
    };
    event.attempts = rows::attempts_of(&tx, id)?;
    tx.commit()?;
    Ok(Some(event))
}

/// An event's content type and body bytes.
pub(crate) fn raw_body(
    conn: &Connection,
    id: i64,
) -> Result<Option<(Option<String>, Bytes)>, StoreError> {
    let sql = "SELECT content_type, body FROM events WHERE id = ?1";
    let found = conn
        .prepare_cached(sql)?
        .query_row([id], |r| {
            Ok((r.get(0)?, Bytes::from(r.get::<_, Vec<u8>>(1)?)))
        })
        .optional()?;
    Ok(found)
}

/// Events stored.
pub(crate) fn count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Every stored signing key, oldest first.
pub(crate) fn keys(conn: &Connection) -> Result<Vec<StoredKey>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, route, label, secret, created_at FROM keys ORDER BY id")?;
    let keys = stmt
        .query_map([], |r| {
            Ok(StoredKey {
                id: r.get(0)?,
                route: r.get(1)?,
                label: r.get(2)?,
                secret: r.get(3)?,
                created_at: rfc3339_ms(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(keys)
}

/// One meta value.
pub(crate) fn meta(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    let value = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?;
    Ok(value)
}
