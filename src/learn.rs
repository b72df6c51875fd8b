//! The schema learner: a background task that learns each kind's shape (`schema::Learned`, by
//! route and event type) from the JSON bodies of real webhooks, marks an event whose shape
//! drifted from what its kind had before, stores both in one transaction, and publishes the
//! marked events' new summaries. It runs after the commit, off the request path: capture hands
//! it each committed event with the body it already holds (`learn_feed`), and the learner reads
//! from the store only what it was not handed (a backlog, an event dropped from a full feed).
//!
//! Test events (`source: send`, or a `User-Agent` naming hookpit: `hookpit send` to the capture
//! URL) and replays are compared with what was learned, never learned
//! from: a `hookpit send` template that differs from real events of its type is marked the
//! same way, and the UI says so.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;

use crate::app::App;
use crate::live::LiveEvent;
use crate::schema::{Drift, Learned, Scratch};
use crate::store::Store;
use crate::store::model::{EventSummary, Headers, Source};
use crate::store::schemas::{Committed, Kind, Learning};

/// Events read from the store per pass.
const BATCH: u32 = 500;
/// Ids missing from what the learner was handed that it reads one by one; past this it reads
/// the range in order instead (it is behind).
const MAX_GAP: usize = 64;
/// After a wake-up, how long to let a burst finish arriving: one pass then learns many events
/// in one transaction instead of one transaction each.
const SETTLE: Duration = Duration::from_millis(50);
/// How often to look for events nothing handed over (an import), and to retry after a store
/// error.
const IDLE_CHECK: Duration = Duration::from_secs(2);
/// Largest body learned from: bigger ones are skipped (they are rare and costly to parse).
const MAX_BODY: usize = 1024 * 1024;
/// What `hookpit send`'s `User-Agent` carries (`send::USER_AGENT`): an event with it is a test.
const HOOKPIT_MARK: &str = "(hookpit/";

/// The key of a kind: the route, a space, the event type (left out when there is none). A
/// request path has no spaces, so the key is unambiguous.
pub fn kind_key(route: &str, event_type: Option<&str>) -> String {
    let mut key = String::new();
    write_key(&mut key, route, event_type);
    key
}

fn write_key(key: &mut String, route: &str, event_type: Option<&str>) {
    key.clear();
    key.push_str(route);
    if let Some(t) = event_type {
        key.push(' ');
        key.push_str(t);
    }
}

/// What capture hands the learner once `summary` is committed: its body (shared, not copied;
/// left out past the size the learner reads) and whether it is a test event.
pub fn committed(summary: &EventSummary, headers: &Headers, body: &Bytes) -> Committed {
    let by_hookpit = headers
        .get_str("user-agent")
        .is_some_and(|ua| ua.contains(HOOKPIT_MARK));
    Committed {
        id: summary.id,
        path: summary.path.clone(),
        event_type: summary.event_type.clone(),
        source: summary.source,
        sent_by_hookpit: by_hookpit,
        body: (body.len() <= MAX_BODY).then(|| body.clone()),
    }
}

/// Runs until shutdown (started by `App::run`, tracked: it writes to the store).
pub async fn run(app: App) {
    let stopped = app.stopped();
    tokio::pin!(stopped);
    let mut learner = None;
    loop {
        if learner.is_none() {
            learner = Learner::load(&app).await;
        }
        if let Some(l) = learner.as_mut() {
            let mut handed = app.learn_feed.take();
            // Keep going while whole batches come from the store: a backlog (the first start
            // after an upgrade) is learned before waiting again.
            loop {
                match l.pass(&app, std::mem::take(&mut handed)).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(()) => {
                        // What is in memory may be ahead of the store: start again from it.
                        learner = None;
                        break;
                    }
                }
            }
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = app.learn_feed.handed_over() => tokio::time::sleep(SETTLE).await,
            _ = tokio::time::sleep(IDLE_CHECK) => {}
        }
    }
}

/// The learned kinds and the cursor (every event up to it is learned), as stored.
struct Learner {
    kinds: HashMap<String, Kind>,
    cursor: i64,
}

impl Learner {
    async fn load(app: &App) -> Option<Learner> {
        let loaded = async {
            let kinds = app.store.schemas().await?;
            let cursor = app.store.schema_cursor().await?;
            Ok::<_, crate::store::StoreError>((kinds, cursor))
        };
        match loaded.await {
            Ok((kinds, cursor)) => Some(Learner {
                kinds: kinds.into_iter().map(|k| (k.key.clone(), k)).collect(),
                cursor,
            }),
            Err(e) => {
                tracing::warn!("schema learner: could not read what was learned: {e}");
                None
            }
        }
    }

