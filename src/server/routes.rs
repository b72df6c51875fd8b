//! The one route table: the capture listener sends everything to capture; the UI listener
//! checks the guard, then maps method and path to the API, the WebSocket or the embedded files.
//! This is also the one place where errors become HTTP statuses.

use http::{Method, StatusCode, header};
use hyper::Request;
use hyper::Response;
use hyper::body::Incoming;

use super::{
    Body, Conn, Listener, api, api_export, api_import, api_replay, assets, capture, error_response,
    guard, ws,
};
use crate::app::App;
use crate::store::StoreError;

/// Content-Security-Policy of every UI answer: nothing but hookpit's own files, and Trusted
/// Types enforced with no policy allowed, so the browser itself refuses to parse any string as
/// HTML or script (`innerHTML` and the like throw): webhook data can only ever become text.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
require-trusted-types-for 'script'; trusted-types 'none'";

/// What an API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The path is the API's, the method is not one it takes there.
    #[error("{method} is not one of the methods this path takes: {allow}")]
    MethodNotAllowed {
        /// The method asked.
        method: String,
        /// The methods the path takes, as an `Allow` header lists them.
        allow: String,
    },
    /// The request body is over the limit.
    #[error("request body over {0} bytes")]
    TooLarge(u64),
    /// Storage failed.
    #[error("storage error: {0}")]
    Store(#[from] StoreError),
}

impl ApiError {
    fn into_response(self) -> Response<Body> {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed { allow, .. } => {
                let allow = http::HeaderValue::from_str(allow).ok();
                let mut resp = error_response(StatusCode::METHOD_NOT_ALLOWED, self.to_string());
                if let Some(allow) = allow {
                    resp.headers_mut().insert(header::ALLOW, allow);
                }
                return resp;
            }
            ApiError::Store(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
            ApiError::Store(e) => {
                tracing::error!("API storage error: {e}");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        error_response(status, self.to_string())
    }
}

/// Result of an API handler.
pub type ApiResult = Result<Response<Body>, ApiError>;

/// Handles one request of either listener.
pub async fn dispatch(
    which: Listener,
    app: App,
    req: Request<Incoming>,
    conn: Conn,
) -> Response<Body> {
    match which {
        Listener::Capture => capture::handle(app, req, conn).await,
        Listener::Ui => {
            let mut resp = ui(app, req, conn.local).await;
            let headers = resp.headers_mut();
            if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    http::HeaderValue::from_static(CSP),
                );
            }
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                http::HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                http::HeaderValue::from_static("no-referrer"),
            );
            headers.insert(
                header::X_FRAME_OPTIONS,
                http::HeaderValue::from_static("DENY"),
            );
            resp
        }
    }
}

