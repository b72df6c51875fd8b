//! JSON API handlers of the UI listener (README.md lists the routes): list, get, raw, delete,
//! re-verify, keys and status. Each takes what it needs and returns an `ApiResult`.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, Uri, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::routes::{ApiError, ApiResult};
use super::{Body, json_response};
use crate::app::App;
use crate::keys::route_matches;
use crate::live::LiveEvent;
use crate::store::model::{EventFilter, ListQuery};
pub use crate::store::query::parse_search;
use crate::verify::Key;
use crate::wire::EventDetailJson;

/// Default and largest page sizes of `GET /api/events`.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;
/// Largest JSON body the API reads.
const MAX_API_BODY: usize = 1024 * 1024;

/// `GET /api/events?limit&before&q&verification&type&path&run_status&source&method&provider`.
pub async fn list(app: &App, uri: &Uri) -> ApiResult {
    let mut filter = EventFilter::default();
    let mut limit = DEFAULT_PAGE;
    let mut before = None;
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        let v = v.into_owned();
        let set = |slot: &mut Option<String>| *slot = Some(v.clone()).filter(|s| !s.is_empty());
        match &*k {
            "limit" => {
                limit = v
                    .parse::<u32>()
                    .map_err(|_| ApiError::BadRequest(format!("limit {v:?} is not a number")))?
                    .clamp(1, MAX_PAGE)
            }
            "before" => {
                before = Some(v.parse::<i64>().map_err(|_| {
                    ApiError::BadRequest(format!("before {v:?} is not an event id"))
                })?)
            }
            "q" => parse_search(&v, &mut filter).map_err(ApiError::BadRequest)?,
            "verification" => set(&mut filter.verification),
            "type" => set(&mut filter.event_type),
            "path" => set(&mut filter.path_prefix),
            "run_status" => set(&mut filter.run_status),
            "source" => set(&mut filter.source),
            "method" => set(&mut filter.method),
            "provider" => set(&mut filter.provider),
            _ => {}
        }
    }
    let page = app
        .store
        .list(ListQuery {
            filter,
            limit,
            before,
        })
        .await?;
    Ok(json_response(StatusCode::OK, &page))
}

/// `GET /api/events/{id}`.
pub async fn get(app: &App, id: i64) -> ApiResult {
    let event = app.store.get(id).await?.ok_or_else(|| not_found(id))?;
    Ok(json_response(
        StatusCode::OK,
        &EventDetailJson::from(&event),
    ))
}

/// `GET /api/events/{id}/raw[?view=1]`: the body bytes, byte-exact. The sender chose them and
/// their content type, so they are never served as what they claim to be from the UI's origin
/// (a `text/javascript` body would be a script of the UI's own): a download
/// (`application/octet-stream`, `attachment`), or with `?view=1` plain text for a browser tab.
/// Either way in a sandbox, unsniffed.
pub async fn raw(app: &App, id: i64, uri: &Uri) -> ApiResult {
    let (_, body) = app.store.raw_body(id).await?.ok_or_else(|| not_found(id))?;
    let view = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .any(|(k, v)| k == "view" && v != "0");
    let (content_type, disposition) = if view {
        ("text/plain; charset=utf-8", "inline")
    } else {
        ("application/octet-stream", "attachment")
    };
    let mut resp = Response::new(Body::from(body));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("{disposition}; filename=\"event-{id}.body\""))
            .expect("ascii header value"),
    );
    Ok(resp)
}

/// `DELETE /api/events/{id}`.
pub async fn delete(app: &App, id: i64) -> ApiResult {
    if !app.store.delete(id).await? {
        return Err(not_found(id));
    }
    app.live.publish(LiveEvent::EventDeleted { id });
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "deleted": id }),
    ))
}

/// `DELETE /api/events`.
pub async fn delete_all(app: &App) -> ApiResult {
    let n = app.store.delete_all().await?;
    app.live.publish(LiveEvent::EventsCleared);
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "deleted": n }),
    ))
}

/// `POST /api/events/{id}/verify`: judge again with the keys configured now, at the time the
/// webhook was received.
pub async fn verify_one(app: &App, id: i64) -> ApiResult {
    let verdict = reverify(app, id).await?.ok_or_else(|| not_found(id))?;
    Ok(json_response(StatusCode::OK, &verdict))
}

#[derive(Deserialize, Default)]
struct VerifyMany {
    path: Option<String>,
}

