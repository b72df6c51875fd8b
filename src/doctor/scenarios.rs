//! The battery `hookpit doctor` runs, as data: each scenario's body, how it is signed (or
//! mis-signed), how often it is delivered and what a correct app answers. Also the bodies and
//! the Svix-like headers of each delivery; judging the answers is in `report.rs`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::send::{Event, Message, RunStatus, SendError, Signing, Template, templates};
use crate::store::model::Headers;
use crate::verify::Key;
use crate::verify::standard::{new_ed25519_pair, new_secret};
use Expect::{Accept, Reject, Report};

/// Size of the `large_body` body: Svix's payload limit, 1 MiB.
pub const LARGE_BODY: usize = 1024 * 1024;
/// How far `old_timestamp` and `future_timestamp` move the signed time: twice Svix's tolerance.
pub const SKEW_S: i64 = 600;
/// Non-ASCII text raw (as serde_json and JavaScript write it) and `\u`-escaped (as Python's
/// `json.dumps` writes it), so re-serializing the body with any of them changes its bytes.
const UNICODE_TEXT: &str =
    "Zoë Ñúñez — café ☕ 🩺 line\u{2028}separator; escaped: \\u00e9 \\ud83e\\ude7a \\u2028";
/// Stands in for text spliced into a serialized body.
const PLACEHOLDER: &str = "__hookpit_doctor_placeholder__";
/// What the large body's message history repeats.
const FILLER: &str = "Clicked 'Confirm appointment' and waited for the confirmation dialog. ";

/// What a correct app answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Expect {
    /// A delivery Svix would make: the app must acknowledge it with a 2xx.
    #[serde(rename = "2xx")]
    Accept,
    /// A forgery or a replay: the app must refuse it with a 4xx.
    #[serde(rename = "4xx")]
    Reject,
    /// Any answer is only reported.
    #[serde(rename = "info")]
    Report,
}

/// The body a scenario sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `run_complete` in this status, with a failed post-run check or not, as compact JSON.
    Compact(RunStatus, bool),
    /// A successful `run_complete`, pretty-printed.
    Pretty,
    /// A successful `run_complete` with non-ASCII text, raw and escaped.
    Unicode,
    /// A successful `run_complete` with a message history that makes it exactly 1 MiB.
    Large,
}

/// How a scenario's deliveries differ from a correct Svix delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Twist {
    /// Not at all.
    None,
    /// One byte of the body changed after signing.
    TamperedBody,
    /// Signed with a fresh key instead of the endpoint's.
    WrongSecret,
    /// No `svix-signature` header.
    NoSignature,
    /// `svix-signature` carries the right digest hex-encoded (`v1,<hex>`), not base64.
    MalformedSignature,
    /// Signed correctly at a timestamp this many seconds from now.
    Shifted(i64),
    /// Two signatures: a fresh key's first, then the endpoint's (a key rotation).
    Rotation,
    /// `webhook-*` headers (Standard Webhooks) instead of `svix-*`.
    WebhookHeaders,
}

/// One scenario of the battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Its name, as `--only` takes it.
    pub name: &'static str,
    /// What it sends, in a few words.
    pub title: &'static str,
    /// What a correct app answers.
    pub expect: Expect,
    /// The body.
    pub body: BodyKind,
    /// How it is signed and sent.
    pub twist: Twist,
    /// How many times the same message (same `svix-id`) is delivered, each freshly signed.
    pub deliveries: usize,
}

const fn scenario(
    name: &'static str,
    title: &'static str,
    expect: Expect,
    body: BodyKind,
    twist: Twist,
) -> Scenario {
    Scenario {
        name,
        title,
        expect,
        body,
        twist,
        deliveries: 1,
    }
}

const SUCCESS: BodyKind = BodyKind::Compact(RunStatus::Success, false);

