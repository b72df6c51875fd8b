//! `GET /api/diff?a=ID&b=ID`: two stored webhooks compared (`compare::compare`): bodies by
//! structure or by line, headers by name.

use http::{StatusCode, Uri};

use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::compare::compare;

/// `GET /api/diff?a=ID&b=ID`: 400 when an id is missing or not a number, 404 when an event
/// does not exist.
pub async fn diff(app: &App, uri: &Uri) -> ApiResult {
    let (mut a, mut b) = (None, None);
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "a" => a = Some(parse(&k, &v)?),
            "b" => b = Some(parse(&k, &v)?),
            _ => {}
        }
    }
    let (Some(a), Some(b)) = (a, b) else {
        return Err(ApiError::BadRequest(
            "give the two events to compare: ?a=ID&b=ID".into(),
        ));
    };
    let missing = |id| ApiError::NotFound(format!("no event with id {id}"));
    let ea = app.store.get(a).await?.ok_or_else(|| missing(a))?;
    let eb = app.store.get(b).await?.ok_or_else(|| missing(b))?;
    // Linear in the bodies' size (the line diff's table is bounded), so it runs in place.
    let diff = compare(&ea.headers, &ea.body, &eb.headers, &eb.body);
    Ok(json_response(StatusCode::OK, &diff))
}

fn parse(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{name}={value:?} is not an event id")))
}
