//! `POST /api/events/{id}/transform`: runs a Svix transformation on a stored webhook and shows
//! what it would send, without sending anything: the code given, else the route's
//! `transformation` file.

use http::StatusCode;
use hyper::Request;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};

use super::api::read_json_or_default;
use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::forward::transformed::{input, transformation_for};
use crate::transform::{Input, TransformError, run_blocking};

/// The request: code to run instead of the route's transformation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransformRequest {
    /// JavaScript declaring `function handler(webhook)`.
    code: Option<String>,
}

/// The answer: what would be sent (`method`, `url`, `payload`, `cancel`), or the `error` with
/// its line; the handler's `input`; the route's transformation, when it has one.
#[derive(Debug, Serialize)]
struct TransformAnswer {
    /// The method the result sends (the input's when the run failed).
    method: String,
    /// The URL the result sends to (the input's when the run failed).
    url: String,
    /// The transformed body; `null` when the run failed.
    payload: serde_json::Value,
    /// Whether the handler cancelled the delivery (nothing would be sent).
    cancel: bool,
    /// Why there is no result: the message and the line of the code, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<TransformError>,
    /// What the handler was given; `null` when the body is not JSON.
    input: Option<Input>,
    /// The route's transformation (`{file, code}`), whether or not it was the code run.
    transformation: Option<RouteTransformation>,
}

/// A route's transformation file as the UI shows it.
#[derive(Debug, Serialize)]
struct RouteTransformation {
    /// The file's name.
    file: String,
    /// Its code.
    code: String,
}

/// `POST /api/events/{id}/transform` → [`TransformAnswer`]; a 400 when there is no code to run.
pub async fn transform(app: &App, id: i64, req: Request<Incoming>) -> ApiResult {
    let body: TransformRequest = read_json_or_default(req).await?;
    let event = app
        .store
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {id}")))?;
    let s = &event.summary;
    let route = transformation_for(app, &s.path);
    let (code, name) = match (body.code, route) {
        (Some(code), _) => (code.into(), "transformation.js".to_string()),
        (None, Some(t)) => (t.code.clone(), t.name()),
        (None, None) => {
            return Err(ApiError::BadRequest(format!(
                "no transformation to run: pass \"code\", or set transformation = \"FILE.js\" on a route for {} in hookpit.toml",
                s.path
            )));
        }
    };
    let url = crate::forward::target_for(app, &s.path, &s.query).unwrap_or_else(|| {
        match s.query.is_empty() {
            true => s.path.clone(),
            false => format!("{}?{}", s.path, s.query),
        }
    });
    let transformation = route.map(|t| RouteTransformation {
        file: t.name(),
        code: t.code.to_string(),
    });
    let given = input(&s.method, &url, &event.body, s.event_type.as_deref());
    let ran = match given.clone() {
        Ok(given) => run_blocking(code, name, given).await,
        Err(e) => Err(e),
    };
    let answer = match ran {
        Ok(out) => TransformAnswer {
            method: out.method,
            url: out.url,
            payload: out.payload,
            cancel: out.cancel,
            error: None,
            input: given.ok(),
            transformation,
        },
        Err(error) => TransformAnswer {
            method: s.method.clone(),
            url,
            payload: serde_json::Value::Null,
            cancel: false,
            error: Some(error),
            input: given.ok(),
            transformation,
        },
    };
    Ok(json_response(StatusCode::OK, &answer))
}
