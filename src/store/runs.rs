//! One Cyberdesk run's webhooks. An event belongs to run `X` when its body's `run.id` is `X`,
//! or, for a body without a `run.id`, when its message id is `X` or `X_<digits>` (a retried
//! run's webhook carries the run id with a timestamp suffix, `X_1702310400000`). The `run:`
//! search and `GET /api/runs/{run_id}` share that rule, read through indexes (`events_run_id`,
//! migration 0011, and `events_msg_id`), never by a scan. Each webhook is then told apart: the
//! first delivery, a Svix retry of a message already stored (same message id), or a retried
//! run (a new message id).

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use super::codec::rfc3339_ms;
use super::model::{EventSummary, VerificationSummary};
use super::rows::{self, SUMMARY_COLUMNS, SUMMARY_FROM, SUMMARY_LEN};
use super::{Store, StoreError};

/// Most webhooks one run lists; past it the newest are left out and `truncated` says so (a run
/// gets a handful: Svix retries a message at most 8 times).
pub const MAX_RUN_WEBHOOKS: usize = 500;

/// Digits of a millisecond Unix time from 2001-09-09 to 2286-11-20: a suffix of this length
/// is shown as the time the run was retried; any other digits are only a new message id.
const MS_DIGITS: usize = 13;

/// The condition "event `e` belongs to run `run_id`", its values pushed onto `params`. An
/// `IN` over three indexed lookups, so the planner starts from the run's few rows whatever
/// else the search filters on.
pub(crate) fn member_condition(run_id: &str, params: &mut Vec<Value>) -> String {
    params.push(Value::Text(run_id.to_owned()));
    let id = params.len();
    // `X_` < m < `X\``: exactly the message ids that start with `X_` ('`' follows '_').
    params.push(Value::Text(format!("{run_id}_")));
    let low = params.len();
    params.push(Value::Text(format!("{run_id}`")));
    let high = params.len();
    let suffix_at = i64::try_from(run_id.chars().count() + 2).unwrap_or(i64::MAX);
    params.push(Value::Integer(suffix_at));
    let at = params.len();
    format!(
        "e.id IN (SELECT id FROM events WHERE run_id = ?{id} \
         UNION ALL SELECT id FROM events WHERE msg_id = ?{id} AND run_id IS NULL \
         UNION ALL SELECT id FROM events WHERE msg_id > ?{low} AND msg_id < ?{high} \
         AND run_id IS NULL AND substr(msg_id, ?{at}) NOT GLOB '*[^0-9]*')"
    )
}

/// What a webhook is to its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The run's first message (its message id is the run id, or it came before any other).
    First,
    /// Svix delivered a message again (same message id, `duplicate_of` the first).
    SvixRetry,
    /// The run was retried: a new message id, `<run_id>_<ms>` when Cyberdesk sends it.
    RunRetry,
}

/// Why an event is listed under the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    /// Its body's `run.id`.
    RunId,
    /// Its message id (`<run_id>` or `<run_id>_<digits>`); the body has no `run.id`.
    MsgId,
}

/// What the app answered a webhook: its newest forward, retry or replay, and how many tries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forward {
    /// The app's status, when it answered.
    pub status: Option<u16>,
    /// Why there is no status (could not connect, timeout, in flight when both are null).
    pub error: Option<String>,
    /// Latency of that try in milliseconds, when finished.
    pub duration_ms: Option<i64>,
    /// Tries made (skipped forwards are none).
    pub tries: i64,
}

/// One webhook of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunWebhook {
    /// The stored event.
    pub event_id: i64,
    /// When it arrived (RFC 3339, ms).
    pub received_at: String,
    /// Its message id (`svix-id` / `webhook-id`).
    pub msg_id: Option<String>,
    /// The path it was sent to.
    pub path: String,
    /// Its event type.
    pub event_type: Option<String>,
    /// Why it is listed under the run.
    pub found_by: FoundBy,
    /// First delivery, Svix retry or retried run.
    pub delivery: Delivery,
    /// For a Svix retry, its number (1, 2, …) among the stored deliveries of its message.
    pub svix_retry: Option<u32>,
    /// The first event with the same message id.
    pub duplicate_of: Option<i64>,
    /// When the message id is `<run_id>_<ms>`: that time (RFC 3339, ms), when the run was
    /// retried.
    pub retried_at: Option<String>,
    /// `run.status` of its body.
    pub run_status: Option<String>,
    /// The verdict on its signature.
    pub verification: VerificationSummary,
    /// What the app answered, `None` when it was never forwarded or replayed.
    pub forward: Option<Forward>,
}

