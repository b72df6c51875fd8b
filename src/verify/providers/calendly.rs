//! Calendly: `Calendly-Webhook-Signature: t=<unix s>,v1=<hex>`, HMAC-SHA256 of `{t}.{body}`
//! keyed with the webhook subscription's signing key; its docs reject signatures over 3 minutes
//! old.
//! Docs: <https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures>.

use super::{need, pairs};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "Calendly-Webhook-Signature";

/// Calendly.
pub const PROVIDER: Provider = Provider {
    name: "calendly",
    title: "Calendly",
    headers: &[SIGNATURE],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(180),
    rejects_future: false,
    docs: "https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures",
    secret: "the webhook subscription's signing key",
    signs: "{t}.{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"created_at":"2026-01-15T10:00:00.000000Z","created_by":"https://api.calendly.com/users/AAAAAAAAAAAAAAAA","event":"invitee.created","payload":{"email":"test@example.com","name":"John Doe","status":"active","uri":"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA"}}"#,
        headers: &[],
    },
};

/// Reads `t=…,v1=…` headers (Calendly's and Mux's), with `what` naming the header.
pub(crate) fn read_t_v1(req: &Request<'_>, header: &str) -> Result<Claim, Unreadable> {
    let value = need(req, header)?;
    let items = pairs(value, b',');
    let t = items.iter().find(|(k, _)| *k == b"t").map(|(_, v)| *v);
    let sigs: Vec<Vec<u8>> = (items.iter())
        .filter(|(k, _)| *k == b"v1")
        .filter_map(|(_, v)| Encoding::Hex.decode(v))
        .collect();
    let (Some(t), false) = (t, sigs.is_empty()) else {
        return Err(Unreadable::Malformed(format!(
            "The {header} header is not \"t=<unix seconds>,v1=<hex>\"."
        )));
    };
    Ok(Claim {
        signatures: sigs,
        contents: vec![[t, b".", req.body].concat()],
        timestamp: Some(Stamp::unix(format!("{header} t= value"), t)),
        ..Claim::default()
    })
}

/// Writes a `t=…,v1=…` header.
pub(crate) fn write_t_v1(out: &mut Outgoing, sign: Signer<'_>, now: i64, header: &str) {
    let t = now.to_string();
    let sig = sign(&[t.as_bytes(), b".", &out.body].concat());
    out.headers
        .set(header, format!("t={t},v1={}", hex::encode(sig)));
}

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    read_t_v1(req, SIGNATURE)
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    write_t_v1(out, sign, now, SIGNATURE);
}
