//! Which headers belong to one connection rather than to the message: the one list every
//! listener and every delivery uses before passing headers on, so a forwarded request, a proxied
//! answer and a relayed answer all drop the same names. Also the value of hookpit's own marker
//! headers, which only this process can set.

use crate::store::model::Headers;

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
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| {
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
        let headers: Headers = vec![
            ("Content-Length".into(), b"0".to_vec()),
            ("Transfer-Encoding".into(), b"chunked".to_vec()),
            ("Connection".into(), b"keep-alive, X-Secret".to_vec()),
            ("Keep-Alive".into(), b"timeout=5".to_vec()),
            ("x-secret".into(), b"s".to_vec()),
            ("Upgrade".into(), b"websocket".to_vec()),
            ("X-Kept".into(), b"1".to_vec()),
            ("x-kept".into(), b"2".to_vec()),
        ];
        assert_eq!(
            end_to_end(&headers),
            vec![
                ("X-Kept".to_string(), b"1".to_vec()),
                ("x-kept".to_string(), b"2".to_vec())
            ]
        );
    }
}
