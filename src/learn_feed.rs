//! The hand-off from capture to the schema learner: each webhook, once committed, with the body
//! capture already holds (a reference, not a copy). Handing one over takes a lock for a push
//! and never waits; what does not fit (a backlog past [`FEED_BYTES`]) is left for the learner to
//! read back from the store, which stays the record of what was captured.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::store::schemas::Committed;

/// Most body bytes held for the learner at once: a learner that falls behind (a burst of large
/// bodies) reads the rest from the store instead of holding them in memory.
pub const FEED_BYTES: usize = 16 * 1024 * 1024;

/// Most events held for the learner at once, whatever their size.
pub const FEED_EVENTS: usize = 8192;

/// Handle to the queue of committed webhooks waiting for the learner (an `Arc`, cheap to clone).
#[derive(Clone, Default)]
pub struct LearnFeed(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// What waits, and its body bytes.
    queue: Mutex<(Vec<Committed>, usize)>,
    /// Woken at each hand-over.
    wake: Notify,
}

impl LearnFeed {
    /// Hands over one committed webhook. Past the bounds it is dropped: the learner notices the
    /// gap in ids and reads that event from the store.
    pub fn push(&self, event: Committed) {
        let size = event.body.as_ref().map_or(0, |b| b.len());
        {
            let mut q = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
            if q.0.len() >= FEED_EVENTS || q.1 + size > FEED_BYTES {
                return;
            }
            q.0.push(event);
            q.1 += size;
        }
        self.0.wake.notify_one();
    }

    /// Everything handed over since the last call, in the order it came.
    pub fn take(&self) -> Vec<Committed> {
        let mut q = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.1 = 0;
        std::mem::take(&mut q.0)
    }

    /// Completes at the next hand-over (or at once if there was one since the last call).
    pub async fn handed_over(&self) {
        self.0.wake.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::Source;
    use bytes::Bytes;

    fn event(id: i64, size: usize) -> Committed {
        Committed {
            id,
            path: "/p".into(),
            event_type: None,
            source: Source::Direct,
            sent_by_hookpit: false,
            body: Some(Bytes::from(vec![b' '; size])),
        }
    }

    #[test]
    fn past_its_bytes_an_event_is_left_to_the_store() {
        let feed = LearnFeed::default();
        feed.push(event(1, FEED_BYTES - 10));
        feed.push(event(2, 11));
        feed.push(event(3, 10));
        let ids: Vec<i64> = feed.take().iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![1, 3]);
        // Taking frees the room.
        feed.push(event(4, FEED_BYTES));
        assert_eq!(feed.take().len(), 1);
        assert!(feed.take().is_empty());
    }

    #[tokio::test]
    async fn a_hand_over_before_the_wait_still_wakes_it() {
        let feed = LearnFeed::default();
        feed.push(event(1, 1));
        tokio::time::timeout(std::time::Duration::from_secs(5), feed.handed_over())
            .await
            .expect("the stored permit wakes the learner");
    }
}