/// Every scenario, in the order they run.
#[rustfmt::skip]
pub const BATTERY: &[Scenario] = &[
    scenario("compact", "valid compact run_complete", Accept, SUCCESS, Twist::None),
    scenario("pretty", "the same event pretty-printed", Accept, BodyKind::Pretty, Twist::None),
    scenario("unicode", "non-ASCII text (é, emoji, U+2028), raw and \\u-escaped", Accept, BodyKind::Unicode, Twist::None),
    scenario("status_success", "run.status success", Accept, SUCCESS, Twist::None),
    scenario("status_error", "run.status error", Accept, BodyKind::Compact(RunStatus::Error, false), Twist::None),
    scenario("status_task_failed", "run.status task_failed", Accept, BodyKind::Compact(RunStatus::TaskFailed, false), Twist::None),
    scenario("status_cancelled", "run.status cancelled", Accept, BodyKind::Compact(RunStatus::Cancelled, false), Twist::None),
    scenario("check_failed", "task_failed with a failed post-run check", Accept, BodyKind::Compact(RunStatus::TaskFailed, true), Twist::None),
    scenario("tampered_body", "one byte of the body changed after signing", Reject, SUCCESS, Twist::TamperedBody),
    scenario("wrong_secret", "signed with the wrong secret", Reject, SUCCESS, Twist::WrongSecret),
    scenario("missing_signature", "no svix-signature header", Reject, SUCCESS, Twist::NoSignature),
    scenario("malformed_signature", "malformed svix-signature (v1,<hex>)", Reject, SUCCESS, Twist::MalformedSignature),
    scenario("old_timestamp", "correctly signed, 10 minutes old", Reject, SUCCESS, Twist::Shifted(-SKEW_S)),
    scenario("future_timestamp", "correctly signed, 10 minutes in the future", Reject, SUCCESS, Twist::Shifted(SKEW_S)),
    scenario("rotation", "two signatures, only the second matches", Accept, SUCCESS, Twist::Rotation),
    Scenario {
        deliveries: 2,
        ..scenario("duplicate", "the same svix-id twice, freshly signed", Accept, SUCCESS, Twist::None)
    },
    scenario("large_body", "a 1 MiB body", Accept, BodyKind::Large, Twist::None),
    scenario("webhook_headers", "webhook-* headers instead of svix-*", Report, SUCCESS, Twist::WebhookHeaders),
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    BATTERY.iter().find(|s| s.name == name)
}

/// A scenario made concrete: the message that signs the body and the bytes actually sent.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Signs every delivery (same `svix-id`).
    message: Message,
    /// What is sent: the signed body, or a tampered copy.
    body: Bytes,
    /// How each delivery's headers are bent.
    twist: Twist,
}

impl Scenario {
    /// Renders the body at `now` and signs it with `keys` (or with fresh keys, as the twist
    /// asks); fails only when no key can sign.
    pub fn plan(&self, keys: &[Key], now: DateTime<Utc>) -> Result<Plan, SendError> {
        let signed = self.body.render(now);
        let signers = match self.twist {
            Twist::WrongSecret => impostors(keys),
            Twist::Rotation => impostors(keys).into_iter().chain(keys.to_vec()).collect(),
            _ => keys.to_vec(),
        };
        let signing = Signing {
            keys: signers,
            ..Signing::default()
        };
        // Impostors exist only for keys that can sign, so this fails exactly when `keys` can't.
        let message = Message::new(signed.clone(), &signing)?;
        let body = match self.twist {
            Twist::TamperedBody => tamper(&signed),
            _ => signed,
        };
        Ok(Plan {
            message,
            body,
            twist: self.twist,
        })
    }
}

impl Plan {
    /// The bytes sent.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The `svix-timestamp` of a delivery made at `now` (unix seconds).
    pub fn timestamp(&self, now: i64) -> i64 {
        match self.twist {
            Twist::Shifted(by) => now + by,
            _ => now,
        }
    }