async fn ui(app: App, req: Request<Incoming>, reached: std::net::SocketAddr) -> Response<Body> {
    let admitted = match guard::admit(
        &app,
        req.method(),
        req.version(),
        req.uri(),
        req.headers(),
        reached,
    ) {
        Ok(a) => a,
        Err(refusal) => {
            let (status, message) = refusal.status_and_message();
            // The path only: the query may carry a `?token=`, which must not reach the log.
            tracing::warn!(path = %req.uri().path(), "UI request refused: {message}");
            return error_response(status, message);
        }
    };
    let mut resp = match route(app, req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    };
    if let Some(token) = admitted.set_token_cookie {
        let cookie = format!(
            "{}={token}; HttpOnly; SameSite=Strict; Path=/",
            guard::TOKEN_COOKIE
        );
        if let Ok(v) = http::HeaderValue::from_str(&cookie) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    resp
}

async fn route(app: App, req: Request<Incoming>) -> ApiResult {
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["api", "events"]) => api::list(&app, req.uri()).await,
        (&Method::DELETE, ["api", "events"]) => api::delete_all(&app).await,
        (&Method::GET, ["api", "events", "wait"]) => super::api_wait::wait(&app, req.uri()).await,
        (&Method::GET, ["api", "events", id]) => api::get(&app, parse_id(id)?).await,
        (&Method::DELETE, ["api", "events", id]) => api::delete(&app, parse_id(id)?).await,
        (&Method::GET, ["api", "events", id, "raw"]) => {
            api::raw(&app, parse_id(id)?, req.uri()).await
        }
        (&Method::POST, ["api", "events", id, "verify"]) => {
            api::verify_one(&app, parse_id(id)?).await
        }
        (&Method::POST, ["api", "events", id, "replay"]) => {
            api_replay::replay_one(&app, parse_id(id)?, req).await
        }
        (&Method::POST, ["api", "events", id, "transform"]) => {
            super::api_transform::transform(&app, parse_id(id)?, req).await
        }
        (&Method::POST, ["api", "events", id, "curl"]) => {
            api_replay::curl(&app, parse_id(id)?, req).await
        }
        (&Method::POST, ["api", "replay"]) => api_replay::replay_many(&app, req).await,
        (&Method::GET, ["api", "replay", job]) => api_replay::replay_job(&app, job).await,
        (&Method::GET, ["api", "messages", msg_id]) => {
            let msg_id = percent_decode(msg_id);
            api_replay::message_timeline(&app, &msg_id).await
        }
        (&Method::GET, ["api", "runs", run_id]) => {
            super::api_runs::run(&app, &percent_decode(run_id)).await
        }
        (&Method::GET, ["api", "schemas"]) => super::api_schema::list(&app).await,
        (&Method::GET, ["api", "schemas", key]) => {
            let key = percent_decode(key);
            super::api_schema::get(&app, &key).await
        }
        (&Method::GET, ["api", "sessions"]) => super::api_sessions::list(&app, req.uri()).await,
        (&Method::GET, ["api", "sessions", id]) => {
            super::api_sessions::get(&app, &percent_decode(id)).await
        }
        (&Method::PUT, ["api", "sessions", id, "expected"]) => {
            let id = percent_decode(id);
            super::api_sessions::put_expected(&app, &id, req).await
        }
        (&Method::GET, ["api", "diff"]) => super::api_diff::diff(&app, req.uri()).await,
        (&Method::POST, ["api", "verify"]) => api::verify_many(&app, req).await,
        (&Method::GET, ["api", "keys"]) => Ok(api::list_keys(&app)),
        (&Method::GET, ["api", "providers"]) => Ok(api::list_providers()),
        (&Method::POST, ["api", "keys"]) => api::add_key(&app, req).await,
        (&Method::DELETE, ["api", "keys"]) => api::delete_key_by_body(&app, req).await,
        (&Method::DELETE, ["api", "keys", id]) => api::delete_key(&app, parse_id(id)?).await,
        (&Method::GET, ["api", "status"]) => api::status(&app).await,
        (&Method::GET, ["api", "export"]) => api_export::export(&app, req.uri()).await,
        (&Method::POST, ["api", "import"]) => api_import::import(&app, req).await,
        (&Method::GET, ["api", "openapi.json"]) => Ok(super::openapi::serve()),
        (&Method::GET, ["api", "live"]) => Ok(ws::upgrade(app, req)),
        (&Method::POST, ["api", "send"]) => super::api_send::send(&app, req).await,
        (&Method::POST, ["api", "doctor"]) => super::api_doctor::start(&app, req).await,
        (&Method::GET, ["api", "doctor", "runs"]) => super::api_doctor::list(&app).await,
        (&Method::GET, ["api", "doctor", "runs", id]) => super::api_doctor::get(&app, id).await,
        (&Method::GET, ["api", "doctor", "runs", id, "requests", n]) => {
            super::api_doctor::request_body(&app, id, n).await
        }
        // MCP's own protocol, not part of the JSON API (so not in openapi.json).
        (_, ["mcp"]) => Ok(super::mcp::serve(&app, req).await),
        // A path the API has, asked with another method: 405 with the methods it takes.
        (m, ["api", ..]) if !super::openapi::methods_for(&path).is_empty() => {
            Err(ApiError::MethodNotAllowed {
                method: m.to_string(),
                allow: super::openapi::methods_for(&path).join(", "),
            })
        }
        (_, ["api", ..]) => Err(ApiError::NotFound(format!("no API route {method} {path}"))),
        (&Method::GET | &Method::HEAD, _) => assets::serve(&path, req.headers())
            .ok_or_else(|| ApiError::NotFound(format!("no page at {path}"))),
        _ => Err(ApiError::NotFound(format!("no route {method} {path}"))),
    }
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::BadRequest(format!("{text:?} is not an event id")))
}
