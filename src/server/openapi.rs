//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every `/api` route, kept as one JSON
//! file beside the route table (`openapi.json`) and embedded at build time. The tests in
//! `tests/openapi.rs` hold the two together: a route in the table that the document lacks fails
//! them, and real answers are checked against its schemas.

use bytes::Bytes;
use http::{HeaderValue, header};
use hyper::Response;

use super::Body;

use std::sync::LazyLock;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /api/openapi.json`.
pub fn serve() -> Response<Body> {
    let mut resp = Response::new(Body::from(Bytes::from_static(DOCUMENT.as_bytes())));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The document parsed once, for [`methods_for`].
static PARSED: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_json::from_str(DOCUMENT).expect("openapi.json is JSON (tested)"));

/// The methods the document gives `path` (`{…}` in a documented path matches any one segment),
/// upper-case: what an `Allow` header lists when the request's method is not one of them.
pub fn methods_for(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut methods = Vec::new();
    for (template, item) in PARSED["paths"].as_object().into_iter().flatten() {
        let pattern: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        let fits = pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}')));
        if fits {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                let method = method.to_ascii_uppercase();
                if !methods.contains(&method) {
                    methods.push(method);
                }
            }
        }
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_come_from_the_documented_paths() {
        assert_eq!(methods_for("/api/keys/7"), vec!["DELETE"]);
        let mut events = methods_for("/api/events");
        events.sort();
        assert_eq!(events, vec!["DELETE", "GET"]);
        assert!(methods_for("/api/nothing").is_empty());
    }
}
