//! Comparing two webhooks (`GET /api/diff`): their bodies as a structural JSON diff (paths as
//! JSON Pointer, arrays by position) or, when either is not JSON, a line diff; their headers by
//! name, case-insensitively. Pure functions over bytes and `Headers`; the API serves the result.

mod json;
mod text;

use serde::Serialize;
use serde_json::Value;

use crate::headers::Headers;

pub use json::json_changes;
pub use text::line_changes;

/// What happened to one path, line or header between `a` and `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Only in `b`.
    Add,
    /// Only in `a`.
    Remove,
    /// In both, with different values.
    Change,
}

/// One difference in a body: a JSON Pointer (JSON bodies) or a line number (text bodies).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// JSON Pointer (`/run/status`; `""` is the whole body), or `/N` for line N of a text body
    /// (numbered in `a` for a removed or changed line, in `b` for an added one).
    pub path: String,
    /// What happened.
    pub op: Op,
    /// The value in `a` (absent when added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<Value>,
    /// The value in `b` (absent when removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Value>,
}

/// How the bodies were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyKind {
    /// Both bodies are JSON: compared by structure.
    Json,
    /// At least one is not: compared line by line.
    Text,
}

/// The body half of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BodyDiff {
    /// JSON or text.
    pub kind: BodyKind,
    /// Every difference, in document order.
    pub changes: Vec<Change>,
}

/// One header that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderChange {
    /// The header's name, lower-cased.
    pub name: String,
    /// What happened.
    pub op: Op,
    /// The value in `a` (repeated headers joined with `, `).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<String>,
    /// The value in `b`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
}

/// The answer of `GET /api/diff`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// How the bodies differ.
    pub body: BodyDiff,
    /// How the headers differ, by name.
    pub headers: Vec<HeaderChange>,
}

/// Compares two webhooks.
pub fn compare(a_headers: &Headers, a_body: &[u8], b_headers: &Headers, b_body: &[u8]) -> Diff {
    Diff {
        body: compare_bodies(a_body, b_body),
        headers: compare_headers(a_headers, b_headers),
    }
}

/// Structural when both bodies parse as JSON, line by line otherwise (non-UTF-8 bytes shown
/// as U+FFFD).
pub fn compare_bodies(a: &[u8], b: &[u8]) -> BodyDiff {
    let parsed = (
        serde_json::from_slice::<Value>(a),
        serde_json::from_slice::<Value>(b),
    );
    if let (Ok(a), Ok(b)) = parsed {
        return BodyDiff {
            kind: BodyKind::Json,
            changes: json_changes(&a, &b),
        };
    }
    BodyDiff {
        kind: BodyKind::Text,
        changes: line_changes(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b)),
    }
}

/// Headers by lower-cased name, in `a`'s order then the ones only `b` has; a name given more
/// than once is one value, joined with `, ` as HTTP allows.
pub fn compare_headers(a: &Headers, b: &Headers) -> Vec<HeaderChange> {
    let (a, b) = (by_name(a), by_name(b));
    let mut out = Vec::new();
    for (name, va) in &a {
        match b.iter().find(|(n, _)| n == name) {
            None => out.push(HeaderChange {
                name: name.clone(),
                op: Op::Remove,
                a: Some(va.clone()),
                b: None,
            }),
            Some((_, vb)) if vb != va => out.push(HeaderChange {
                name: name.clone(),
                op: Op::Change,
                a: Some(va.clone()),
                b: Some(vb.clone()),
            }),
            Some(_) => {}
        }
    }
    for (name, vb) in &b {
        if !a.iter().any(|(n, _)| n == name) {
            out.push(HeaderChange {
                name: name.clone(),
                op: Op::Add,
                a: None,
                b: Some(vb.clone()),
            });
        }
    }
    out
}

/// `(lower-cased name, values joined)` in first-seen order.
fn by_name(headers: &Headers) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers.iter() {
        let name = name.to_ascii_lowercase();
        let value = String::from_utf8_lossy(value).into_owned();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => out.push((name, value)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn headers_compare_by_name_whatever_the_case() {
        let a = headers(&[
            ("Content-Type", "application/json"),
            ("X-A", "1"),
            ("X-Gone", "g"),
        ]);
        let b = headers(&[
            ("content-type", "application/json"),
            ("x-a", "2"),
            ("X-New", "n"),
        ]);
        let d = compare_headers(&a, &b);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!((d[0].name.as_str(), d[0].op), ("x-a", Op::Change));
        assert_eq!(
            (d[0].a.as_deref(), d[0].b.as_deref()),
            (Some("1"), Some("2"))
        );
        assert_eq!((d[1].name.as_str(), d[1].op), ("x-gone", Op::Remove));
        assert_eq!((d[2].name.as_str(), d[2].op), ("x-new", Op::Add));
        assert_eq!(d[2].b.as_deref(), Some("n"));
    }

    #[test]
    fn a_repeated_header_is_one_joined_value() {
        let a = headers(&[("Via", "a"), ("via", "b")]);
        let b = headers(&[("VIA", "a, b")]);
        assert!(compare_headers(&a, &b).is_empty());
    }

    #[test]
    fn json_bodies_are_compared_by_structure_others_by_line() {
        let j = compare_bodies(br#"{"a":1}"#, br#"{ "a" : 2 }"#);
        assert_eq!(j.kind, BodyKind::Json);
        assert_eq!(j.changes.len(), 1);
        let t = compare_bodies(b"a=1\nb=2", br#"{"a":1}"#);
        assert_eq!(t.kind, BodyKind::Text);
        assert!(!t.changes.is_empty());
        assert!(compare_bodies(b"", b"").changes.is_empty());
    }
}
