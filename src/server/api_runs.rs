//! `GET /api/runs/{run_id}`: every stored webhook of one Cyberdesk run in time order (the
//! first delivery, Svix retries, retried runs), each with its verdict and what the app
//! answered; which events belong to a run is `store::runs`' rule.

use http::StatusCode;

use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;

/// `GET /api/runs/{run_id}` (the id percent-decoded): 400 for an empty id, 404 when no
/// webhook of the run is stored.
pub async fn run(app: &App, run_id: &str) -> ApiResult {
    if run_id.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "give a run id: /api/runs/{run_id}, the run.id of a Cyberdesk webhook".into(),
        ));
    }
    let found = app.store.run(run_id).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no webhook of run {run_id:?} is stored (none has it as run.id, nor as its message id)"
        ))
    })?;
    Ok(json_response(StatusCode::OK, &found))
}
