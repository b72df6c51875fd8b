//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every `/api` route, kept as one JSON
//! file beside the route table (`openapi.json`) and embedded at build time. The tests in
//! `tests/openapi.rs` hold the two together: a route in the table that the document lacks fails
//! them, and real answers are checked against its schemas.

use bytes::Bytes;
use http::{HeaderValue, header};
use hyper::Response;

use super::Body;

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
