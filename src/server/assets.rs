//! The browser UI's files, embedded in the binary from `web/`. Each answer carries an ETag
//! (the file's sha256) and `no-cache`, so a new build is picked up without a stale tab.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use hyper::Response;

use sha2::Digest as _;

use super::Body;

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Web;

/// A short hash of every embedded file: it changes with any UI change, so an open tab can
/// tell that it should reload.
pub fn build_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let mut names: Vec<_> = Web::iter().collect();
        names.sort();
        let mut hasher = sha2::Sha256::new();
        for name in names {
            if let Some(file) = Web::get(&name) {
                sha2::Digest::update(&mut hasher, name.as_bytes());
                sha2::Digest::update(&mut hasher, file.metadata.sha256_hash());
            }
        }
        hex::encode(&sha2::Digest::finalize(hasher)[..6])
    })
}

/// The embedded file for a UI path, or `None` when there is none.
pub fn serve(path: &str, request_headers: &HeaderMap) -> Option<Response<Body>> {
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    let file = Web::get(name)?;
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        let mut r = Response::new(Body::default());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Body::from(Bytes::from(file.data.into_owned())))
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header value"),
    );
    Some(resp)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}
