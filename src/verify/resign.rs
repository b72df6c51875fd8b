//! Re-signing: fresh signatures for a webhook sent again (a replay, a fixture), in the scheme
//! its headers already use, with the caller's keys and time. Shared by the replay and the sender.

use super::{Key, github, standard, stripe};
use crate::headers::Headers;

/// Re-signs `headers` for `body` at `now` with `keys`, in the scheme the headers already use
/// (Standard Webhooks by default). Header order and names are kept; values are replaced.
/// `None` when the webhook is signed but no key can sign it; unsigned webhooks without a key
/// are returned unchanged.
pub fn resign(
    headers: &Headers,
    body: &[u8],
    keys: &[Key],
    new_id: bool,
    now: i64,
) -> Option<Headers> {
    let has = |name: &str| headers.contains(name);
    let mut out = headers.clone();
    if has(stripe::HEADER) {
        out.set(stripe::HEADER, stripe::sign(now, body, keys)?);
        return Some(out);
    }
    if has(github::HEADER) {
        out.set(github::HEADER, github::sign(body, keys)?);
        return Some(out);
    }
    let family = if has("webhook-signature") || has("webhook-id") {
        "webhook"
    } else {
        "svix"
    };
    let signed = has(&format!("{family}-signature"));
    let old_id = out.get_str(&format!("{family}-id")).map(str::to_string);
    let msg_id = match old_id {
        Some(id) if !new_id => id,
        _ => standard::new_msg_id(),
    };
    let Some(signature) = standard::sign(&msg_id, now, body, keys) else {
        return if signed { None } else { Some(out) };
    };
    out.set(&format!("{family}-id"), msg_id);
    out.set(&format!("{family}-timestamp"), now.to_string());
    out.set(&format!("{family}-signature"), signature);
    Some(out)
}
