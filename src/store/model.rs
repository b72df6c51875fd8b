//! Plain data the store takes and gives back. No SQL and no HTTP here: the API layer turns
//! these into JSON, the capture path builds `NewEvent`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::verify::{Reason, Status, Verdict};

pub use crate::headers::Headers;

/// How an event reached hookpit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Sent straight to the capture listener.
    Direct,
    /// Carried from a public URL by a hookpit relay.
    Relay,
    /// Built and sent by hookpit's own sender.
    Send,
    /// A replay of a stored event sent back to the capture listener.
    Replay,
    /// Read from an exported file (`POST /api/import`, `hookpit import`).
    Import,
}

impl Source {
    /// The wire name, as stored and as used in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Direct => "direct",
            Source::Relay => "relay",
            Source::Send => "send",
            Source::Replay => "replay",
            Source::Import => "import",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "direct" => Some(Source::Direct),
            "relay" => Some(Source::Relay),
            "send" => Some(Source::Send),
            "replay" => Some(Source::Replay),
            "import" => Some(Source::Import),
            _ => None,
        }
    }
}

/// Facts extracted from a JSON body, when present (Cyberdesk's `run` among them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// `event_type`, else `type`.
    pub event_type: Option<String>,
    /// `event_id`.
    pub event_id: Option<String>,
    /// `run.id`.
    pub run_id: Option<String>,
    /// `run.status`.
    pub run_status: Option<String>,
    /// `run.workflow_id`.
    pub run_workflow_id: Option<String>,
    /// `run.session_id`.
    pub run_session_id: Option<String>,
}

/// A webhook as captured, before it has an id.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// When the last byte of the request arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// HTTP method as sent.
    pub method: String,
    /// Path as sent, percent-encoding untouched.
    pub path: String,
    /// Raw query string without the `?` (empty when none).
    pub query: String,
    /// Request headers exactly as they arrived.
    pub headers: Headers,
    /// Raw body bytes.
    pub body: Bytes,
    /// Peer address, `ip:port`.
    pub remote_addr: Option<String>,
    /// How it arrived.
    pub source: Source,
    /// The `Content-Type` header value, when present and UTF-8.
    pub content_type: Option<String>,
    /// `svix-id` / `webhook-id`, used to find duplicates.
    pub msg_id: Option<String>,
    /// Facts from the JSON body.
    pub extracted: Extracted,
    /// The verdict at receive time.
    pub verification: Verdict,
}

/// The verdict as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationSummary {
    /// Overall outcome.
    pub status: Status,
    /// Why it is not valid.
    pub reason: Option<Reason>,
    /// Receive time minus the signed timestamp, in seconds (how stale it was).
    pub skew_s: Option<i64>,
    /// The provider the verdict names (`shopify`), `None` when unsigned.
    #[serde(default)]
    pub provider: Option<String>,
}

/// The newest forward or replay try of an event, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptSummary {
    /// The app's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why there is no status (connection refused, timeout, ...).
    pub error: Option<String>,
    /// Latency in milliseconds, when finished.
    pub duration_ms: Option<i64>,
}

/// The Cyberdesk run of an event, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// `run.id`.
    pub id: Option<String>,
    /// `run.status`.
    pub status: Option<String>,
    /// `run.session_id`: the session whose timeline holds this run.
    #[serde(default)]
    pub session_id: Option<String>,
    /// `run.release_session_after`, stored for runs of a session only (migration 0010).
    #[serde(default)]
    pub release_session_after: Option<bool>,
}

/// One line of the event list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Event id, increasing with arrival.
    pub id: i64,
    /// RFC 3339 with milliseconds, UTC.
    pub received_at: String,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Raw query string (empty when none).
    pub query: String,
    /// How it arrived.
    pub source: Source,
    /// `Content-Type`, when present.
    pub content_type: Option<String>,
    /// Body size in bytes.
    pub size: i64,
    /// `svix-id` / `webhook-id`.
    pub msg_id: Option<String>,
    /// Event type from the body.
    pub event_type: Option<String>,
    /// Verdict status and reason.
    pub verification: VerificationSummary,
    /// The id of the first event with the same message id.
    pub duplicate_of: Option<i64>,
    /// The newest forward/replay try.
    pub last_attempt: Option<AttemptSummary>,
    /// The Cyberdesk run, when the body has one.
    pub run: Option<RunSummary>,
    /// How the body's shape differs from what its kind had before (learned after the commit,
    /// so `null` until the learner has read it, and `null` when nothing differs).
    #[serde(default)]
    pub drift: Option<Vec<crate::schema::Drift>>,
}

/// Everything stored about one event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The list line.
    pub summary: EventSummary,
    /// Headers exactly as they arrived.
    pub headers: Headers,
    /// Raw body bytes.
    pub body: Bytes,
    /// Peer address.
    pub remote_addr: Option<String>,
    /// Facts from the JSON body.
    pub extracted: Extracted,
    /// The full verdict.
    pub verification: Verdict,
    /// Every forward/replay try, oldest first.
    pub attempts: Vec<Attempt>,
}

