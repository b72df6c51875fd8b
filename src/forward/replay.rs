//! Replays: send a stored webhook again, re-signed with a fresh timestamp (what Svix does on each
//! retry, so the app's real verification passes even for an hour-old webhook) or verbatim (to
//! test the app's replay protection), optionally with an edited body or headers.

use bytes::Bytes;
use serde::Deserialize;

use super::{Outgoing, REPLAY_HEADER, outgoing_headers, target_for};
use crate::app::App;
use crate::store::StoreError;
use crate::store::model::{Attempt, AttemptKind, StoredEvent};
pub use crate::verify::resign;

/// How a replay treats signatures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayMode {
    /// Fresh timestamp and signatures from the route's keys (the default).
    #[default]
    Resign,
    /// The original headers untouched.
    Verbatim,
}

impl ReplayMode {
    /// The wire name, recorded as the Attempt's mode.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayMode::Resign => "resign",
            ReplayMode::Verbatim => "verbatim",
        }
    }
}

/// `POST /api/events/{id}/replay`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Where to send it; the event's forward target when absent.
    pub target: Option<String>,
    /// Re-sign (default) or verbatim.
    #[serde(default)]
    pub mode: ReplayMode,
    /// Mint a new message id instead of keeping the original.
    #[serde(default)]
    pub new_id: bool,
    /// An edited body (text) to send instead of the stored one.
    pub body: Option<String>,
    /// Edited headers (`[name, value]` pairs) to send instead of the stored ones.
    pub headers: Option<Vec<(String, String)>>,
}

/// Why a replay could not be sent at all (a failed delivery is an Attempt, not this).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No such event.
    #[error("no event with id {0}")]
    NotFound(i64),
    /// Nowhere to send it.
    #[error("no target: pass \"target\", or start hookpit with --forward URL")]
    NoTarget,
    /// The target is not an http:// or https:// URL.
    #[error("target {0:?} must be an absolute http:// or https:// URL")]
    BadTarget(String),
    /// Signed, but no key that can sign for its route.
    #[error(
        "cannot re-sign: no signing key (whsec_/whsk_) is configured for {0}; add one or replay verbatim"
    )]
    NoSigningKey(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replays one stored event; the Attempt records what the app answered.
pub async fn replay(app: &App, id: i64, req: ReplayRequest) -> Result<Attempt, ReplayError> {
    let event = app.store.get(id).await?.ok_or(ReplayError::NotFound(id))?;
    let target = match req.target.filter(|t| !t.trim().is_empty()) {
        Some(t) => t,
        None => target_for(app, &event.summary.path, &event.summary.query)
            .ok_or(ReplayError::NoTarget)?,
    };
    let uri: http::Uri = target
        .parse()
        .map_err(|_| ReplayError::BadTarget(target.clone()))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err(ReplayError::BadTarget(target));
    }
    let out = prepare(
        app,
        &event,
        req.mode,
        req.new_id,
        req.body,
        req.headers,
        target,
    )?;
    let resign = req.mode == ReplayMode::Resign;
    let shaped = super::transformed::shape(app, &event.summary, out, resign).await;
    let (attempt, _) = super::attempt(
        app,
        id,
        AttemptKind::Replay,
        req.mode.as_str(),
        shaped,
        None,
        0,
    )
    .await?;
    Ok(attempt)
}

/// The request a replay (or an ack-mode retry) sends.
pub fn prepare(
    app: &App,
    event: &StoredEvent,
    mode: ReplayMode,
    new_id: bool,
    body: Option<String>,
    headers: Option<Vec<(String, String)>>,
    target: String,
) -> Result<Outgoing, ReplayError> {
    let body = body.map(Bytes::from).unwrap_or_else(|| event.body.clone());
    let mut headers = match headers {
        Some(edited) => edited
            .into_iter()
            .map(|(n, v)| (n, v.into_bytes()))
            .collect(),
        None => event.headers.clone(),
    };
    if mode == ReplayMode::Resign {
        let keys = app.keys.for_path(&event.summary.path);
        let now = app.clock.now().timestamp();
        headers = crate::verify::resign_to(&headers, &body, &keys, new_id, now, &target)
            .ok_or_else(|| ReplayError::NoSigningKey(event.summary.path.clone()))?;
    }
    let mut headers = outgoing_headers(&headers, &app.marker);
    headers.push((
        REPLAY_HEADER.to_string(),
        app.marker.value().as_bytes().to_vec(),
    ));
    Ok(Outgoing {
        method: event.summary.method.clone(),
        url: target,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::Headers;
    use crate::verify::{Key, Status, standard, verify};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn key() -> Vec<Key> {
        vec![Key::parse(None, SECRET).expect("key")]
    }

    #[test]
    fn an_hour_old_webhook_verifies_again_after_resign() {
        let body = br#"{"event_type":"run_complete"}"#;
        let hour_ago = 1_795_700_000;
        let sig = standard::sign("msg_old", hour_ago, body, &key()).expect("signs");
        let headers: Headers = Headers::from(vec![
            ("Content-Type".into(), b"application/json".to_vec()),
            ("svix-id".into(), b"msg_old".to_vec()),
            ("svix-timestamp".into(), hour_ago.to_string().into_bytes()),
            ("svix-signature".into(), sig.into_bytes()),
        ]);
        let now = hour_ago + 3600;
        assert_eq!(verify(&headers, body, &key(), now).status, Status::Invalid);
        let fresh = resign(&headers, body, &key(), false, now).expect("re-signed");
        let v = verify(&fresh, body, &key(), now);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
        assert_eq!(v.msg_id.as_deref(), Some("msg_old"));
        assert_eq!(fresh[0].0, "Content-Type", "order kept");
        let renamed = resign(&headers, body, &key(), true, now).expect("re-signed");
        assert_ne!(
            verify(&renamed, body, &key(), now).msg_id.as_deref(),
            Some("msg_old")
        );
    }

    #[test]
    fn webhook_prefixed_stripe_and_github_headers_keep_their_scheme() {
        let body = b"{}";
        let std_headers: Headers = Headers::from(vec![
            ("webhook-id".into(), b"msg_1".to_vec()),
            ("webhook-signature".into(), b"v1,x".to_vec()),
        ]);
        let out = resign(&std_headers, body, &key(), false, 100).expect("signed");
        assert!(out.iter().all(|(n, _)| n.starts_with("webhook-")));
        assert_eq!(verify(&out, body, &key(), 100).status, Status::Valid);
        let stripe_headers: Headers =
            Headers::from(vec![("Stripe-Signature".into(), b"t=1,v1=00".to_vec())]);
        let out = resign(&stripe_headers, body, &key(), false, 100).expect("signed");
        assert_eq!(verify(&out, body, &key(), 100).status, Status::Valid);
        let gh: Headers =
            Headers::from(vec![("X-Hub-Signature-256".into(), b"sha256=00".to_vec())]);
        let out = resign(&gh, body, &key(), false, 100).expect("signed");
        assert_eq!(verify(&out, body, &key(), 100).status, Status::Valid);
    }

    #[test]
    fn signed_without_a_signing_key_is_refused_unsigned_passes() {
        let signed: Headers = Headers::from(vec![("svix-signature".into(), b"v1,x".to_vec())]);
        assert!(resign(&signed, b"", &[], false, 1).is_none());
        let unsigned: Headers = Headers::from(vec![("X-A".into(), b"1".to_vec())]);
        assert_eq!(resign(&unsigned, b"", &[], false, 1), Some(unsigned));
    }
}
