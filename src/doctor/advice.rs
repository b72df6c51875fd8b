//! The mistakes doctor recognizes, each with its one-line title and its fix, in plain words.
//! Which results point to which mistake, and why, is decided in `diagnose.rs`.

use serde::Serialize;

/// The kinds of mistake doctor recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// Nothing accepted the connection.
    Unreachable,
    /// No answer within the timeout, or only after Svix's 15 s.
    Timeout,
    /// A 3xx answer.
    Redirect,
    /// Correctly signed deliveries refused: another secret, or broken verification.
    RejectsValid,
    /// Verifies a re-serialized or re-encoded body instead of the raw bytes.
    RawBody,
    /// A terminal run status (or a failed post-run check) not answered 2xx.
    StatusNotAcknowledged,
    /// Only the first signature entry is checked.
    Rotation,
    /// A repeated `svix-id` refused.
    DuplicateRejected,
    /// A retried run's webhook (same `run.id`, new `svix-id`) taken for a duplicate, or refused.
    RetriedRunDropped,
    /// The 1 MiB body refused.
    BodyLimit,
    /// A 5xx to a valid delivery that no other mistake explains.
    ServerError,
    /// The connection closed without an answer.
    NoAnswer,
    /// Wrong signatures accepted.
    NoVerification,
    /// Missing or unreadable signatures accepted.
    UnsignedAccepted,
    /// Stale or future timestamps accepted.
    NoTimestampCheck,
    /// Forgeries refused with a 5xx rather than a 4xx.
    RejectsWith5xx,
    /// Answers slower than the warning threshold.
    Slow,
}

impl Code {
    /// Whether the mistake only earns a warning (Svix still gets what it needs).
    pub fn is_warning(self) -> bool {
        matches!(self, Code::RejectsWith5xx | Code::Slow)
    }

    /// The mistake in one line.
    pub fn title(self) -> &'static str {
        match self {
            Code::Unreachable => "Nothing answered at the target URL",
            Code::Timeout => "The app does not answer in time",
            Code::Redirect => "The URL redirects",
            Code::RejectsValid => "The app refuses correctly signed deliveries",
            Code::RawBody => "The app verifies a re-serialized body, not the raw bytes",
            Code::StatusNotAcknowledged => "The app does not acknowledge every terminal run status",
            Code::Rotation => "The app checks only the first signature",
            Code::DuplicateRejected => "The app refuses a repeated delivery",
            Code::RetriedRunDropped => "The app drops a retried run as a duplicate",
            Code::BodyLimit => "The app refuses large bodies",
            Code::ServerError => "The app fails on valid deliveries",
            Code::NoAnswer => "The connection closed without an answer",
            Code::NoVerification => "The app does not verify signatures",
            Code::UnsignedAccepted => "The app lets requests without a usable signature through",
            Code::NoTimestampCheck => "The app does not check the timestamp",
            Code::RejectsWith5xx => "The app refuses forgeries with a 5xx",
            Code::Slow => "The app answers slowly",
        }
    }

    /// What to change.
    pub fn fix(self) -> &'static str {
        match self {
            Code::Unreachable => "Start the app, and check the host, port and path of the URL.",
            Code::Timeout | Code::Slow => {
                "Answer 2xx as soon as the webhook is verified and stored, and do the heavy work \
                 in a background job or queue."
            }
            Code::Redirect => {
                "Give Cyberdesk the final URL; the usual causes are http→https and a missing or \
                 extra trailing slash."
            }
            Code::RejectsValid => {
                "Configure the app with the endpoint's signing secret from Cyberdesk's webhook \
                 settings (the whole whsec_… string), verify with the svix library's \
                 Webhook(secret).verify(raw_body, headers), and run doctor with that same secret."
            }
            Code::RawBody => {
                "Verify the raw request body before parsing it: express.raw({ type: \
                 'application/json' }) in Express, await request.body() in FastAPI, \
                 request.get_data() in Flask, request.body in Django; never \
                 JSON.stringify(req.body) or json.dumps(payload)."
            }
            Code::StatusNotAcknowledged => {
                "Answer 2xx to every verified run_complete (success, error, task_failed, \
                 cancelled, and runs whose post-run checks failed) and handle the failure in \
                 your own code, not with the HTTP status."
            }
            Code::Rotation => {
                "Split svix-signature on spaces and accept when any v1 entry matches; the \
                 official svix libraries do."
            }
            Code::DuplicateRejected => {
                "Remember processed svix-ids (a unique column is enough); when one repeats, \
                 answer 2xx without doing the work again."
            }
            Code::RetriedRunDropped => {
                "Key idempotency on the whole svix-id, never on run.id or the svix-id before \
                 its '_': a retried run's webhook comes under a new svix-id, <run_id>_<ms>, with \
                 the run's new outcome. Process it as new work and update the run's record."
            }
            Code::BodyLimit => {
                "Raise the body limit of the webhook route to at least 2 MB, e.g. express.raw({ \
                 type: 'application/json', limit: '2mb' }), or client_max_body_size 2m in nginx."
            }
            Code::ServerError => {
                "Look in the app's log for these requests (their svix-id is in the request \
                 headers) and answer 2xx once the webhook is verified and stored."
            }
            Code::NoAnswer => "Look in the app's and any proxy's logs for these requests.",
            Code::NoVerification => {
                "Verify every request before acting on it, with the svix library: \
                 Webhook(secret).verify(raw_body, headers), and answer 400 when it raises."
            }
            Code::UnsignedAccepted => {
                "Treat a missing or unreadable svix-signature as a failed verification and \
                 answer 400 (fail closed); the svix library does."
            }
            Code::NoTimestampCheck => {
                "Refuse svix-timestamps more than 5 minutes from now, either way. The svix \
                 library's verify does this when given the svix-timestamp header; a hand-made \
                 check of the signature alone does not."
            }
            Code::RejectsWith5xx => {
                "Catch the verification error (WebhookVerificationError in the svix library) \
                 and answer 400."
            }
        }
    }
}
