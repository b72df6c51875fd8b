//! HAR 1.2: one entry per event, its request as it arrived and the response of its last
//! delivery try, if it had one (status 0 otherwise, as browsers record a request that got no
//! answer). Read back, an entry gives the request; HAR holds header values as text, so a value
//! that was not UTF-8 comes back as its characters' UTF-8 (JSONL is the byte-exact format).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{Parsed, Record, RecordError, check_request, parse_time};
use crate::store::model::{Headers, StoredEvent};
use crate::wire::headers_json;

/// What comes before the first entry.
pub fn head() -> Vec<u8> {
    let creator = json!({"name": "hookpit", "version": env!("CARGO_PKG_VERSION")});
    format!("{{\"log\":{{\"version\":\"1.2\",\"creator\":{creator},\"entries\":[").into_bytes()
}

/// What comes after the last entry.
pub fn tail() -> &'static [u8] {
    b"]}}\n"
}

/// One stored event as a HAR entry; `base_url` is the capture listener's (`http://host:port`),
/// which the request was sent to.
pub fn entry(event: &StoredEvent, base_url: &str) -> Value {
    let s = &event.summary;
    let mut url = format!("{base_url}{}", s.path);
    if !s.query.is_empty() {
        url.push('?');
        url.push_str(&s.query);
    }
    let query_string: Vec<Value> = form_urlencoded::parse(s.query.as_bytes())
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let mut request = json!({
        "method": s.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": name_values(&event.headers),
        "queryString": query_string,
        "headersSize": -1,
        "bodySize": event.body.len(),
    });
    if !event.body.is_empty() {
        let mime = s.content_type.clone().unwrap_or_default();
        request["postData"] = content(&mime, &event.body, None);
    }
    let last = event.attempts.last();
    let time = last.and_then(|a| a.outcome.duration_ms).unwrap_or(0).max(0);
    let response = match last {
        Some(a) => {
            let o = &a.outcome;
            let status = o.status.unwrap_or(0);
            let mime = o.response_headers.get_str("content-type").unwrap_or("");
            let mut response = json!({
                "status": status,
                "statusText": http::StatusCode::from_u16(status).ok()
                    .and_then(|c| c.canonical_reason()).unwrap_or(""),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": name_values(&o.response_headers),
                "content": content(mime, &o.response_body, Some(o.response_body.len())),
                "redirectURL": o.response_headers.get_str("location").unwrap_or(""),
                "headersSize": -1,
                "bodySize": o.response_body.len(),
            });
            if let Some(error) = &o.error {
                response["_error"] = json!(error);
            }
            response
        }
        None => json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }),
    };
    json!({
        "startedDateTime": s.received_at,
        "time": time,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": time, "receive": 0},
        "_hookpitId": s.id,
        "_verification": s.verification.status,
    })
}

/// Headers as HAR's `{name, value}` objects, in order (a value not in UTF-8 one character per
/// byte, as in the API).
fn name_values(headers: &Headers) -> Vec<Value> {
    headers_json(headers)
        .0
        .into_iter()
        .map(|[name, value]| json!({"name": name, "value": value}))
        .collect()
}

/// A body as `postData` (no `size`) or `content` (with it): text when UTF-8, else base64 with
/// `encoding`.
fn content(mime: &str, bytes: &[u8], size: Option<usize>) -> Value {
    let mut value = match std::str::from_utf8(bytes) {
        Ok(text) => json!({"mimeType": mime, "text": text}),
        Err(_) => json!({"mimeType": mime, "text": BASE64.encode(bytes), "encoding": "base64"}),
    };
    if let Some(size) = size {
        value["size"] = json!(size);
    }
    value
}

/// Reads every entry of a HAR log.
pub fn parse(har: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(entries) = har["log"]["entries"].as_array() else {
        parsed.errors.push(RecordError {
            line: None,
            entry: None,
            error: "the HAR file has no log.entries list".into(),
        });
        return parsed;
    };
    for (i, entry) in entries.iter().enumerate() {
        match parse_entry(entry) {
            Ok(record) => parsed.records.push(record),
            Err(error) => parsed.errors.push(RecordError {
                line: None,
                entry: Some(i + 1),
                error,
            }),
        }
    }
    parsed
}

/// One entry's request as a record.
fn parse_entry(entry: &Value) -> Result<Record, String> {
    let text = |v: &Value, what: &str| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{what} is missing or not text"))
    };
    let request = &entry["request"];
    let method = text(&request["method"], "request.method")?;
    let url = text(&request["url"], "request.url")?;
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("request.url {url:?} is not a URL: {e}"))?;
    let path = uri.path().to_string();
    check_request(&method, &path)?;
    let mut headers = Vec::new();
    for h in request["headers"].as_array().into_iter().flatten() {
        headers.push((
            text(&h["name"], "a header name")?,
            text(&h["value"], "a header value")?.into_bytes(),
        ));
    }
    let post = &request["postData"];
    let body = match (post["text"].as_str(), post["encoding"].as_str()) {
        (None, _) => Bytes::new(),
        (Some(t), Some("base64")) => Bytes::from(
            BASE64
                .decode(t.as_bytes())
                .map_err(|e| format!("postData.text is not base64: {e}"))?,
        ),
        (Some(t), _) => Bytes::from(t.to_string().into_bytes()),
    };
    Ok(Record {
        received_at: parse_time(&text(&entry["startedDateTime"], "startedDateTime")?)?,
        method,
        path,
        query: uri.query().unwrap_or("").to_string(),
        headers: headers.into(),
        body,
        remote_addr: None,
    })
}
