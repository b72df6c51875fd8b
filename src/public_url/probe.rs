//! The canary's proof: each probe carries `Hookpit-Canary: v1,<id>,<tag>`, where the tag is an
//! HMAC-SHA256 of the id under a secret this hookpit drew once, keeps in its database and never
//! sends. Only an id
//! with a valid tag is a probe: an outside sender cannot forge one. A probe that arrives after
//! the prober gave up on it (queued at a relay while the agent was away) or a second time is
//! still this process's own, so it is dropped, not counted. Anything else is an ordinary webhook.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use tokio::sync::oneshot;

use crate::headers::Headers;

/// The header a probe carries.
pub const CANARY_HEADER: &str = "hookpit-canary";

/// The path probes are sent to under the public URL (any path would do; this one reads well in
/// a tunnel's own logs).
pub const CANARY_PATH: &str = "/hookpit-canary";

/// What the receiving side learned about a probe's trip on to the app (`--canary-app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCheck {
    /// The app answered as a Svix sender needs.
    pub ok: bool,
    /// The app's status, when it answered.
    pub status: Option<u16>,
    /// What the judge said, in words.
    pub detail: String,
}

/// A probe that arrived: answer it, and tell the waiting prober through `reply`.
#[derive(Debug)]
pub struct Arrived {
    /// The probe's id.
    pub id: String,
    /// Where the prober waits for the receipt (which carries the app check, when asked for);
    /// `None` when nobody waits any more: a late or repeated probe.
    pub reply: Option<oneshot::Sender<Option<AppCheck>>>,
}

/// A probe on its way: its header value, and where its receipt arrives.
#[derive(Debug)]
pub struct Outgoing {
    /// The probe's id (to cancel it).
    pub id: String,
    /// The `Hookpit-Canary` value.
    pub header: String,
    /// Completed when the probe arrives at this process.
    pub receipt: oneshot::Receiver<Option<AppCheck>>,
}

/// The per-instance secret, the probes in flight and the counters (an `Arc`, cheap to clone).
#[derive(Clone)]
pub struct Probes(Arc<Inner>);

struct Inner {
    /// Drawn once per database, never sent.
    key: ring::hmac::Key,
    /// Probes sent and not yet arrived, by id.
    pending: Mutex<HashMap<String, oneshot::Sender<Option<AppCheck>>>>,
    /// Probes sent.
    sent: AtomicU64,
    /// Probes that arrived.
    received: AtomicU64,
}

impl Default for Probes {
    fn default() -> Self {
        Probes::with_secret(&rand::random::<[u8; 32]>())
    }
}

impl Probes {
    /// Probes tagged under `secret`. hookpit keeps it in its database, so a probe an earlier
    /// run sent through a relay, delivered after a restart, is still recognised as its own.
    pub fn with_secret(secret: &[u8]) -> Probes {
        Probes(Arc::new(Inner {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            pending: Mutex::default(),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        }))
    }

    /// A new probe: counted as sent, waited for until it arrives or is [`Probes::cancel`]led.
    pub fn start(&self) -> Outgoing {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let tag = B64.encode(ring::hmac::sign(&self.0.key, id.as_bytes()));
        let (tx, rx) = oneshot::channel();
        self.pending().insert(id.clone(), tx);
        self.0.sent.fetch_add(1, Ordering::Relaxed);
        Outgoing {
            header: format!("v1,{id},{tag}"),
            id,
            receipt: rx,
        }
    }

    /// Stops waiting for a probe (it timed out); if it arrives later it is an ordinary webhook.
    pub fn cancel(&self, id: &str) {
        self.pending().remove(id);
    }

    /// The probe these headers carry, if they carry one of this process's (a valid tag); one
    /// still awaited is taken and counted.
    pub fn arrived(&self, headers: &Headers) -> Option<Arrived> {
        let value = headers.get(CANARY_HEADER)?;
        let value = std::str::from_utf8(value).ok()?;
        let mut parts = value.trim().splitn(3, ',');
        let (version, id, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if version != "v1" {
            return None;
        }
        let tag = B64.decode(tag).ok()?;
        ring::hmac::verify(&self.0.key, id.as_bytes(), &tag).ok()?;
        let reply = self.pending().remove(id);
        if reply.is_some() {
            self.0.received.fetch_add(1, Ordering::Relaxed);
        }
        Some(Arrived {
            id: id.to_string(),
            reply,
        })
    }

    /// Probes sent so far.
    pub fn sent(&self) -> u64 {
        self.0.sent.load(Ordering::Relaxed)
    }

    /// Probes that arrived so far.
    pub fn received(&self) -> u64 {
        self.0.received.load(Ordering::Relaxed)
    }

    fn pending(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Option<AppCheck>>>> {
        self.0.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrying(value: &str) -> Headers {
        Headers::from(vec![(
            "Hookpit-Canary".to_string(),
            value.as_bytes().to_vec(),
        )])
    }

    #[test]
    fn a_probe_arrives_once_and_is_counted() {
        let probes = Probes::default();
        let mut out = probes.start();
        let arrived = probes.arrived(&carrying(&out.header)).expect("a probe");
        assert_eq!(arrived.id, out.id);
        let reply = arrived.reply.expect("awaited");
        reply.send(None).expect("the prober waits");
        assert_eq!(out.receipt.try_recv(), Ok(None));
        let again = probes.arrived(&carrying(&out.header)).expect("still ours");
        assert!(
            again.reply.is_none(),
            "a repeated probe is awaited by nobody"
        );
        assert_eq!((probes.sent(), probes.received()), (1, 1));
    }

    #[test]
    fn forged_and_foreign_probes_are_webhooks() {
        let probes = Probes::default();
        let out = probes.start();
        let other = Probes::default().start();
        let wrong_tag = format!("v1,{},{}", out.id, B64.encode([0u8; 32]));
        let foreign = other.header.replace(&other.id, &out.id);
        for forged in [
            wrong_tag.as_str(),
            &foreign,
            &other.header,
            "v1,abc",
            "v2,x,y",
            "",
        ] {
            assert!(probes.arrived(&carrying(forged)).is_none(), "{forged:?}");
        }
        assert!(probes.arrived(&Headers::default()).is_none());
        assert_eq!(probes.received(), 0);
        probes.cancel(&out.id);
        let late = probes
            .arrived(&carrying(&out.header))
            .expect("a late probe is still ours");
        assert!(late.reply.is_none());
        assert_eq!(probes.received(), 0, "a late probe is not counted");
    }
}
