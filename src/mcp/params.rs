//! What each MCP tool takes, as serde structs whose JSON Schema (schemars) is the tool's input
//! schema: field docs become the descriptions an agent reads before it calls.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Events listed when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most events one `list_events` returns (the API's page).
pub const MAX_LIMIT: u32 = 200;
/// Body bytes `get_event` returns when `max_body_bytes` is absent.
pub const DEFAULT_BODY_BYTES: usize = 64 * 1024;
/// Most body bytes `get_event` returns, whatever is asked: more would flood a model's context.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Seconds `wait_for_event` waits when `timeout_s` is absent.
pub const DEFAULT_WAIT_S: u64 = 30;
/// Longest `wait_for_event` waits (the API's own bound).
pub const MAX_WAIT_S: u64 = 300;

/// Input of `list_events`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListEvents {
    /// Search, as in hookpit's UI: free words must appear in the path, query, headers or body;
    /// filters `type:run_complete`, `status:task_failed` (run status), `path:/hooks`,
    /// `method:POST`, `source:relay`, `is:invalid` (verification), `id:msg_…`, `run:ID` (a
    /// Cyberdesk run's webhooks, retried runs included). Absent: all.
    pub query: Option<String>,
    /// How many events, newest first (default 20, at most 200).
    pub limit: Option<u32>,
}

/// How much of an event `get_event` returns.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Include {
    /// The one-line summary (default).
    #[default]
    Summary,
    /// Headers, body (cut to `max_body_bytes`), the full verdict and the latest attempts.
    Full,
}

/// Input of `get_event`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetEvent {
    /// The event id (from list_events or wait_for_event).
    pub id: i64,
    /// "summary" (default) or "full" (headers, body, verdict, attempts).
    pub include: Option<Include>,
    /// With "full": most body bytes returned (default 65536, at most 1048576). A longer body is
    /// cut and `truncated` is true.
    pub max_body_bytes: Option<usize>,
}

/// Input of `wait_for_event`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct WaitForEvent {
    /// What to wait for, in list_events' search syntax. Absent: the next event of any kind.
    pub query: Option<String>,
    /// How long to wait, in seconds (default 30, at most 300).
    pub timeout_s: Option<u64>,
    /// Only events with an id above this one; 0 also matches events already stored. Absent:
    /// only events that arrive after the call.
    pub after: Option<i64>,
}

/// Input of `verify_event`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct VerifyEvent {
    /// The event id.
    pub id: i64,
}

/// How a replay treats the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReplayMode {
    /// Fresh timestamp, new signature with the route's secret (passes the app's check).
    Resign,
    /// The original headers untouched (tests the app's replay protection).
    Verbatim,
}

/// Input of `replay_event`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReplayEvent {
    /// The event id.
    pub id: i64,
    /// "resign" (default) or "verbatim".
    pub mode: Option<ReplayMode>,
    /// Where to send it (an http:// or https:// URL); hookpit's --forward target when absent.
    pub target: Option<String>,
    /// Give it a fresh message id, so the app does not treat it as a duplicate.
    pub new_id: Option<bool>,
    /// An edited body (text) to send instead of the stored one; it is signed afresh.
    pub body: Option<String>,
}

/// A built-in test event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Cyberdesk's run_complete: a run reached a final status (see `status`).
    RunComplete,
    /// Cyberdesk's downed_machines: machines stopped sending heartbeats.
    DownedMachines,
    /// A minimal ping, like Svix's test event.
    Ping,
}

/// The final status of a run_complete run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Finished, with output and attachments.
    Success,
    /// Stopped by an infrastructure error.
    Error,
    /// The agent could not complete the task.
    TaskFailed,
    /// Cancelled.
    Cancelled,
}

/// Input of `send_test_event`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendTestEvent {
    /// "run_complete", "downed_machines" or "ping".
    pub template: Template,
    /// With run_complete: the run's final status (default "success").
    pub status: Option<RunStatus>,
    /// POST it to this URL (your app's webhook endpoint) and return its answer. Absent: it goes
    /// into hookpit itself, is stored, and is forwarded like any webhook.
    pub to: Option<String>,
}

/// Input of `run_doctor`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunDoctor {
    /// The app's webhook URL to test.
    pub to: String,
    /// The endpoint's signing secret (`whsec_…`); hookpit's own key for / when absent.
    pub secret: Option<String>,
    /// Run only these scenarios (e.g. ["compact", "wrong_secret", "old_timestamp"]); all when
    /// absent.
    pub only: Option<Vec<String>>,
}
