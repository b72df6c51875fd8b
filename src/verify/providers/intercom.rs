//! Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body keyed with the app's
//! client secret. No timestamp.
//! Docs: <https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample};

/// Intercom.
pub const PROVIDER: Provider = Provider {
    name: "intercom",
    title: "Intercom",
    headers: &["X-Hub-Signature"],
    algorithm: Scheme::HmacSha1,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications",
    secret: "the app's client secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| {
        req.header("X-Hub-Signature")
            .is_some_and(|v| v.starts_with(b"sha1="))
    },
    check: Check::BodyHeader {
        header: "X-Hub-Signature",
        prefix: "sha1=",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"type":"notification_event","app_id":"ecahpwf5","id":"notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3","topic":"conversation.user.created","delivery_attempts":1,"first_sent_at":1768471200,"created_at":1768471200,"data":{"type":"notification_event_data","item":{"type":"conversation","id":"147"}}}"#,
        headers: &[],
    },
};