/// `POST /api/verify` `{"path"?}`: re-verify every stored event under a path prefix.
pub async fn verify_many(app: &App, req: Request<Incoming>) -> ApiResult {
    let body: VerifyMany = read_json_or_default(req).await?;
    let prefix = body.path.unwrap_or_else(|| "/".into());
    let checked = reverify_route(app, &prefix).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "checked": checked }),
    ))
}

/// Re-verifies one event, stores and publishes the new verdict.
async fn reverify(app: &App, id: i64) -> Result<Option<crate::verify::Verdict>, ApiError> {
    let Some(event) = app.store.get(id).await? else {
        return Ok(None);
    };
    let received_at = chrono::DateTime::parse_from_rfc3339(&event.summary.received_at)
        .map(|t| t.timestamp())
        .unwrap_or_else(|_| chrono::Utc::now().timestamp());
    let s = &event.summary;
    let judged = crate::ingest::Judged {
        method: &s.method,
        path: &s.path,
        query: &s.query,
        headers: &event.headers,
        body: &event.body,
        source: s.source,
    };
    let verdict = crate::ingest::verdict(app, &judged, received_at);
    if let Some(summary) = app.store.set_verification(id, verdict.clone()).await? {
        app.live.publish(LiveEvent::EventUpdated(summary));
    }
    Ok(Some(verdict))
}

/// Re-verifies every event whose path lies under `route`; returns how many were checked.
async fn reverify_route(app: &App, route: &str) -> Result<usize, ApiError> {
    let mut checked = 0;
    let mut before = None;
    loop {
        let filter = EventFilter {
            path_prefix: Some(route.trim_end_matches('/').to_string()).filter(|p| !p.is_empty()),
            ..EventFilter::default()
        };
        let page = app
            .store
            .list(ListQuery {
                filter,
                limit: MAX_PAGE,
                before,
            })
            .await?;
        for e in page.events.iter().filter(|e| route_matches(route, &e.path)) {
            reverify(app, e.id).await?;
            checked += 1;
        }
        match page.next_before {
            Some(b) => before = Some(b),
            None => return Ok(checked),
        }
    }
}

/// `GET /api/providers`: every provider hookpit verifies, with its headers, algorithm,
/// tolerance and docs.
pub fn list_providers() -> Response<Body> {
    json_response(StatusCode::OK, &crate::verify::registry::describe())
}

/// `GET /api/keys`: every key, masked.
pub fn list_keys(app: &App) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "keys": app.keys.list() }),
    )
}

#[derive(Deserialize)]
struct NewKey {
    secret: String,
    route: Option<String>,
    label: Option<String>,
    reverify: Option<bool>,
    /// Binds the key to one provider (`shopify`), as `--secret shopify:…` does.
    provider: Option<String>,
}

/// `POST /api/keys` `{"secret", "provider"?, "route"?, "label"?, "reverify"?}`: adds a key
/// (stored, so it survives a restart; bound to `provider` when given) and by default
/// re-verifies the route's stored events with it.
pub async fn add_key(app: &App, req: Request<Incoming>) -> ApiResult {
    let new: NewKey = read_json(req).await?;
    let route = new.route.unwrap_or_else(|| "/".into());
    if !route.starts_with('/') {
        return Err(ApiError::BadRequest(format!(
            "route {route:?} must start with /"
        )));
    }
    let label = new.label.filter(|l| !l.trim().is_empty());
    let pasted = match new.provider.as_deref().filter(|p| !p.is_empty()) {
        None => new.secret.clone(),
        Some(name) => {
            let provider = crate::verify::registry::find(name).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "key rejected: provider {name:?} is not one hookpit knows ({})",
                    crate::verify::registry::names()
                ))
            })?;
            format!("{}:{}", provider.name, new.secret.trim())
        }
    };
    let key = Key::parse(label.as_deref(), &pasted)
        .map_err(|e| ApiError::BadRequest(format!("key rejected: {e}")))?;
    if app.keys.label_taken(&route, key.label()) {
        return Err(ApiError::Conflict(format!(
            "key rejected: route {route} already has a key labelled {:?}; give this one another label",
            key.label()
        )));
    }
    // Stored as `--secret` spells it, so a bound key is bound again after a restart.
    let stored = app
        .store
        .add_key(&route, key.label(), &key.spelled())
        .await?;
    app.keys.add_api(stored.id, &route, key);
    let checked = if new.reverify.unwrap_or(true) {
        reverify_route(app, &route).await?
    } else {
        0
    };
    let info = app
        .keys
        .list()
        .into_iter()
        .find(|k| k.id == Some(stored.id));
    Ok(json_response(
        StatusCode::CREATED,
        &serde_json::json!({ "key": info, "reverified": checked }),
    ))
}

