//! Standard Webhooks as a registry entry: its headers, tolerance and docs, and how
//! `hookpit send --provider standard` signs (fresh `svix-*` headers).

use super::{detect, new_msg_id, sign, verify};
use crate::verify::provider::{Check, Encoding, Outgoing, Provider, Sample};
use crate::verify::{Key, Scheme};

/// Standard Webhooks, and Svix and every product that sends through it.
pub const PROVIDER: Provider = Provider {
    name: "standard",
    title: "Standard Webhooks",
    headers: &[
        "svix-signature",
        "svix-id",
        "svix-timestamp",
        "webhook-signature",
        "webhook-id",
        "webhook-timestamp",
    ],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(crate::verify::TOLERANCE_S),
    rejects_future: true,
    docs: "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
    secret: "the endpoint's whsec_ secret (or whpk_ key)",
    signs: "{id}.{timestamp}.{body}",
    encoding: Encoding::Base64,
    detect: |req| detect(req.headers),
    check: Check::Own {
        verify: |req, keys, now| verify(req.headers, req.body, keys, now),
        usable: |key| key.hmac_bytes().is_some() || key.verifying_key().is_some(),
        sign: sign_outgoing,
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"type":"invoice.paid","timestamp":"2026-01-15T10:00:00Z","data":{"id":"inv_2bQ9","amount":4200,"currency":"usd"}}"#,
        headers: &[],
    },
};

/// Signs an outgoing request with fresh `svix-*` headers.
fn sign_outgoing(out: &mut Outgoing, keys: &[Key], now: i64) -> bool {
    let id = new_msg_id();
    let Some(signature) = sign(&id, now, &out.body, keys) else {
        return false;
    };
    out.headers.set("svix-id", id);
    out.headers.set("svix-timestamp", now.to_string());
    out.headers.set("svix-signature", signature);
    true
}
