//! The `v0=` scheme Slack and Zoom share: `v0=<hex>` of HMAC-SHA256 over
//! `v0:{timestamp}:{body}`, the timestamp (unix seconds) in a header of its own. Each provider
//! names its two headers.

use super::need;
use crate::verify::provider::{Claim, Encoding, Outgoing, Request, Signer, Stamp, Unreadable};

/// Reads the claim from headers `signature` and `timestamp`.
pub(crate) fn read(
    req: &Request<'_>,
    signature: &str,
    timestamp: &str,
) -> Result<Claim, Unreadable> {
    let value = need(req, signature)?;
    let ts = need(req, timestamp)?;
    let sig = value
        .trim_ascii()
        .strip_prefix(b"v0=")
        .and_then(|hex| Encoding::Hex.decode(hex))
        .ok_or_else(|| {
            Unreadable::Malformed(format!("The {signature} header is not \"v0=<hex>\"."))
        })?;
    Ok(Claim {
        signatures: vec![sig],
        contents: vec![[b"v0:", ts, b":", req.body].concat()],
        timestamp: Some(Stamp::unix(format!("{timestamp} header"), ts)),
        written: value[value.len().min(3)..].to_vec(),
        ..Claim::default()
    })
}

/// Signs `out` at `now` into headers `signature` and `timestamp`.
pub(crate) fn write(
    out: &mut Outgoing,
    sign: Signer<'_>,
    now: i64,
    signature: &str,
    timestamp: &str,
) {
    let ts = now.to_string();
    let sig = sign(&[b"v0:", ts.as_bytes(), b":", &out.body].concat());
    out.headers.set(timestamp, ts);
    out.headers
        .set(signature, format!("v0={}", hex::encode(sig)));
}