/// Every stored webhook of one run, in time order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunWebhooks {
    /// The run asked for.
    pub run_id: String,
    /// Its webhooks, oldest first (by arrival, then id).
    pub webhooks: Vec<RunWebhook>,
    /// Whether webhooks past [`MAX_RUN_WEBHOOKS`] were left out.
    pub truncated: bool,
}

/// A stored event of the run, before it is told apart.
struct Member {
    summary: EventSummary,
    found_by: FoundBy,
    tries: i64,
}

/// The query of [`members`] and its values.
fn members_query(run_id: &str) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let member = member_condition(run_id, &mut params);
    params.push(Value::Integer(
        i64::try_from(MAX_RUN_WEBHOOKS + 1).unwrap_or(i64::MAX),
    ));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, e.run_id IS NOT NULL, \
         (SELECT COUNT(*) FROM attempts x WHERE x.event_id = e.id AND x.skipped IS NULL) \
         {SUMMARY_FROM} WHERE {member} ORDER BY e.received_at, e.id LIMIT ?{}",
        params.len()
    );
    (sql, params)
}

/// The events of `run_id`, oldest first, up to one more than [`MAX_RUN_WEBHOOKS`].
fn members(conn: &Connection, run_id: &str) -> Result<Vec<Member>, StoreError> {
    let (sql, params) = members_query(run_id);
    let mut stmt = conn.prepare_cached(&sql)?;
    let found = stmt
        .query_map(params_from_iter(params), |row| {
            let by_run_id: bool = row.get(SUMMARY_LEN)?;
            Ok(Member {
                summary: rows::summary(row)?,
                found_by: if by_run_id {
                    FoundBy::RunId
                } else {
                    FoundBy::MsgId
                },
                tries: row.get(SUMMARY_LEN + 1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(found)
}

/// The digits after `<run_id>_` in `msg_id`, when it is a retried run's message id.
fn retry_suffix<'m>(run_id: &str, msg_id: &'m str) -> Option<&'m str> {
    let digits = msg_id.strip_prefix(run_id)?.strip_prefix('_')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The time a `<run_id>_<ms>` message id carries, when its suffix is a millisecond time.
fn retried_at(run_id: &str, msg_id: &str) -> Option<String> {
    let digits = retry_suffix(run_id, msg_id).filter(|d| d.len() == MS_DIGITS)?;
    digits.parse::<i64>().ok().map(rfc3339_ms)
}

/// Tells each of a run's events (oldest first) apart: a message id seen before is a Svix
/// retry; `<run_id>_<digits>` is a retried run; the run id itself is the first delivery; any
/// other new message id is the first when it comes first, a retried run after that.
fn told_apart(run_id: &str, members: Vec<Member>) -> Vec<RunWebhook> {
    let mut deliveries: HashMap<String, u32> = HashMap::new();
    let mut any_message = false;
    let mut out = Vec::with_capacity(members.len());
    for Member {
        summary: s,
        found_by,
        tries,
    } in members
    {
        let earlier = s
            .msg_id
            .as_ref()
            .map(|m| {
                let n = deliveries.entry(m.clone()).or_insert(0);
                *n += 1;
                *n - 1
            })
            .unwrap_or(0);
        let (delivery, svix_retry) = if earlier > 0 || s.duplicate_of.is_some() {
            // Numbered among what is stored: a first delivery pruned since still leaves #1.
            (Delivery::SvixRetry, Some(earlier.max(1)))
        } else {
            let retried = s
                .msg_id
                .as_deref()
                .is_some_and(|m| retry_suffix(run_id, m).is_some());
            let own_id = s.msg_id.as_deref() == Some(run_id);
            let kind = if retried || (any_message && !own_id) {
                Delivery::RunRetry
            } else {
                Delivery::First
            };
            any_message = true;
            (kind, None)
        };
        let forward = s.last_attempt.map(|a| Forward {
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
            tries,
        });
        out.push(RunWebhook {
            event_id: s.id,
            retried_at: s.msg_id.as_deref().and_then(|m| retried_at(run_id, m)),
            received_at: s.received_at,
            msg_id: s.msg_id,
            path: s.path,
            event_type: s.event_type,
            found_by,
            delivery,
            svix_retry,
            duplicate_of: s.duplicate_of,
            run_status: s.run.and_then(|r| r.status),
            verification: s.verification,
            forward,
        });
    }
    out
}

impl Store {
    /// Every stored webhook of run `run_id`, oldest first; `None` when none is stored.
    pub async fn run(&self, run_id: &str) -> Result<Option<RunWebhooks>, StoreError> {
        let run_id = run_id.to_owned();
        self.read(move |c| {
            let mut found = members(c, &run_id)?;
            if found.is_empty() {
                return Ok(None);
            }
            let truncated = found.len() > MAX_RUN_WEBHOOKS;
            found.truncate(MAX_RUN_WEBHOOKS);
            Ok(Some(RunWebhooks {
                webhooks: told_apart(&run_id, found),
                run_id,
                truncated,
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::EventFilter;
    use crate::store::{Retention, read};

    /// The lines of SQLite's plan for `sql` with `params`.
    fn plan(c: &Connection, sql: &str, params: Vec<Value>) -> Vec<String> {
        let mut stmt = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = stmt.query_map(params_from_iter(params), |r| r.get::<_, String>(3));
        rows.expect("plan")
            .map(|r| r.expect("a plan line"))
            .collect()
    }

    #[tokio::test]
    async fn a_run_is_looked_up_through_indexes_never_by_reading_every_event() {
        let store = Store::open(
            ":memory:",
            Retention {
                max_events: 0,
                max_age: None,
            },
        )
        .expect("store");
        let plans = store
            .read(|c| {
                let (sql, params) = members_query("b7e3c1a2");
                let api = plan(c, &sql, params);
                // With another indexed filter beside it, as `run:X is:valid` asks.
                let filter = EventFilter {
                    run_id: Some("b7e3c1a2".into()),
                    verification: Some("valid".into()),
                    ..EventFilter::default()
                };
                let (conds, params) = read::where_clause(&filter, None, None);
                let sql = format!("SELECT e.id FROM events e {conds} ORDER BY e.id DESC LIMIT 51");
                Ok((api, plan(c, &sql, params)))
            })
            .await
            .expect("plans");
        for lines in [plans.0, plans.1] {
            let text = lines.join("\n");
            assert!(
                !lines
                    .iter()
                    .any(|l| l.starts_with("SCAN e") || l.starts_with("SCAN events")),
                "{text}"
            );
            assert!(
                text.contains("USING COVERING INDEX events_run_id (run_id=?)"),
                "{text}"
            );
            assert!(
                text.contains("USING INDEX events_msg_id (msg_id=?)"),
                "{text}"
            );
            assert!(
                text.contains("USING INDEX events_msg_id (msg_id>? AND msg_id<?)"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_retry_suffix_is_digits_after_the_run_id_and_an_underscore() {
        assert_eq!(
            retry_suffix("r1", "r1_1702310400000"),
            Some("1702310400000")
        );
        assert_eq!(retry_suffix("r1", "r1_7"), Some("7"));
        for not in ["r1", "r1_", "r1_12a", "r1-123", "r12_3", "x_r1_1"] {
            assert_eq!(retry_suffix("r1", not), None, "{not}");
        }
    }

    #[test]
    fn only_a_millisecond_time_is_shown_as_the_retry_time() {
        assert_eq!(
            retried_at("r1", "r1_1702310400000").as_deref(),
            Some("2023-12-11T16:00:00.000Z")
        );
        assert_eq!(retried_at("r1", "r1_7"), None);
        assert_eq!(retried_at("r1", "r1_99999999999999"), None);
    }
}
