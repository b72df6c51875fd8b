//! Postmark: no signature; webhooks are protected by HTTP basic auth credentials put in the
//! webhook URL (`https://user:password@…`), which arrive as `Authorization: Basic …`. hookpit
//! compares them with the configured `user:password`; told apart by Postmark's `User-Agent`.
//! Docs: <https://postmarkapp.com/developer/webhooks/webhooks-overview#protecting-your-webhook>.

use super::need;
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable,
};

const AUTHORIZATION: &str = "Authorization";

/// Postmark.
pub const PROVIDER: Provider = Provider {
    name: "postmark",
    title: "Postmark",
    headers: &[AUTHORIZATION, "User-Agent: Postmark"],
    algorithm: Scheme::Basic,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://postmarkapp.com/developer/webhooks/webhooks-overview#protecting-your-webhook",
    secret: "the user name and password of the webhook URL (user:password)",
    signs: "nothing",
    encoding: Encoding::Raw,
    detect: |req| {
        let postmark = req
            .header("User-Agent")
            .is_some_and(|ua| String::from_utf8_lossy(ua).contains("Postmark"));
        postmark && req.header(AUTHORIZATION).is_some()
    },
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"00000000-0000-0000-0000-000000000000","Recipient":"john@example.com","Tag":"welcome-email","DeliveredAt":"2026-01-15T10:00:00Z","Details":"Test delivery webhook details","Metadata":{"a_key":"a_value"}}"#,
        headers: &[("User-Agent", "Postmark")],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, AUTHORIZATION)?;
    let decoded = value
        .trim_ascii()
        .strip_prefix(b"Basic ")
        .and_then(|b64| Encoding::Base64.decode(b64))
        .ok_or_else(|| {
            Unreadable::Malformed(format!(
                "The {AUTHORIZATION} header is not \"Basic <base64 of user:password>\"."
            ))
        })?;
    Ok(Claim {
        signatures: vec![decoded],
        contents: vec![Vec::new()],
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, _now: i64) {
    let credentials = sign(b"");
    out.headers.set(
        AUTHORIZATION,
        format!("Basic {}", Encoding::Base64.encode(&credentials)),
    );
}
