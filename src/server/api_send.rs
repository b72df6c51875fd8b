//! `POST /api/send`, behind the UI's "Send test event": builds and signs a message with the
//! sender's code. Without `to` it goes straight through the capture pipeline (`source: "send"`,
//! no HTTP round trip, then forwarded like any webhook); with `to` it is POSTed there once and
//! the report is the answer. With `provider` the message is that provider's (its sample body
//! or `body`, its headers and signature), as `hookpit send --provider` sends it.

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Limited};
use hyper::Request;
use hyper::body::Incoming;
use serde::Deserialize;

use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::ingest::{Arrival, ingest};
use crate::schedule::RetrySchedule;
use crate::send::{self, Event, Message, Payload, RunStatus, SendError, Signing, Template};
use crate::store::model::Source;
use crate::verify::{Key, Provider, registry};

/// Largest request body read: a 1 MiB webhook body (Svix's limit) escaped as a JSON string.
const MAX_REQUEST: usize = 3 * 1024 * 1024;

/// The JSON body of `POST /api/send`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    /// A built-in event; `run_complete` when neither this nor `body` is given.
    template: Option<Template>,
    /// `run.status` (run_complete).
    status: Option<RunStatus>,
    /// A failed post-run check (run_complete).
    #[serde(default)]
    checks_fail: bool,
    /// A raw body sent as is, instead of a template.
    body: Option<String>,
    /// Where to POST; the capture pipeline itself when absent.
    to: Option<String>,
    /// Key to sign with; else the keys configured for `path`.
    secret: Option<String>,
    /// Path (and query) the event arrives on, and whose keys sign it; `/` by default.
    path: Option<String>,
    /// Extra `[name, value]` headers, each replacing a default of the same name.
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// Send as this provider sends (`shopify`, as `GET /api/providers` names them), not as Svix.
    provider: Option<String>,
}

/// `POST /api/send` → `{"id", "event": Summary}`, or with `to` the send report.
pub async fn send(app: &App, req: Request<Incoming>) -> ApiResult {
    let request = read_request(req).await?;
    let bad = |e: SendError| ApiError::BadRequest(e.to_string());
    let provider = provider(&request)?;
    let payload = match (&request.body, request.template) {
        (Some(_), Some(_)) => return Err(bad_request("give \"template\" or \"body\", not both")),
        (Some(_), None) if request.status.is_some() || request.checks_fail => {
            return Err(bad_request(
                "\"status\" and \"checks_fail\" apply to templates only",
            ));
        }
        (Some(body), None) => Payload::Raw(Bytes::from(body.clone())),
        (None, template) => Payload::Event(
            Event::new(
                template.unwrap_or(Template::RunComplete),
                request.status,
                request.checks_fail,
            )
            .map_err(|_| {
                bad_request("\"status\" and \"checks_fail\" apply to run_complete only")
            })?,
        ),
    };
    let full_path = request.path.unwrap_or_else(|| "/".to_string());
    if !full_path.starts_with('/') {
        return Err(bad_request("\"path\" must start with /"));
    }
    let (path, query) = full_path.split_once('?').unwrap_or((&full_path, ""));
    let keys = match &request.secret {
        Some(secret) => {
            vec![Key::parse(None, secret).map_err(|e| bad_request(&format!("\"secret\": {e}")))?]
        }
        None => app.keys.for_path(path),
    };
    let signing = Signing {
        keys,
        headers: request.headers,
        ..Signing::default()
    };
    let now = app.clock.now();
    let message = match provider {
        Some(p) => {
            let body = request.body.as_ref().map(|b| Bytes::from(b.clone()));
            Message::for_provider(p, body, &signing)
        }
        None => Message::new(payload.render(now), &signing),
    };
    let message = message.map_err(|e| match (e, provider) {
        (SendError::NoSigningKey, None) if request.secret.is_none() => bad_request(&format!(
            "no key configured for {path} can sign: give \"secret\", or add a whsec_ key for {path}"
        )),
        (SendError::Provider(_), Some(p)) if request.secret.is_none() => bad_request(&format!(
            "no key configured for {path} can sign as {}: give \"secret\" ({}), or add one for \
             {path}",
            p.title, p.secret
        )),
        (other, _) => bad(other),
    })?;
    if let Some(to) = request.to {
        let target = send::parse_target(&to).map_err(bad)?;
        let once = RetrySchedule::once();
        let report = send::send(&app.client, &target, &message, &once, |_| {}).await;
        return Ok(json_response(StatusCode::OK, &report));
    }
    let mut headers = vec![(
        "host".to_string(),
        app.bound.capture.to_string().into_bytes(),
    )];
    // Signed for the URL it arrives at, which Twilio, Square and HubSpot sign too.
    let here = format!("http://{}{full_path}", app.bound.capture);
    let here = here
        .parse()
        .map_err(|_| bad_request("\"path\" is not a valid URL path"))?;
    let (signed, body) = message.signed(&here, now.timestamp());
    headers.extend(signed);
    headers.push((
        "content-length".to_string(),
        body.len().to_string().into_bytes(),
    ));
    let arrival = Arrival {
        received_at: now,
        method: "POST".to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers: headers.into(),
        body,
        remote_addr: None,
        source: Source::Send,
    };
    let ingested = ingest(app, arrival).await?;
    // Like any captured webhook, a sent one goes on to the app when a forward target is set.
    crate::ingest::forward_in_background(app, &ingested).await;
    let summary = ingested.summary;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "id": summary.id, "event": summary }),
    ))
}

/// The provider asked for, refused with templates (they are Cyberdesk's events).
fn provider(request: &SendRequest) -> Result<Option<&'static Provider>, ApiError> {
    let Some(name) = &request.provider else {
        return Ok(None);
    };
    let p = registry::find(name).ok_or_else(|| {
        bad_request(&format!(
            "\"provider\": no provider {name:?}; known: {}",
            registry::names()
        ))
    })?;
    if request.template.is_some() || request.status.is_some() || request.checks_fail {
        return Err(bad_request(
            "\"template\", \"status\" and \"checks_fail\" are Cyberdesk's; with \"provider\" \
             give \"body\" or nothing (its sample)",
        ));
    }
    Ok(Some(p))
}

fn bad_request(message: &str) -> ApiError {
    ApiError::BadRequest(message.to_string())
}

/// Reads and parses the request; an empty body means every default.
async fn read_request(req: Request<Incoming>) -> Result<SendRequest, ApiError> {
    let bytes = Limited::new(req.into_body(), MAX_REQUEST)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ApiError::TooLarge(MAX_REQUEST as u64)
            } else {
                ApiError::BadRequest(format!("could not read the request body: {e}"))
            }
        })?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(SendRequest::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
}
