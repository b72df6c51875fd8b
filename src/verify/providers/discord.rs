//! Discord (interactions and webhook events): `X-Signature-Ed25519: <hex>`, an ed25519
//! signature of `{timestamp}{body}` by Discord, checked with the application's public key (hex,
//! as the developer portal shows it); `X-Signature-Timestamp` in unix seconds, with no limit set
//! by `discord-interactions`.
//! Docs: <https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers>.

use super::need;
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "X-Signature-Ed25519";
const TIMESTAMP: &str = "X-Signature-Timestamp";

/// Discord.
pub const PROVIDER: Provider = Provider {
    name: "discord",
    title: "Discord",
    headers: &[SIGNATURE, TIMESTAMP],
    algorithm: Scheme::Ed25519,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers",
    secret: "the application's public key (64 hex digits)",
    signs: "{timestamp}{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"type":1,"id":"786008729715212338","application_id":"775799577604948007","token":"aW50ZXJhY3Rpb246Nzg2MDA4NzI5NzE1MjEyMzM4","version":1}"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let ts = need(req, TIMESTAMP)?;
    let sig = Encoding::Hex
        .decode(value)
        .filter(|s| s.len() == 64)
        .ok_or_else(|| {
            Unreadable::Malformed(format!(
                "The {SIGNATURE} header is not 128 hex digits (an ed25519 signature)."
            ))
        })?;
    Ok(Claim {
        signatures: vec![sig],
        contents: vec![[ts, req.body].concat()],
        timestamp: Some(Stamp::unix(format!("{TIMESTAMP} header"), ts)),
        written: value.to_vec(),
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    let ts = now.to_string();
    let sig = sign(&[ts.as_bytes(), &out.body].concat());
    out.headers.set(TIMESTAMP, ts);
    out.headers.set(SIGNATURE, hex::encode(sig));
}