    /// Learns what was handed over, plus whatever committed event it lacks up to the newest
    /// one handed over; with nothing handed over, the next batch from the store. Whether a
    /// whole batch came from the store (more may wait). On `Err` the learner's memory may be
    /// ahead of the store, and it must be loaded again.
    async fn pass(&mut self, app: &App, handed: Vec<Committed>) -> Result<bool, ()> {
        let warn = |what: &str, e: crate::store::StoreError| {
            tracing::warn!("schema learner: {what}: {e}");
        };
        let (events, upto, full) = match self.gather(&app.store, handed).await {
            Ok(Some(got)) => got,
            Ok(None) => return Ok(false),
            Err(e) => {
                warn("could not read events", e);
                return Ok(false);
            }
        };
        let kinds = std::mem::take(&mut self.kinds);
        let learned = tokio::task::spawn_blocking(move || learn_batch(kinds, &events)).await;
        let (kinds, touched, drifts) =
            learned.map_err(|e| tracing::warn!("schema learner: a pass failed: {e}"))?;
        self.kinds = kinds;
        let learning = Learning {
            kinds: touched
                .iter()
                .filter_map(|k| self.kinds.get(k))
                .cloned()
                .collect(),
            drifts,
            cursor: upto,
        };
        let updated = app
            .store
            .save_learning(learning)
            .await
            .map_err(|e| warn("could not store what it learned", e))?;
        self.cursor = upto;
        for summary in updated {
            app.live.publish(LiveEvent::EventUpdated(summary));
        }
        Ok(full)
    }

    /// The events of one pass in id order, the id every event up to which they cover, and
    /// whether a whole batch came from the store; `None` when there is nothing new.
    async fn gather(
        &self,
        store: &Store,
        mut handed: Vec<Committed>,
    ) -> Result<Option<(Vec<Committed>, i64, bool)>, crate::store::StoreError> {
        handed.retain(|e| e.id > self.cursor);
        handed.sort_by_key(|e| e.id);
        handed.dedup_by_key(|e| e.id);
        if let Some(upto) = handed.last().map(|e| e.id) {
            // Capture publishes in the order its commits come back, not always in id order,
            // and a full feed drops events: the store says which ids the hand-over lacks.
            let limit = handed.len() + MAX_GAP + 1;
            let stored = store.ids_between(self.cursor, upto, limit).await?;
            if stored.len() < limit {
                let have: HashSet<i64> = handed.iter().map(|e| e.id).collect();
                let missing: Vec<i64> =
                    stored.into_iter().filter(|id| !have.contains(id)).collect();
                if !missing.is_empty() {
                    handed.extend(store.committed_ids(missing, MAX_BODY, HOOKPIT_MARK).await?);
                    handed.sort_by_key(|e| e.id);
                }
                return Ok(Some((handed, upto, false)));
            }
            // Far behind: what was handed over is read again below, in order.
        }
        let events = store
            .committed_after(self.cursor, BATCH, MAX_BODY, HOOKPIT_MARK)
            .await?;
        let full = events.len() == BATCH as usize;
        Ok(events.last().map(|e| e.id).map(|last| (events, last, full)))
    }
}

/// What a batch leaves: every kind (as it now is), the keys of those it changed, and the
/// events that drifted.
type Outcome = (
    HashMap<String, Kind>,
    HashSet<String>,
    Vec<(i64, Vec<Drift>)>,
);

