//! The schema learner: a background task that reads committed events after its cursor, learns
//! each kind's shape (`schema::Learned`, by route and event type) from the JSON bodies of real
//! webhooks, marks an event whose shape drifted from what its kind had before, stores both in
//! one transaction, and publishes the marked events' new summaries. It runs after the commit,
//! off the request path: capture only wakes it (`LiveHub::event_created`).
//!
//! Test events (`source: send`, or a `User-Agent` naming hookpit: `hookpit send` to the capture
//! URL) and replays are compared with what was learned, never learned
//! from: a `hookpit send` template that differs from real events of its type is marked the
//! same way, and the UI says so.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::app::App;
use crate::live::LiveEvent;
use crate::schema::{Learned, shape_of};
use crate::store::model::Source;
use crate::store::schemas::{Committed, Kind, Learning};

/// Events read per pass.
const BATCH: u32 = 500;
/// After a wake-up, how long to let a burst finish arriving before reading it: one pass then
/// learns many events in one transaction instead of one transaction each.
const SETTLE: Duration = Duration::from_millis(50);
/// How often to look for events nothing announced (an import), and to retry after a store error.
const IDLE_CHECK: Duration = Duration::from_secs(2);
/// Largest body learned from: bigger ones are skipped (they are rare and costly to parse).
const MAX_BODY: usize = 1024 * 1024;

/// The key of a kind: the route, a space, the event type (left out when there is none). A
/// request path has no spaces, so the key is unambiguous.
pub fn kind_key(route: &str, event_type: Option<&str>) -> String {
    match event_type {
        Some(t) => format!("{route} {t}"),
        None => route.to_string(),
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
            // Keep reading while whole batches come back: a backlog (the first start after an
            // upgrade, a burst) is learned before waiting again.
            while let Ok(true) = l.pass(&app).await {}
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = app.live.event_created() => tokio::time::sleep(SETTLE).await,
            _ = tokio::time::sleep(IDLE_CHECK) => {}
        }
    }
}

/// The learned kinds and the cursor, as stored.
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

    /// Learns one batch; whether it was full (more may be waiting). Nothing changes in memory
    /// unless the store took it.
    async fn pass(&mut self, app: &App) -> Result<bool, ()> {
        let events = app
            .store
            .committed_after(self.cursor, BATCH, MAX_BODY)
            .await
            .map_err(|e| tracing::warn!("schema learner: could not read events: {e}"))?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(false);
        };
        let full = events.len() == BATCH as usize;
        let kinds = self.kinds.clone();
        let (changed, drifts) = tokio::task::spawn_blocking(move || learn_batch(kinds, &events))
            .await
            .map_err(|e| tracing::warn!("schema learner: a pass failed: {e}"))?;
        let learning = Learning {
            kinds: changed.values().cloned().collect(),
            drifts,
            cursor: last,
        };
        let updated =
            app.store.save_learning(learning).await.map_err(|e| {
                tracing::warn!("schema learner: could not store what it learned: {e}")
            })?;
        self.kinds.extend(changed);
        self.cursor = last;
        for summary in updated {
            app.live.publish(LiveEvent::EventUpdated(summary));
        }
        Ok(full)
    }
}

/// What a batch changes: the kinds it touched (whole, as they now are) and the events that
/// drifted.
type Outcome = (HashMap<String, Kind>, Vec<(i64, Vec<crate::schema::Drift>)>);

/// Compares each event with its kind as learned so far, then (real webhooks only) learns it.
fn learn_batch(mut kinds: HashMap<String, Kind>, events: &[Committed]) -> Outcome {
    // Keys only while learning: a kind is copied out once per batch, not once per event.
    let mut touched: HashSet<String> = HashSet::new();
    let mut drifts = Vec::new();
    for e in events {
        let Some(body) = &e.body else { continue };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            continue;
        };
        let shape = shape_of(&value);
        let key = kind_key(&e.path, e.event_type.as_deref());
        let kind = kinds.entry(key.clone()).or_insert_with(|| Kind {
            key: key.clone(),
            route: e.path.clone(),
            event_type: e.event_type.clone(),
            learned: Learned::default(),
            last_drift_id: None,
        });
        let drift = kind.learned.drift(&shape);
        let real = !matches!(e.source, Source::Send | Source::Replay) && !e.sent_by_hookpit;
        if !drift.is_empty() {
            drifts.push((e.id, drift));
            if real {
                kind.last_drift_id = Some(e.id);
            }
        }
        if real {
            kind.learned.learn(shape);
            touched.insert(key);
        }
    }
    let changed = touched
        .into_iter()
        .filter_map(|k| kinds.remove_entry(&k))
        .collect();
    (changed, drifts)
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
        let (changed, drifts) = learn_batch(HashMap::new(), &events);
        let kind = &changed["/shop order.paid"];
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

    #[test]
    fn keys_name_the_route_and_the_type() {
        assert_eq!(
            kind_key("/cyberdesk", Some("run_complete")),
            "/cyberdesk run_complete"
        );
        assert_eq!(kind_key("/github", None), "/github");
    }
}
