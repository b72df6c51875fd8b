//! Re-signing: fresh signatures for a webhook sent again (a replay, a fixture), in the scheme
//! its headers already use, with the caller's keys and time. Shared by the replay and the sender.

use super::provider::{Outgoing, Request};
use super::{Key, github, registry, standard, stripe};
use crate::headers::Headers;

/// Re-signs `headers` for `body` at `now` with `keys`, in the scheme the headers already use
/// (Standard Webhooks by default). Header order and names are kept; values are replaced.
/// `None` when the webhook is signed but no key can sign it; unsigned webhooks without a key
/// are returned unchanged. The providers that sign the URL are signed for `/`; a replay uses
/// [`resign_to`].
pub fn resign(
    headers: &Headers,
    body: &[u8],
    keys: &[Key],
    new_id: bool,
    now: i64,
) -> Option<Headers> {
    resign_to(headers, body, keys, new_id, now, "/")
}

/// [`resign`] for a request that goes to `url` (Twilio, Square and HubSpot sign it). A webhook
/// of a provider that signs inside its body (Mailgun's token, Linear's `webhookTimestamp`) keeps
/// its headers: its body is sent as it was, so its signature stays what it was.
pub fn resign_to(
    headers: &Headers,
    body: &[u8],
    keys: &[Key],
    new_id: bool,
    now: i64,
    url: &str,
) -> Option<Headers> {
    let detected = registry::detect(&Request::post(headers, body));
    if let Some(p) = detected.filter(|p| !matches!(p.name, "standard" | "stripe" | "github")) {
        let mut out = Outgoing {
            method: "POST".into(),
            url: url.to_string(),
            headers: headers.clone(),
            body: body.to_vec(),
        };
        p.sign(&mut out, keys, now).ok()?;
        return Some(match out.body == body {
            true => out.headers,
            false => headers.clone(),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Status, verify};

    #[test]
    fn a_providers_webhook_is_resigned_as_that_provider() {
        let body = br#"{"id":1}"#;
        let mut headers = Headers::default();
        headers.set("X-Shopify-Topic", "orders/create");
        headers.set("X-Shopify-Hmac-Sha256", "c3RhbGUgc2lnbmF0dXJl");
        let key = Key::parse(Some("shop"), "shopify:shpss_0123456789abcdef").expect("key");
        let fresh = resign(&headers, body, std::slice::from_ref(&key), false, 1).expect("signed");
        assert!(!fresh.contains("svix-signature"), "{fresh:?}");
        assert_eq!(fresh.get_str("X-Shopify-Topic"), Some("orders/create"));
        let v = verify(&fresh, body, &[key], 1);
        assert_eq!(
            (v.status, v.provider.as_deref()),
            (Status::Valid, Some("shopify"))
        );
        // No key can sign for it: refused, as for the other schemes.
        let slack = Key::parse(None, "slack:xoxb-not-shopify").expect("key");
        assert!(resign(&headers, body, &[slack], false, 1).is_none());
    }
}
