//! Headers as they arrived ([`Headers`]: ordered, case kept, duplicates kept, values as bytes)
//! with the one case-insensitive lookup everyone uses, and the one list of headers that belong
//! to a connection rather than to the message, which every listener and delivery drops before
//! passing headers on. Also the value of hookpit's own marker headers, which only this process
//! can set.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

/// Headers as they arrived: ordered `(name, value)` pairs, original case, duplicates kept,
/// values as raw bytes (they need not be UTF-8). Derefs to the list; lookups ignore case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(Vec<(String, Vec<u8>)>);

impl Headers {
    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of `name`, when it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether any header is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Replaces the first header named `name` (keeping its place and case), or appends it.
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        let value = value.into();
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// Drops every header named `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

impl Deref for Headers {
    type Target = Vec<(String, Vec<u8>)>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Headers {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<Vec<(String, Vec<u8>)>> for Headers {
    fn from(pairs: Vec<(String, Vec<u8>)>) -> Headers {
        Headers(pairs)
    }
}

impl FromIterator<(String, Vec<u8>)> for Headers {
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Headers {
        Headers(iter.into_iter().collect())
    }
}

impl IntoIterator for Headers {
    type Item = (String, Vec<u8>);
    type IntoIter = std::vec::IntoIter<(String, Vec<u8>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a mut Headers {
    type Item = &'a mut (String, Vec<u8>);
    type IntoIter = std::slice::IterMut<'a, (String, Vec<u8>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a (String, Vec<u8>);
    type IntoIter = std::slice::Iter<'a, (String, Vec<u8>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Headers that belong to one connection and are never passed on (RFC 9110 §7.6.1), plus the
/// framing (`content-length`, `transfer-encoding`) that whoever sends the message sets itself.
pub const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// `headers` without hop-by-hop and framing headers, nor the ones a `Connection` header names.
pub fn end_to_end(headers: &Headers) -> Headers {
    let listed: Vec<String> = headers
        .all("connection")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    headers
        .iter()
        .filter(|(n, _)| {
            let lower = n.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&lower.as_str()) && !listed.contains(&lower)
        })
        .cloned()
        .collect()
}

/// The value of this hookpit's marker headers: random per process, so a marker is trusted
/// only on requests this hookpit sent; a sender that adds `Hookpit-Forwarded: 1` can neither
/// stop its webhook being forwarded nor have it recorded as a replay.
#[derive(Clone)]
pub struct Marker(std::sync::Arc<str>);

impl Marker {
    /// A fresh random value (128 bits).
    pub fn new() -> Marker {
        let bytes: [u8; 16] = rand::random();
        Marker(hex::encode(bytes).into())
    }

    /// The value to send.
    pub fn value(&self) -> &str {
        &self.0
    }

    /// Whether `headers` hold header `name` with this hookpit's value.
    pub fn on(&self, headers: &Headers, name: &str) -> bool {
        headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(name) && v.as_slice() == self.0.as_bytes())
    }
}

impl Default for Marker {
    fn default() -> Marker {
        Marker::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_hop_by_hop_and_connection_listed_headers_go() {
        let headers: Headers = Headers::from(vec![
            ("Content-Length".into(), b"0".to_vec()),
            ("Transfer-Encoding".into(), b"chunked".to_vec()),
            ("Connection".into(), b"keep-alive, X-Secret".to_vec()),
            ("Keep-Alive".into(), b"timeout=5".to_vec()),
            ("x-secret".into(), b"s".to_vec()),
            ("Upgrade".into(), b"websocket".to_vec()),
            ("X-Kept".into(), b"1".to_vec()),
            ("x-kept".into(), b"2".to_vec()),
        ]);
        let kept = end_to_end(&headers);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.all("X-KEPT").collect::<Vec<_>>(), [b"1", b"2"]);
        assert_eq!(headers.get_str("keep-alive"), Some("timeout=5"));
        assert!(!kept.contains("content-length"));
    }
}
