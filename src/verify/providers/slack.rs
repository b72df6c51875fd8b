//! Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of `v0:{timestamp}:{body}` keyed with the
//! app's signing secret; `X-Slack-Request-Timestamp` in unix seconds, 5 minutes either way (the
//! limit `slack_sdk`'s `SignatureVerifier` applies).
//! Docs: <https://api.slack.com/authentication/verifying-requests-from-slack>.

use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable, has,
};

const SIGNATURE: &str = "X-Slack-Signature";
const TIMESTAMP: &str = "X-Slack-Request-Timestamp";

/// Slack.
pub const PROVIDER: Provider = Provider {
    name: "slack",
    title: "Slack",
    headers: &[SIGNATURE, TIMESTAMP],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(300),
    rejects_future: true,
    docs: "https://api.slack.com/authentication/verifying-requests-from-slack",
    secret: "the app's signing secret",
    signs: "v0:{timestamp}:{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","team_id":"T0001","api_app_id":"A0001","event":{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> is it everything a river should be?","ts":"1515449522.000016","channel":"C123ABC456"},"type":"event_callback","event_id":"Ev0PV52K21","event_time":1515449522}"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    super::v0::read(req, SIGNATURE, TIMESTAMP)
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    super::v0::write(out, sign, now, SIGNATURE, TIMESTAMP);
}