/// Compares each event with its kind as learned so far, then (real webhooks only) learns it.
/// One key buffer and one set of walk buffers serve the whole batch; the kinds it changed are
/// settled before they are returned (`Learned::settle`).
fn learn_batch(mut kinds: HashMap<String, Kind>, events: &[Committed]) -> Outcome {
    let mut touched: HashSet<String> = HashSet::new();
    let mut drifts = Vec::new();
    let (mut key, mut scratch) = (String::new(), Scratch::default());
    for e in events {
        let Some(body) = &e.body else { continue };
        write_key(&mut key, &e.path, e.event_type.as_deref());
        let created = !kinds.contains_key(key.as_str());
        if created {
            let kind = Kind {
                key: key.clone(),
                route: e.path.clone(),
                event_type: e.event_type.clone(),
                learned: Learned::default(),
                last_drift_id: None,
            };
            kinds.insert(key.clone(), kind);
        }
        let kind = kinds.get_mut(key.as_str()).expect("inserted above");
        let real = !matches!(e.source, Source::Send | Source::Replay) && !e.sent_by_hookpit;
        let Some(drift) = kind.learned.observe_json(body, real, &mut scratch) else {
            // Not JSON: nothing to learn, and no kind made for it.
            if created {
                kinds.remove(key.as_str());
            }
            continue;
        };
        if !drift.is_empty() {
            drifts.push((e.id, drift));
            if real {
                kind.last_drift_id = Some(e.id);
            }
        }
        if real && !touched.contains(key.as_str()) {
            touched.insert(key.clone());
        }
    }
    for key in &touched {
        if let Some(kind) = kinds.get_mut(key) {
            kind.learned.settle();
        }
    }
    (kinds, touched, drifts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn committed(id: i64, source: Source, body: &str) -> Committed {
        Committed {
            id,
            path: "/shop".into(),
            event_type: Some("order.paid".into()),
            source,
            body: Some(Bytes::from(body.to_string())),
            sent_by_hookpit: false,
        }
    }

    #[test]
    fn real_events_teach_and_test_events_are_only_checked() {
        let mut events: Vec<Committed> = (1..=5)
            .map(|id| committed(id, Source::Direct, r#"{"amount": 1, "id": "x"}"#))
            .collect();
        events.push(committed(6, Source::Send, r#"{"amount": "1"}"#));
        events.push(committed(7, Source::Direct, "not json"));
        events.push(committed(8, Source::Direct, r#"{"amount": 2}"#));
        let (kinds, touched, drifts) = learn_batch(HashMap::new(), &events);
        assert_eq!(touched.len(), 1);
        let kind = &kinds["/shop order.paid"];
        assert_eq!(
            kind.learned.events, 6,
            "five, then the real one missing `id`"
        );
        assert_eq!(
            kind.last_drift_id,
            Some(8),
            "the test event is not the kind's drift"
        );
        let ids: Vec<i64> = drifts.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![6, 8]);
        assert_eq!(drifts[0].1.len(), 2, "{:?}", drifts[0].1);
    }

    /// A store holding events 1..=n, each with body `{"n": id}`.
    async fn store_of(n: i64) -> Store {
        let keep_all = crate::store::Retention {
            max_events: 0,
            max_age: None,
        };
        let store = Store::open(":memory:", keep_all).expect("store");
        for id in 1..=n {
            let e = crate::store::model::NewEvent {
                received_at: chrono::Utc::now(),
                method: "POST".into(),
                path: "/shop".into(),
                query: String::new(),
                headers: Headers::default(),
                body: Bytes::from(format!(r#"{{"n": {id}}}"#)),
                remote_addr: None,
                source: Source::Direct,
                content_type: None,
                msg_id: None,
                extracted: Default::default(),
                verification: crate::verify::Verdict::unsigned(),
            };
            assert_eq!(store.insert_event(e).await.expect("insert").id, id);
        }
        store
    }

    fn ids(events: &[Committed]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[tokio::test]
    async fn what_was_not_handed_over_is_read_from_the_store_once() {
        let store = store_of(6).await;
        let mut l = Learner {
            kinds: HashMap::new(),
            cursor: 1,
        };
        // Out of id order (publishes follow commits), 1 already learned, 2 and 4 dropped.
        let handed = vec![
            committed(5, Source::Direct, "{}"),
            committed(3, Source::Direct, "{}"),
            committed(1, Source::Direct, "{}"),
        ];
        let (events, upto, full) = l.gather(&store, handed).await.expect("read").expect("some");
        assert_eq!((ids(&events), upto, full), (vec![2, 3, 4, 5], 5, false));
        // Those read back carry their stored body; those handed over, theirs.
        assert_eq!(events[0].body.as_deref(), Some(&br#"{"n": 2}"#[..]));
        assert_eq!(events[1].body.as_deref(), Some(&b"{}"[..]));
        // Nothing handed over: the next batch from the store, after the cursor.
        l.cursor = upto;
        let (events, upto, _) = l
            .gather(&store, Vec::new())
            .await
            .expect("read")
            .expect("some");
        assert_eq!((ids(&events), upto), (vec![6], 6));
        l.cursor = upto;
        assert!(l.gather(&store, Vec::new()).await.expect("read").is_none());
    }

    #[tokio::test]
    async fn far_behind_it_reads_the_store_in_order() {
        let store = store_of(MAX_GAP as i64 + 3).await;
        let l = Learner {
            kinds: HashMap::new(),
            cursor: 0,
        };
        let last = MAX_GAP as i64 + 3;
        let handed = vec![committed(last, Source::Direct, "{}")];
        let (events, upto, _) = l.gather(&store, handed).await.expect("read").expect("some");
        assert_eq!(events.len(), last as usize);
        assert_eq!(upto, last);
        assert_eq!(events[0].body.as_deref(), Some(&br#"{"n": 1}"#[..]));
    }

    #[test]
    fn hookpit_send_is_recognised_by_its_user_agent() {
        assert!(crate::send::USER_AGENT.contains(HOOKPIT_MARK));
    }

    #[test]
    fn keys_name_the_route_and_the_type() {
        assert_eq!(
            kind_key("/cyberdesk", Some("run_complete")),
            "/cyberdesk run_complete"
        );
        assert_eq!(kind_key("/github", None), "/github");
    }
}
