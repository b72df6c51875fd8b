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
    /// A bulk replay made progress.
    #[serde(rename = "replay.progress")]
    ReplayProgress(crate::forward::bulk::Progress),
    /// A doctor run made progress (started, a scenario running or ended, finished).
    #[serde(rename = "doctor.progress")]
    DoctorProgress(crate::doctor::wire::Frame),
    /// The relay connection changed (state, heartbeat, backlog).
    #[serde(rename = "relay.status")]
    RelayStatus(crate::relay::agent::RelayStatus),
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
