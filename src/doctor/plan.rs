//! A scenario made concrete: its body (compact, pretty, non-ASCII or 1 MiB `run_complete`),
//! signed with the endpoint's keys (or impostors), and each delivery's headers as Svix sends
//! them, bent as the scenario asks (tampered, unsigned, malformed, shifted, renamed).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::scenarios::{BodyKind, Scenario, Twist};
use crate::send::{Event, Message, RunStatus, SendError, Signing, Template, templates};
use crate::store::model::Headers;
use crate::verify::standard::{new_ed25519_pair, new_secret};
use crate::verify::{Key, Provider, new_key_for};

/// Size of the `large_body` body: Svix's payload limit, 1 MiB.
pub const LARGE_BODY: usize = 1024 * 1024;
/// Non-ASCII text raw (as serde_json and JavaScript write it) and `\u`-escaped (as Python's
/// `json.dumps` writes it), so re-serializing the body with any of them changes its bytes.
const UNICODE_TEXT: &str =
    "Zoë Ñúñez — café ☕ 🩺 line\u{2028}separator; escaped: \\u00e9 \\ud83e\\ude7a \\u2028";
/// Stands in for text spliced into a serialized body.
const PLACEHOLDER: &str = "__hookpit_doctor_placeholder__";
/// What the large body's message history repeats.
const FILLER: &str = "Clicked 'Confirm appointment' and waited for the confirmation dialog. ";

/// A scenario made concrete: the message that signs the body and the bytes actually sent.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Signs every delivery (same `svix-id`).
    message: Message,
    /// What is sent: the signed body, or a tampered copy.
    body: Bytes,
    /// How each delivery's headers are bent.
    twist: Twist,
    /// Signed as this provider signs (`--provider`), not as Svix.
    provider: Option<&'static Provider>,
    /// `retried_run`'s last delivery: the run retried, under a message id of its own.
    retried: Option<Message>,
}

impl Scenario {
    /// Renders the body at `now` and signs it with `keys` (or with fresh keys, as the twist
    /// asks); fails only when no key can sign.
    pub fn plan(&self, keys: &[Key], now: DateTime<Utc>) -> Result<Plan, SendError> {
        if self.twist == Twist::RetriedRun {
            return retried_run(keys, now);
        }
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
            provider: None,
            retried: None,
        })
    }

    /// The scenario as `provider` would send it: its sample signed with `keys` (or with a fresh
    /// key of the provider's form, as the twist asks).
    pub fn plan_as(&self, provider: &'static Provider, keys: &[Key]) -> Result<Plan, SendError> {
        let signers = match self.twist {
            Twist::WrongSecret => {
                let (fresh, _) = new_key_for(provider);
                vec![
                    Key::parse(Some("impostor"), &fresh)
                        .map_err(|e| SendError::Provider(e.to_string()))?,
                ]
            }
            _ => keys.to_vec(),
        };
        let signing = Signing {
            keys: signers,
            ..Signing::default()
        };
        let message = Message::for_provider(provider, None, &signing)?;
        Ok(Plan {
            body: message.body.clone(),
            message,
            twist: self.twist,
            provider: Some(provider),
            retried: None,
        })
    }
}

impl Plan {
    /// The bytes sent.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The signed timestamp of a delivery made at `now` (unix seconds).
    pub fn timestamp(&self, now: i64) -> i64 {
        match (self.twist, self.provider.and_then(|p| p.tolerance_s)) {
            (Twist::Shifted(direction), Some(tolerance)) => now + direction * 2 * tolerance,
            (Twist::Shifted(by), None) => now + by,
            _ => now,
        }
    }

    /// The headers and body of delivery `index` (from 0) of `deliveries` to `target`, made at
    /// `now`: as Svix sends it, or as the provider does, bent as the twist asks.
    pub fn delivery(
        &self,
        index: usize,
        deliveries: usize,
        target: &http::Uri,
        now: i64,
    ) -> (Headers, Bytes) {
        if let Some(retried) = self.retried.as_ref().filter(|_| index + 1 == deliveries) {
            return (retried.headers(now), retried.body.clone());
        }
        let Some(provider) = self.provider else {
            return (self.headers(now), self.body.clone());
        };
        let (mut headers, body) = self.message.signed(target, self.timestamp(now));
        match self.twist {
            Twist::TamperedBody => return (headers, tamper_letter(&body)),
            Twist::NoSignature => headers.remove(provider.headers[0]),
            _ => {}
        }
        (headers, body)
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

/// `retried_run`'s plan: a `task_failed` run whose message id is its run id (as Cyberdesk sends
/// most runs), and the same run retried as a `success`: a new webhook (fresh `event_id`) under
/// the message id `<run_id>_<ms>`.
fn retried_run(keys: &[Key], now: DateTime<Utc>) -> Result<Plan, SendError> {
    let run_id = crate::verify::providers::new_uuid();
    let signed = |status: RunStatus, msg_id: String| {
        let mut value = templates::render(&run_complete(status, false), now);
        value["run"]["id"] = json!(run_id);
        let signing = Signing {
            keys: keys.to_vec(),
            msg_id: Some(msg_id),
            ..Signing::default()
        };
        Message::new(Bytes::from(serialize(&value)), &signing)
    };
    let message = signed(RunStatus::TaskFailed, run_id.clone())?;
    let retried = signed(
        RunStatus::Success,
        format!("{run_id}_{}", now.timestamp_millis()),
    )?;
    Ok(Plan {
        body: message.body.clone(),
        message,
        twist: Twist::RetriedRun,
        provider: None,
        retried: Some(retried),
    })
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
pub(super) fn tamper(body: &[u8]) -> Bytes {
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

/// The first lower-case letter upper-cased: one byte changed, still JSON or a form.
fn tamper_letter(body: &[u8]) -> Bytes {
    let mut out = body.to_vec();
    if let Some(b) = out.iter_mut().find(|b| b.is_ascii_lowercase()) {
        *b = b.to_ascii_uppercase();
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
