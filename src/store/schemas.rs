//! What the schema learner reads and writes: committed events it was not handed in memory
//! (after its cursor, or by id), the learned kinds (`schemas` table), and each event's drift
//! (`event_drift`). The learner (`learn`) decides; this only stores.

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::bad_column;
use super::model::{EventSummary, Source};
use super::rows;
use super::writer::Ctx;
use super::{Store, StoreError};
use crate::schema::{Drift, Learned};

/// `meta` key of the last event id the learner has read.
const CURSOR: &str = "schema_cursor";

/// One committed event, as the learner reads it.
#[derive(Debug, Clone)]
pub struct Committed {
    /// Event id.
    pub id: i64,
    /// Path it arrived on.
    pub path: String,
    /// Event type from the body.
    pub event_type: Option<String>,
    /// How it arrived (test events are checked, not learned from).
    pub source: Source,
    /// Whether `hookpit send` sent it (its headers carry hookpit's `User-Agent` mark): a test
    /// event too.
    pub sent_by_hookpit: bool,
    /// The body, `None` when over the size the learner reads.
    pub body: Option<Bytes>,
}

/// One learned kind of event.
#[derive(Debug, Clone, PartialEq)]
pub struct Kind {
    /// `route event_type` (the type left out when there is none).
    pub key: String,
    /// The route (the path events arrive on).
    pub route: String,
    /// The event type.
    pub event_type: Option<String>,
    /// What is known.
    pub learned: Learned,
    /// The newest event of this kind that drifted.
    pub last_drift_id: Option<i64>,
}

/// What one learner pass writes, in one transaction.
#[derive(Debug, Default)]
pub struct Learning {
    /// Kinds that changed.
    pub kinds: Vec<Kind>,
    /// Events that drifted, with how.
    pub drifts: Vec<(i64, Vec<Drift>)>,
    /// The last event id read.
    pub cursor: i64,
}

impl Store {
    /// The last event id the learner has read (0 before the first).
    pub async fn schema_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta(CURSOR)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Up to `limit` committed events after `after`, oldest first; bodies over `max_body`
    /// bytes are left out, and `ua_mark` in the headers marks an event `hookpit send` sent.
    pub async fn committed_after(
        &self,
        after: i64,
        limit: u32,
        max_body: usize,
        ua_mark: &'static str,
    ) -> Result<Vec<Committed>, StoreError> {
        self.read(move |c| {
            let sql = format!("{COMMITTED} WHERE e.id > ?1 ORDER BY e.id LIMIT ?2");
            let mut stmt = c.prepare_cached(&sql)?;
            let rows =
                stmt.query_map(params![after, limit, max_body as i64, ua_mark], committed)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// The events of `ids` that are still stored, read as [`Store::committed_after`] reads
    /// them.
    pub async fn committed_ids(
        &self,
        ids: Vec<i64>,
        max_body: usize,
        ua_mark: &'static str,
    ) -> Result<Vec<Committed>, StoreError> {
        self.read(move |c| {
            let sql = format!("{COMMITTED} WHERE e.id = ?1");
            let mut stmt = c.prepare_cached(&sql)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                // `?2` (the range query's limit) is unused here, bound only to keep the numbering.
                let row = stmt.query_row(params![id, 0, max_body as i64, ua_mark], committed);
                out.extend(row.optional()?);
            }
            Ok(out)
        })
        .await
    }

    /// The ids stored in `(after, upto]`, oldest first, at most `limit`: whether the events
    /// the learner was handed are all there were. Reads no body.
    pub async fn ids_between(
        &self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> Result<Vec<i64>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM events WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![after, upto, limit as i64], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        })
        .await
    }

    /// Every learned kind, by key.
    pub async fn schemas(&self) -> Result<Vec<Kind>, StoreError> {
        self.read(|c| kinds(c, None)).await
    }

    /// One learned kind.
    pub async fn schema(&self, key: &str) -> Result<Option<Kind>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| Ok(kinds(c, Some(&key))?.into_iter().next()))
            .await
    }

    /// Stores one learner pass; returns the new summaries of the events that drifted (still
    /// stored).
    pub async fn save_learning(&self, l: Learning) -> Result<Vec<EventSummary>, StoreError> {
        self.write(0, move |ctx| save(ctx, &l)).await
    }
}

/// What the learner reads of an event; `?3` is the largest body read, `?4` hookpit's mark.
const COMMITTED: &str = "SELECT e.id, e.path, e.event_type, e.source, \
     CASE WHEN length(e.body) <= ?3 THEN e.body END, instr(e.headers, ?4) > 0 FROM events e";

/// Reads a row selected with [`COMMITTED`]. Bodies are stored as they arrived (a body sent with
/// `Content-Encoding: gzip` stays compressed), so the learner sees what capture saw.
fn committed(r: &rusqlite::Row<'_>) -> rusqlite::Result<Committed> {
    let source: String = r.get(3)?;
    Ok(Committed {
        id: r.get(0)?,
        path: r.get(1)?,
        event_type: r.get(2)?,
        source: Source::parse(&source)
            .ok_or_else(|| bad_column(3, format!("unknown source {source:?}")))?,
        body: r.get::<_, Option<Vec<u8>>>(4)?.map(Bytes::from),
        sent_by_hookpit: r.get(5)?,
    })
}

fn kinds(c: &Connection, key: Option<&str>) -> Result<Vec<Kind>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT key, route, event_type, events, fields, last_drift_id FROM schemas \
         WHERE ?1 IS NULL OR key = ?1 ORDER BY key",
    )?;
    let rows = stmt.query_map([key], |r| {
        let fields: String = r.get(4)?;
        Ok(Kind {
            key: r.get(0)?,
            route: r.get(1)?,
            event_type: r.get(2)?,
            learned: Learned::new(
                r.get::<_, i64>(3)?.max(0) as u64,
                serde_json::from_str(&fields).map_err(|e| bad_column(4, e.to_string()))?,
            ),
            last_drift_id: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn save(ctx: &mut Ctx<'_>, l: &Learning) -> Result<Vec<EventSummary>, StoreError> {
    let mut upsert = ctx.conn.prepare_cached(
        "INSERT INTO schemas (key, route, event_type, events, fields, last_drift_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO UPDATE SET \
         events = excluded.events, fields = excluded.fields, last_drift_id = excluded.last_drift_id",
    )?;
    for k in &l.kinds {
        let fields = serde_json::to_string(k.learned.fields()).expect("learned fields serialize");
        upsert.execute(params![
            k.key,
            k.route,
            k.event_type,
            k.learned.events as i64,
            fields,
            k.last_drift_id
        ])?;
    }
    // An event deleted since it was read is simply not there to mark (and its row would break
    // the foreign key).
    let mut mark = ctx.conn.prepare_cached(
        "INSERT OR REPLACE INTO event_drift (event_id, drift) \
         SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?1)",
    )?;
    let mut updated = Vec::new();
    for (id, drift) in &l.drifts {
        let json = serde_json::to_string(drift).expect("drift serializes");
        if mark.execute(params![id, json])? > 0 {
            updated.extend(rows::summary_by_id(ctx.conn, *id)?);
        }
    }
    ctx.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![CURSOR, l.cursor.to_string()],
    )?;
    Ok(updated)
}