/// What kind of delivery an attempt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptKind {
    /// The first delivery of a captured webhook to the forward target.
    Forward,
    /// A replay asked for by the user.
    Replay,
    /// An ack-mode retry after a failed forward.
    Retry,
}

impl AttemptKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Forward => "forward",
            AttemptKind::Replay => "replay",
            AttemptKind::Retry => "retry",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<AttemptKind> {
        match s {
            "forward" => Some(AttemptKind::Forward),
            "replay" => Some(AttemptKind::Replay),
            "retry" => Some(AttemptKind::Retry),
            _ => None,
        }
    }
}

/// A delivery try about to start.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    /// The event delivered.
    pub event_id: i64,
    /// Forward, replay or retry.
    pub kind: AttemptKind,
    /// Full target URL.
    pub target: String,
    /// `proxy`, `ack`, `resign` or `verbatim`.
    pub mode: String,
    /// When the try started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Headers hookpit sent.
    pub request_headers: Headers,
    /// What a route's transformation made of the request, when one shaped it.
    pub sent: Option<Sent>,
}

/// The request a route's transformation shaped: sent instead of the stored webhook's method,
/// URL and body (the headers are the attempt's `request_headers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The method sent (`POST` or `PUT`).
    pub method: String,
    /// The URL sent to.
    pub url: String,
    /// The body sent.
    pub body: Bytes,
}

/// How a delivery try ended.
#[derive(Debug, Clone, Default)]
pub struct AttemptOutcome {
    /// The app's status, when it answered.
    pub status: Option<u16>,
    /// The app's response headers.
    pub response_headers: Headers,
    /// The first 64 KiB of the app's response body.
    pub response_body: Bytes,
    /// Latency in milliseconds.
    pub duration_ms: Option<i64>,
    /// Why there is no status.
    pub error: Option<String>,
    /// When the next ack-mode retry is due, if any.
    pub next_retry_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One stored delivery try.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Attempt id.
    pub id: i64,
    /// The event delivered.
    pub event_id: i64,
    /// Forward, replay or retry.
    pub kind: AttemptKind,
    /// Full target URL.
    pub target: String,
    /// `proxy`, `ack`, `resign` or `verbatim`.
    pub mode: String,
    /// RFC 3339 with milliseconds.
    pub started_at: String,
    /// Headers hookpit sent.
    pub request_headers: Headers,
    /// How it ended; all `None`/empty while in flight.
    pub outcome: AttemptOutcome,
    /// The route's rule that kept this forward from its target (`events = ["run_complete"]`,
    /// `match = "status:task_failed"`), or the transformation that cancelled it: nothing was
    /// sent. `None` for every try that was made.
    pub skipped: Option<String>,
    /// What a route's transformation made of the request, when one shaped it.
    pub sent: Option<Sent>,
}

/// Filters of the event list; every present one must hold.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Words that must each appear (case-insensitive) in the path, the headers or the body.
    pub text: Vec<String>,
    /// Verification status (`valid`, `invalid`, `unsigned`, `unverified`).
    pub verification: Option<String>,
    /// Exact event type.
    pub event_type: Option<String>,
    /// Path prefix.
    pub path_prefix: Option<String>,
    /// Exact Cyberdesk run status.
    pub run_status: Option<String>,
    /// Exact method (upper case).
    pub method: Option<String>,
    /// Source (`direct`, `relay`, `send`, `replay`).
    pub source: Option<String>,
    /// Exact message id.
    pub msg_id: Option<String>,
    /// The Cyberdesk run's webhooks (`run:ID`; the rule is in `store/runs.rs`).
    pub run_id: Option<String>,
    /// Provider named in the verdict (`shopify`).
    pub provider: Option<String>,
    /// Only events whose shape drifted from their kind's (`is:drift`).
    pub drift: bool,
    /// Exact Cyberdesk `run.session_id` (`session:`): the webhooks of that session's runs.
    pub run_session_id: Option<String>,
}

/// One page request of the event list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// What to keep.
    pub filter: EventFilter,
    /// Page size.
    pub limit: u32,
    /// Only events with an id below this (keyset paging).
    pub before: Option<i64>,
}

/// One page of the event list, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The events.
    pub events: Vec<EventSummary>,
    /// Pass as `before` to get the next page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// A signing key added at run time, stored so it survives a restart.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Key id.
    pub id: i64,
    /// Path prefix the key applies to (`/` for all).
    pub route: String,
    /// The user's name for it.
    pub label: String,
    /// The key as pasted (secret: never shown unmasked).
    pub secret: String,
    /// RFC 3339 with milliseconds.
    pub created_at: String,
}
