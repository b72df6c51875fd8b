//! How values are laid out in SQLite: times as unix milliseconds, headers as searchable JSON
//! that stays lossless for non-UTF-8 values, enums by their wire names.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Type;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::Headers;

/// Marks a header value stored as base64 because it is not UTF-8.
const B64_TAG: &str = "b64";

/// A time as stored: unix milliseconds.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time as RFC 3339 UTC with milliseconds, e.g. `2026-11-27T12:04:31.882Z`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    from_ms(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored time back as a `DateTime` (out-of-range values clamp to the epoch).
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Encodes headers as a JSON array of `[name, value]`, or `[name, base64, "b64"]` when the
/// value is not UTF-8. UTF-8 values stay plain text, so `LIKE` can search them.
pub(crate) fn encode_headers(headers: &Headers) -> String {
    let pairs: Vec<Value> = headers
        .iter()
        .map(|(name, value)| match std::str::from_utf8(value) {
            Ok(text) => serde_json::json!([name, text]),
            Err(_) => serde_json::json!([name, B64.encode(value), B64_TAG]),
        })
        .collect();
    Value::Array(pairs).to_string()
}

/// Decodes what [`encode_headers`] wrote.
pub(crate) fn decode_headers(json: &str) -> Result<Headers, String> {
    let pairs: Vec<Vec<String>> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    pairs
        .into_iter()
        .map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Ok((name, value.into_bytes())),
            Err(pair) => match <[String; 3]>::try_from(pair) {
                Ok([name, value, tag]) if tag == B64_TAG => B64
                    .decode(value)
                    .map(|bytes| (name, bytes))
                    .map_err(|e| e.to_string()),
                _ => Err("a header is neither [name, value] nor [name, base64, \"b64\"]".into()),
            },
        })
        .collect()
}

/// The text a header search must look for in the stored JSON: the word as JSON escapes it.
pub(crate) fn json_escaped(word: &str) -> String {
    let quoted = Value::String(word.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// An enum back from its wire name (the same serde names the API uses).
pub(crate) fn parse_wire<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(Value::String(s.to_owned())).map_err(|e| e.to_string())
}

/// Wraps a decoding failure of column `idx` as the error rusqlite row mappers return.
pub(crate) fn bad_column(idx: usize, why: impl Into<String>) -> rusqlite::Error {
    let why: Box<dyn std::error::Error + Send + Sync> = why.into().into();
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_stay_searchable() {
        let headers: Headers = Headers::from(vec![
            ("Content-Type".into(), b"application/json".to_vec()),
            ("X-Dup".into(), b"one".to_vec()),
            ("x-dup".into(), b"two \"quoted\"".to_vec()),
            ("X-Bin".into(), vec![0xff, 0x00, 0xfe, b'a']),
            ("X-Empty".into(), Vec::new()),
        ]);
        let json = encode_headers(&headers);
        assert!(json.contains(r#"["X-Dup","one"]"#), "{json}");
        assert!(json.contains(&json_escaped("two \"quoted\"")), "{json}");
        assert!(json.contains(r#"["X-Bin","/wD+YQ==","b64"]"#), "{json}");
        assert_eq!(decode_headers(&json), Ok(headers));
        assert!(decode_headers(r#"[["a","b","hex"]]"#).is_err());
    }

    #[test]
    fn times_keep_milliseconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-27T12:04:31.882Z")
            .expect("valid time")
            .with_timezone(&Utc);
        assert_eq!(rfc3339_ms(to_ms(t)), "2026-11-27T12:04:31.882Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
    }
}
