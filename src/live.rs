//! The live hub: every change worth showing is published once, serialized once, and fanned out
//! to WebSocket clients over a broadcast channel. Publishing never waits on a client; a client
//! that lags behind is told to `resync` instead of slowing capture down.

use serde::Serialize;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::store::model::EventSummary;
use crate::wire::AttemptJson;

/// How many frames a client may fall behind before it is told to resync.
pub const LIVE_BUFFER: usize = 4096;

/// A message of the live stream: `{"type": …, "data": …}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum LiveEvent {
    /// A webhook was captured and stored.
    #[serde(rename = "event.created")]
    EventCreated(EventSummary),
    /// An event's summary changed (re-verified).
    #[serde(rename = "event.updated")]
    EventUpdated(EventSummary),
    /// An event was deleted.
    #[serde(rename = "event.deleted")]
    EventDeleted {
        /// The deleted event.
        id: i64,
    },
    /// Every event was deleted.
    #[serde(rename = "events.cleared")]
    EventsCleared,
    /// A delivery try started.
    #[serde(rename = "attempt.created")]
    AttemptCreated(AttemptJson),
    /// A delivery try finished.
    #[serde(rename = "attempt.updated")]
    AttemptUpdated(AttemptJson),
    /// The client missed frames and must refetch.
    #[serde(rename = "resync")]
    Resync,
}

impl LiveEvent {
    /// The JSON text frame, cheap to clone for every client.
    pub fn to_frame(&self) -> Utf8Bytes {
        serde_json::to_string(self)
            .expect("live events hold only strings, numbers and maps")
            .into()
    }
}

/// A frame type owned by the module that publishes it (a bulk replay's progress, a doctor run's
/// steps, the relay connection's status): the hub sends it as `{"type": TYPE, "data": …}`, the
/// same envelope as [`LiveEvent`], without `live` knowing anything above it.
pub trait Frame: Serialize {
    /// The frame's `type`.
    const TYPE: &'static str;
}

/// The envelope of an owned [`Frame`].
#[derive(Serialize)]
struct Envelope<'a, F> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: &'a F,
}

/// Handle to the broadcast hub (a cloneable `broadcast::Sender` of pre-serialized frames).
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Utf8Bytes>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            sender: broadcast::channel(LIVE_BUFFER).0,
        }
    }
}

impl LiveHub {
    /// Publishes to every connected client; costs nothing when no one listens.
    pub fn publish(&self, event: LiveEvent) {
        if self.sender.receiver_count() > 0 {
            // An error only means every client left since the check: nothing to deliver.
            let _ = self.sender.send(event.to_frame());
        }
    }

    /// Publishes a frame whose type its publisher owns; costs nothing when no one listens.
    pub fn publish_frame<F: Frame>(&self, frame: &F) {
        if self.sender.receiver_count() > 0 {
            let envelope = Envelope {
                kind: F::TYPE,
                data: frame,
            };
            let text = serde_json::to_string(&envelope).expect("live frames serialize");
            // An error only means every client left since the check: nothing to deliver.
            let _ = self.sender.send(text.into());
        }
    }

    /// How many receivers are subscribed now (WebSocket clients and waiters).
    pub fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// A new client's receiver, starting with the next published frame.
    pub fn subscribe(&self) -> broadcast::Receiver<Utf8Bytes> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_type_and_data() {
        let frame = LiveEvent::EventDeleted { id: 4 }.to_frame();
        assert_eq!(&*frame, r#"{"type":"event.deleted","data":{"id":4}}"#);
        assert_eq!(&*LiveEvent::Resync.to_frame(), r#"{"type":"resync"}"#);
    }

    #[derive(Serialize)]
    struct Owned {
        n: u8,
    }

    impl Frame for Owned {
        const TYPE: &'static str = "owned.frame";
    }

    #[tokio::test]
    async fn owned_frames_have_the_same_envelope() {
        let hub = LiveHub::default();
        let mut rx = hub.subscribe();
        hub.publish_frame(&Owned { n: 7 });
        let frame = rx.recv().await.expect("one frame");
        assert_eq!(&*frame, r#"{"type":"owned.frame","data":{"n":7}}"#);
    }

    #[tokio::test]
    async fn a_lagging_receiver_sees_lagged_not_a_closed_channel() {
        let hub = LiveHub::default();
        let mut rx = hub.subscribe();
        for i in 0..(LIVE_BUFFER as i64 + 10) {
            hub.publish(LiveEvent::EventDeleted { id: i });
        }
        assert!(matches!(
            rx.recv().await,
            Err(broadcast::error::RecvError::Lagged(10))
        ));
        assert!(rx.recv().await.is_ok(), "still subscribed after lagging");
    }
}