/// `DELETE /api/keys/{id}`.
pub async fn delete_key(app: &App, id: i64) -> ApiResult {
    if !app.store.delete_key(id).await? || !app.keys.remove_api(id) {
        return Err(ApiError::NotFound(format!(
            "no key with id {id} was added through the API (configured keys live in hookpit.toml or --secret)"
        )));
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "deleted": id }),
    ))
}

#[derive(Deserialize)]
struct KeyId {
    /// A number, not `i64`: JSON Schema counts `3.0` as an integer, and so does this route.
    id: serde_json::Number,
}

/// `DELETE /api/keys` `{"id"}`.
pub async fn delete_key_by_body(app: &App, req: Request<Incoming>) -> ApiResult {
    let body: KeyId = read_json(req).await?;
    let id = body.id.as_i64().or_else(|| {
        let f = body.id.as_f64()?;
        // Integral and within i64 (`i64::MAX as f64` is 2^63, the first f64 past it).
        (f.fract() == 0.0 && (i64::MIN as f64..i64::MAX as f64).contains(&f)).then_some(f as i64)
    });
    let id = id.ok_or_else(|| ApiError::BadRequest(format!("id {} is not a key id", body.id)))?;
    delete_key(app, id).await
}

/// `GET /api/status`.
pub async fn status(app: &App) -> ApiResult {
    // One count serves both: the events stored and the index's total.
    let index = app.store.index_progress().await?;
    let events = index.total;
    let stats = app.store.stats();
    let public = app.public.get();
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "build": super::assets::build_id(),
            "capture_url": format!("http://{}", app.bound.capture),
            "ui_url": format!("http://{}", app.bound.ui),
            "db_path": app.config.db_path,
            "events": events,
            "index": index,
            "forward": forward_status(app),
            "relay": relay_status(app, &public.canary),
            "tunnel": public.tunnel,
            "canary": public.canary,
            "storage": {
                "ok": app.store.write_failure().is_none(),
                "error": app.store.write_failure(),
                "commits": stats.commits,
                "writes": stats.writes,
                "commit_ms": {
                    "p50": stats.commit_ms[0],
                    "p99": stats.commit_ms[1],
                    "max": stats.commit_ms[2],
                },
            },
        }),
    ))
}

/// `relay` of `/api/status`: the relay's status, with the canary that probes its public URL.
fn relay_status(app: &App, canary: &Option<crate::public_url::CanaryStatus>) -> serde_json::Value {
    let Some(relay) = app.relay.get() else {
        return serde_json::Value::Null;
    };
    let mut value = serde_json::to_value(relay).expect("the relay status serializes");
    if let Some(object) = value.as_object_mut() {
        object.insert("canary".into(), serde_json::json!(canary));
    }
    value
}

/// `forward` of `/api/status`: the default target, the mode and the routes with their own.
fn forward_status(app: &App) -> serde_json::Value {
    let routes: Vec<_> = app
        .config
        .routes
        .iter()
        .filter(|r| !r.forward.is_empty())
        .map(|r| {
            serde_json::json!({
                "path": r.path,
                "target": r.forward.first(),
                "targets": r.forward,
                "events": r.events,
                "match": r.matches.as_ref().map(|m| &m.query),
            })
        })
        .collect();
    if app.config.forward.is_none() && routes.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::json!({
        "target": app.config.forward,
        "events": app.config.events,
        "mode": app.config.forward_mode,
        "routes": routes,
    })
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("no event with id {id}"))
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, ApiError> {
    Limited::new(req.into_body(), MAX_API_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ApiError::TooLarge(MAX_API_BODY as u64)
            } else {
                ApiError::BadRequest(format!("could not read the request body: {e}"))
            }
        })
}

pub(super) async fn read_json<T: DeserializeOwned>(req: Request<Incoming>) -> Result<T, ApiError> {
    let bytes = read_body(req).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
}

pub(super) async fn read_json_or_default<T: DeserializeOwned + Default>(
    req: Request<Incoming>,
) -> Result<T, ApiError> {
    let bytes = read_body(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
}
