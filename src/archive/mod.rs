//! Exported events as files and back: JSONL (one event detail per line, byte-exact) and HAR 1.2
//! (for browsers' DevTools and HAR viewers). Writing turns one stored event into one line or one
//! entry, so an export can stream; reading tells the two formats apart and turns each record
//! into a [`Record`] to store again, with the reason and place of every record it cannot read.

pub mod har;
pub mod jsonl;

use bytes::Bytes;
use serde::Serialize;

use crate::store::model::Headers;

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One event detail (`GET /api/events/{id}`'s shape) per line.
    Jsonl,
    /// HAR 1.2, one entry per event.
    Har,
}

impl Format {
    /// Parses `jsonl` or `har`.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "jsonl" => Some(Format::Jsonl),
            "har" => Some(Format::Har),
            _ => None,
        }
    }

    /// The content type an export is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Har => "application/json",
        }
    }
}

/// One webhook read back from a file: what arrived, as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// When it originally arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Raw query without `?`.
    pub query: String,
    /// Headers in their original order and case.
    pub headers: Headers,
    /// The body bytes.
    pub body: Bytes,
    /// Peer address, when the file has it.
    pub remote_addr: Option<String>,
}

/// A record that could not be read, and where it is (`line` in JSONL, `entry` in HAR, from 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordError {
    /// The line of a JSONL file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The entry of a HAR file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<usize>,
    /// What is wrong with it.
    pub error: String,
}

/// What a file holds.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The records read, in file order.
    pub records: Vec<Record>,
    /// Lines with nothing on them (a JSONL file's blank lines).
    pub skipped: usize,
    /// Records that could not be read.
    pub errors: Vec<RecordError>,
}

/// Reads a JSONL or HAR file: HAR when the whole file is one JSON object with a `log`,
/// JSONL otherwise.
pub fn parse(bytes: &[u8]) -> Parsed {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && value.get("log").is_some()
    {
        return har::parse(&value);
    }
    jsonl::parse(bytes)
}

/// Checks a method and path read from a file: a method an HTTP request can carry and a path
/// from the root, as the capture listener would have seen them.
fn check_request(method: &str, path: &str) -> Result<(), String> {
    if method.is_empty() || http::Method::from_bytes(method.as_bytes()).is_err() {
        return Err(format!("{method:?} is not an HTTP method"));
    }
    if !path.starts_with('/') {
        return Err(format!("the path {path:?} does not start with /"));
    }
    Ok(())
}

/// Parses an RFC 3339 time into UTC.
fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("the time {text:?} is not RFC 3339: {e}"))
}
