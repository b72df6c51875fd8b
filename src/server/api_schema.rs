//! `GET /api/schemas` and `GET /api/schemas/{key}`: what the schema learner (`learn`) knows of
//! each kind of event, and one kind's fields with its JSON Schema (2020-12) for code generators.

use http::StatusCode;
use serde_json::json;

use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::schema::json_schema;

/// `GET /api/schemas`: `[{key, route, event_type, events, fields, last_drift_id}]` by key.
pub async fn list(app: &App) -> ApiResult {
    let kinds = app.store.schemas().await?;
    let out: Vec<_> = kinds
        .iter()
        .map(|k| {
            json!({
                "key": k.key,
                "route": k.route,
                "event_type": k.event_type,
                "events": k.learned.events,
                "fields": k.learned.fields().len(),
                "last_drift_id": k.last_drift_id,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &out))
}

/// `GET /api/schemas/{key}` (the key percent-encoded): `{key, fields: [{path, types, seen, of,
/// example}], json_schema}`.
pub async fn get(app: &App, key: &str) -> ApiResult {
    let kind = app.store.schema(key).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "nothing learned for {key:?} (GET /api/schemas lists the keys)"
        ))
    })?;
    let of = kind.learned.events;
    let fields: Vec<_> = kind
        .learned
        .fields()
        .iter()
        .map(|(path, f)| {
            json!({
                "path": path,
                "types": f.types,
                "seen": f.seen,
                "of": of,
                "example": f.example,
            })
        })
        .collect();
    let title = match &kind.event_type {
        Some(t) => format!("{t} on {}", kind.route),
        None => format!("events on {}", kind.route),
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "key": kind.key,
            "fields": fields,
            "json_schema": json_schema(&kind.learned, &title),
        }),
    ))
}
