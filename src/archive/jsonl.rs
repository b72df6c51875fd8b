//! JSONL: each line is what `GET /api/events/{id}` answers, so every byte comes back: the body
//! as UTF-8 text or base64, header values not in UTF-8 listed in `headers_non_utf8` and given
//! one character per byte.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Deserialize;

use super::{Parsed, Record, RecordError, check_request, parse_time};
use crate::store::model::StoredEvent;
use crate::wire::EventDetailJson;

/// One stored event as one line, newline included.
pub fn line(event: &StoredEvent) -> Vec<u8> {
    let mut line = serde_json::to_vec(&EventDetailJson::from(event)).expect("details serialize");
    line.push(b'\n');
    line
}

/// The fields of an event detail an import needs; the rest (id, verdict, attempts) belongs to
/// the hookpit that exported it.
#[derive(Deserialize)]
struct Line {
    received_at: String,
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    headers: Vec<(String, String)>,
    #[serde(default)]
    headers_non_utf8: Vec<usize>,
    body: BodyLine,
    #[serde(default)]
    remote_addr: Option<String>,
}

#[derive(Deserialize)]
struct BodyLine {
    encoding: String,
    data: String,
}

/// Reads one line (an event detail) into a record.
pub fn parse_line(text: &str) -> Result<Record, String> {
    let line: Line = serde_json::from_str(text).map_err(|e| format!("not an event: {e}"))?;
    check_request(&line.method, &line.path)?;
    let mut headers = Vec::with_capacity(line.headers.len());
    for (i, (name, value)) in line.headers.into_iter().enumerate() {
        let value = if line.headers_non_utf8.contains(&i) {
            value
                .chars()
                .map(|c| u8::try_from(u32::from(c)))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| format!("header {name:?} is listed as bytes but is not"))?
        } else {
            value.into_bytes()
        };
        headers.push((name, value));
    }
    let body = match line.body.encoding.as_str() {
        "utf8" => Bytes::from(line.body.data.into_bytes()),
        "base64" => Bytes::from(
            BASE64
                .decode(line.body.data.as_bytes())
                .map_err(|e| format!("the body is not base64: {e}"))?,
        ),
        other => {
            return Err(format!(
                "body encoding {other:?} is neither utf8 nor base64"
            ));
        }
    };
    Ok(Record {
        received_at: parse_time(&line.received_at)?,
        method: line.method,
        path: line.path,
        query: line.query,
        headers: headers.into(),
        body,
        remote_addr: line.remote_addr,
    })
}

/// Reads every line; blank lines are skipped, unreadable ones listed with their number.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = lines.len() - 1;
    for (i, line) in lines.into_iter().enumerate() {
        let fail = |error: String| RecordError {
            line: Some(i + 1),
            entry: None,
            error,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            // The newline that ends the last line is not a blank line of its own.
            if i < last || !line.is_empty() {
                parsed.skipped += 1;
            }
            continue;
        }
        let result = std::str::from_utf8(line)
            .map_err(|_| "the line is not UTF-8".to_string())
            .and_then(parse_line);
        match result {
            Ok(record) => parsed.records.push(record),
            Err(e) => parsed.errors.push(fail(e)),
        }
    }
    parsed
}