    /// The headers of a delivery made at `now`, in Svix's order, bent as the twist asks.
    pub fn headers(&self, now: i64) -> Headers {
        let mut headers = self.message.headers(self.timestamp(now));
        match self.twist {
            Twist::NoSignature => headers.retain(|(name, _)| name != "svix-signature"),
            Twist::MalformedSignature => headers
                .iter_mut()
                .filter(|(name, _)| name == "svix-signature")
                .for_each(|(_, value)| *value = hex_entries(value)),
            Twist::WebhookHeaders => {
                for (name, _) in &mut headers {
                    if let Some(rest) = name.strip_prefix("svix-") {
                        *name = format!("webhook-{rest}");
                    }
                }
            }
            _ => {}
        }
        headers
    }
}

impl BodyKind {
    /// The body as of `now`, with fresh ids.
    pub fn render(self, now: DateTime<Utc>) -> Bytes {
        let success = run_complete(RunStatus::Success, false);
        match self {
            BodyKind::Compact(status, checks_fail) => run_complete(status, checks_fail).body(now),
            BodyKind::Pretty => Bytes::from(
                serde_json::to_vec_pretty(&templates::render(&success, now))
                    .expect("JSON values serialize"),
            ),
            BodyKind::Unicode => {
                let mut value = templates::render(&success, now);
                value["run"]["input_values"]["patient_name"] = json!(PLACEHOLDER);
                splice(&value, UNICODE_TEXT.to_string())
            }
            BodyKind::Large => {
                let mut value = templates::render(&success, now);
                value["run"]["run_message_history"] =
                    json!([{ "role": "assistant", "content": PLACEHOLDER }]);
                let base = serialize(&value).len() - PLACEHOLDER.len();
                let room = LARGE_BODY.saturating_sub(base);
                splice(&value, FILLER.chars().cycle().take(room).collect())
            }
        }
    }
}

fn run_complete(status: RunStatus, checks_fail: bool) -> Event {
    Event {
        template: Template::RunComplete,
        status,
        checks_fail,
    }
}

fn serialize(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialize")
}

/// Compact JSON of `value` with the placeholder string replaced by `text`, unescaped.
fn splice(value: &Value, text: String) -> Bytes {
    Bytes::from(serialize(value).replacen(PLACEHOLDER, &text, 1))
}

/// Changes one hex digit of `event_id`: still valid JSON, so only a signature check notices.
fn tamper(body: &[u8]) -> Bytes {
    let needle = b"\"event_id\":\"";
    let mut out = body.to_vec();
    let at = body
        .windows(needle.len())
        .position(|w| w == needle)
        .map_or(0, |i| i + needle.len());
    if let Some(byte) = out.get_mut(at) {
        *byte = if *byte == b'0' { b'1' } else { b'0' };
    }
    Bytes::from(out)
}

/// A fresh key of the same kind for each key that can sign: signatures no endpoint expects.
fn impostors(keys: &[Key]) -> Vec<Key> {
    keys.iter()
        .filter_map(|key| {
            let fresh = if key.hmac_bytes().is_some() {
                new_secret()
            } else {
                key.signing_key()?;
                new_ed25519_pair().0
            };
            Key::parse(Some("impostor"), &fresh).ok()
        })
        .collect()
}

