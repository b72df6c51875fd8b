//! Svix transformations, run locally: a route's JavaScript `handler(webhook)` reshapes a
//! webhook's method, URL and payload (or cancels it) before hookpit delivers it. The shapes
//! (`Input`, `Output`, `TransformError`) and the limits live here; `engine.rs` runs the code in
//! an embedded QuickJS (rquickjs) with no I/O at all, a fresh runtime per run, off the async
//! runtime's threads.

mod engine;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use engine::{check, run};

/// How long the code may run: its top-level code, then the handler with the writing of its
/// result (counted from when the payload is parsed). Measured in a debug build on a loaded
/// 2-core machine, the whole JavaScript part of a run on a 6.1 MB Cyberdesk body (parse,
/// handler, result) took 90–390 ms; a second leaves real handlers room and stops a runaway loop
/// before it holds up a delivery for long.
pub const TIME_LIMIT: Duration = Duration::from_secs(1);
/// How much memory one run's JavaScript heap may use (the parsed payload included).
pub const MEMORY_LIMIT: usize = 128 * 1024 * 1024;
/// How deep the JavaScript stack may grow (runaway recursion ends here).
pub const STACK_LIMIT: usize = 512 * 1024;

/// What the handler is given, as Svix documents it: `method`, `url`, `payload`, `eventType`
/// (and `cancel`, false).
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    /// The HTTP method the webhook would be sent with.
    pub method: String,
    /// The URL it would be sent to.
    pub url: String,
    /// The webhook's body, parsed as JSON.
    pub payload: serde_json::Value,
    /// The event type hookpit read from the body, if any.
    #[serde(rename = "eventType")]
    pub event_type: Option<String>,
}

/// What the handler returned, checked: the request to send, or that nothing is sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// `POST` or `PUT` (the only two Svix allows).
    pub method: String,
    /// Where to send it.
    pub url: String,
    /// The new body.
    pub payload: serde_json::Value,
    /// `true`: the webhook is not sent at all.
    pub cancel: bool,
}

/// Why a transformation gave no result, with the line of the code where the engine knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}{}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct TransformError {
    /// What went wrong, in words.
    pub message: String,
    /// The line of the transformation's code it happened on, when known.
    pub line: Option<u32>,
}

impl TransformError {
    /// An error at no particular line.
    pub fn new(message: impl Into<String>) -> TransformError {
        TransformError {
            message: message.into(),
            line: None,
        }
    }
}

/// A route's transformation: its code, read once at start, and the file it came from.
#[derive(Debug, Clone)]
pub struct Transformation {
    /// The file as configured, resolved against the config file's directory.
    pub file: PathBuf,
    /// The JavaScript source.
    pub code: Arc<str>,
}

impl Transformation {
    /// The name errors and stack frames give the code: the file's name.
    pub fn name(&self) -> String {
        self.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "transformation.js".into())
    }
}

/// Runs `code` on `input` on a blocking thread (never on the async runtime's own), within
/// [`TIME_LIMIT`] and [`MEMORY_LIMIT`].
pub async fn run_blocking(
    code: Arc<str>,
    name: String,
    input: Input,
) -> Result<Output, TransformError> {
    tokio::task::spawn_blocking(move || run(&code, &name, &input))
        .await
        .unwrap_or_else(|e| {
            Err(TransformError::new(format!(
                "the transformation's thread failed: {e}"
            )))
        })
}
