//! `POST /api/import`: a JSONL or HAR file (as `GET /api/export` writes them) stored again.
//! Every record becomes a new event with `source: "import"`, its original arrival time, and a
//! verdict judged with today's keys as at that time; nothing already stored is touched.

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Limited};
use hyper::Request;
use hyper::body::Incoming;
use serde::Serialize;

use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::archive::{self, RecordError};
use crate::ingest::{Arrival, ingest};
use crate::store::model::Source;

/// Largest file one import takes (`hookpit import` sends a larger JSONL file in parts).
pub const MAX_IMPORT_BODY: usize = 64 * 1024 * 1024;
/// Most unreadable records listed in an answer; `failed` counts them all.
const MAX_LISTED_ERRORS: usize = 100;

/// What an import did.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    /// Events stored.
    pub imported: usize,
    /// Records with nothing to import (blank lines).
    pub skipped: usize,
    /// Records that could not be read.
    pub failed: usize,
    /// The first of those, each with its line (JSONL) or entry (HAR) and why.
    pub errors: Vec<RecordError>,
}

/// `POST /api/import`.
pub async fn import(app: &App, req: Request<Incoming>) -> ApiResult {
    let bytes = read_file(req).await?;
    let parsed = archive::parse(&bytes);
    drop(bytes);
    let mut records = parsed.records;
    // Stored oldest first, so ids follow the original arrival order. Events of the same
    // millisecond keep the file's order read in its direction: newest first as exports write
    // it, unless the file runs oldest first.
    let newest_first = match (records.first(), records.last()) {
        (Some(first), Some(last)) => first.received_at >= last.received_at,
        _ => false,
    };
    if newest_first {
        records.reverse();
    }
    records.sort_by_key(|r| r.received_at);
    let mut imported = 0;
    for r in records {
        let arrival = Arrival {
            received_at: r.received_at,
            method: r.method,
            path: r.path,
            query: r.query,
            headers: r.headers,
            body: r.body,
            remote_addr: r.remote_addr,
            source: Source::Import,
        };
        ingest(app, arrival).await?;
        imported += 1;
    }
    let failed = parsed.errors.len();
    let mut errors = parsed.errors;
    errors.truncate(MAX_LISTED_ERRORS);
    Ok(json_response(
        StatusCode::OK,
        &ImportReport {
            imported,
            skipped: parsed.skipped,
            failed,
            errors,
        },
    ))
}

/// Reads the file within [`MAX_IMPORT_BODY`].
async fn read_file(req: Request<Incoming>) -> Result<Bytes, ApiError> {
    Limited::new(req.into_body(), MAX_IMPORT_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ApiError::TooLarge(MAX_IMPORT_BODY as u64)
            } else {
                ApiError::BadRequest(format!("could not read the file: {e}"))
            }
        })
}