/// `v1,<base64>` entries rewritten as `v1,<hex>`: the right digest in the wrong encoding, which
/// the official libraries reject cleanly (it decodes as base64 of the wrong length).
fn hex_entries(value: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(value);
    let entries: Vec<String> = text
        .split(' ')
        .map(|entry| match entry.split_once(',') {
            Some((version, sig)) => match BASE64.decode(sig) {
                Ok(raw) => format!("{version},{}", hex::encode(raw)),
                Err(_) => entry.to_string(),
            },
            None => entry.to_string(),
        })
        .collect();
    entries.join(" ").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Reason, Status, verify};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn keys() -> Vec<Key> {
        vec![Key::parse(None, SECRET).expect("test key")]
    }

    /// hookpit's verdict on the first delivery of `name`, made now.
    fn judged(name: &str) -> (Status, Option<Reason>, Headers) {
        let plan = find(name)
            .expect("scenario")
            .plan(&keys(), Utc::now())
            .expect("plan");
        let now = Utc::now().timestamp();
        let headers = plan.headers(now);
        let v = verify(&headers, plan.body(), &keys(), now);
        (v.status, v.reason, headers)
    }

    #[test]
    fn doctor_battery_names_are_unique_and_complete() {
        let mut names: Vec<&str> = BATTERY.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 18);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 18);
        assert_eq!(find("duplicate").map(|s| s.deliveries), Some(2));
    }

    #[test]
    fn doctor_each_twist_is_judged_as_intended_by_hookpits_verifier() {
        use Status::*;
        for s in BATTERY {
            let (status, reason, headers) = judged(s.name);
            let wanted = match s.twist {
                Twist::None | Twist::Rotation | Twist::WebhookHeaders => (Valid, None),
                Twist::TamperedBody | Twist::WrongSecret => {
                    (Invalid, Some(Reason::SignatureMismatch))
                }
                Twist::NoSignature => (Invalid, Some(Reason::MissingHeader)),
                Twist::MalformedSignature => (Invalid, Some(Reason::MalformedSignature)),
                Twist::Shifted(by) if by < 0 => (Invalid, Some(Reason::TimestampTooOld)),
                Twist::Shifted(_) => (Invalid, Some(Reason::TimestampTooNew)),
            };
            assert_eq!((status, reason), wanted, "{}", s.name);
            let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(&names[..2], ["user-agent", "content-type"], "{}", s.name);
            let family = if s.twist == Twist::WebhookHeaders {
                "webhook-"
            } else {
                "svix-"
            };
            assert!(
                names[2..].iter().all(|n| n.starts_with(family)),
                "{names:?}"
            );
        }
        let (_, _, rotated) = judged("rotation");
        let sig = String::from_utf8_lossy(&rotated[4].1).into_owned();
        assert_eq!(sig.split(' ').count(), 2, "{sig}");
    }

    #[test]
    fn doctor_bodies_are_the_json_they_claim() {
        let now = Utc::now();
        let parse = |b: &Bytes| serde_json::from_slice::<Value>(b).expect("valid JSON");
        let compact = SUCCESS.render(now);
        let pretty = BodyKind::Pretty.render(now);
        assert!(pretty.contains(&b'\n') && !compact.contains(&b'\n'));
        assert_eq!(parse(&pretty)["run"]["status"], "success");
        let unicode = BodyKind::Unicode.render(now);
        let name = parse(&unicode)["run"]["input_values"]["patient_name"].clone();
        let name = name.as_str().expect("a string");
        assert!(name.contains("café") && name.contains('\u{2028}') && name.contains('é'));
        assert_eq!(name.matches('\u{2028}').count(), 2, "raw and escaped");
        let text = std::str::from_utf8(&unicode).expect("UTF-8");
        assert!(text.contains("\\u00e9") && text.contains('🩺'));
        let reserialized = serde_json::to_vec(&parse(&unicode)).expect("serializes");
        assert_ne!(reserialized, unicode.to_vec());
        let large = BodyKind::Large.render(now);
        assert_eq!(large.len(), LARGE_BODY);
        assert_eq!(parse(&large)["event_type"], "run_complete");
        let failed = BodyKind::Compact(RunStatus::TaskFailed, true).render(now);
        assert_eq!(
            parse(&failed)["run"]["post_run_checks"][0]["status"],
            "failed"
        );
        let tampered = tamper(&compact);
        let diff = compact.iter().zip(tampered.iter()).filter(|(a, b)| a != b);
        assert_eq!((diff.count(), tampered.len()), (1, compact.len()));
        parse(&tampered);
    }

    #[test]
    fn doctor_plans_need_a_key_that_signs() {
        let public = Key::parse(None, "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")
            .expect("public key");
        for s in BATTERY {
            let err = s.plan(std::slice::from_ref(&public), Utc::now());
            assert_eq!(err.err(), Some(SendError::NoSigningKey), "{}", s.name);
        }
    }
}
