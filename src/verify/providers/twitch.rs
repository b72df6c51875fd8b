//! Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex>`, HMAC-SHA256 of
//! `{message id}{timestamp}{body}` keyed with the subscription's secret; the timestamp is RFC 3339
//! and Twitch says to reject messages over 10 minutes old.
//! Docs: <https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message>.

use super::need;
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "Twitch-Eventsub-Message-Signature";
const ID: &str = "Twitch-Eventsub-Message-Id";
const TIMESTAMP: &str = "Twitch-Eventsub-Message-Timestamp";

/// Twitch EventSub.
pub const PROVIDER: Provider = Provider {
    name: "twitch",
    title: "Twitch EventSub",
    headers: &[SIGNATURE, ID, TIMESTAMP],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(600),
    rejects_future: false,
    docs: "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message",
    secret: "the subscription's secret",
    signs: "{message id}{timestamp}{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2026-01-15T10:00:00.000Z"},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2026-01-15T10:00:00.000Z"}}"#,
        headers: &[
            ("Twitch-Eventsub-Message-Type", "notification"),
            ("Twitch-Eventsub-Subscription-Type", "channel.follow"),
            ("Twitch-Eventsub-Subscription-Version", "2"),
        ],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let id = need(req, ID)?;
    let ts = need(req, TIMESTAMP)?;
    let sig = value
        .trim_ascii()
        .strip_prefix(b"sha256=")
        .and_then(|hex| Encoding::Hex.decode(hex))
        .ok_or_else(|| {
            Unreadable::Malformed(format!("The {SIGNATURE} header is not \"sha256=<hex>\"."))
        })?;
    let seconds = std::str::from_utf8(ts)
        .ok()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp());
    Ok(Claim {
        signatures: vec![sig],
        contents: vec![[id, ts, req.body].concat()],
        timestamp: Some(Stamp {
            seconds,
            form: "an RFC 3339 time",
            ..Stamp::unix(format!("{TIMESTAMP} header"), ts)
        }),
        msg_id: Some(String::from_utf8_lossy(id).into_owned()),
        written: value[value.len().min(7)..].to_vec(),
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    let id = super::new_uuid();
    let ts = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let sig = sign(&[id.as_bytes(), ts.as_bytes(), &out.body].concat());
    out.headers.set(ID, id);
    out.headers.set(TIMESTAMP, ts);
    out.headers
        .set(SIGNATURE, format!("sha256={}", hex::encode(sig)));
}
