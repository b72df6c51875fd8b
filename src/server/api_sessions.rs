//! `GET /api/sessions`, `GET /api/sessions/{session_id}` and
//! `PUT /api/sessions/{session_id}/expected`: Cyberdesk `run_complete` webhooks grouped by
//! `run.session_id` into timelines (`crate::session` decides what a timeline shows), and the
//! chain a user expects for one.

use http::{StatusCode, Uri};
use hyper::Request;
use hyper::body::Incoming;
use serde::Deserialize;

use super::api::read_json;
use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::session;

/// Default and largest number of sessions `GET /api/sessions` lists.
const DEFAULT_SESSIONS: usize = 200;
const MAX_SESSIONS: usize = 1000;
/// Longest session or run id taken, in characters (Cyberdesk's are 36-character UUIDs).
const MAX_ID_CHARS: usize = 200;
/// Most run ids one expected chain may hold.
const MAX_EXPECTED_RUNS: usize = 1000;

/// The body of `PUT /api/sessions/{session_id}/expected`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// The chain's run ids in step order (`client.runs.chain(...)`'s answer); `[]` forgets it.
    run_ids: Vec<String>,
}

/// Refuses an id that is empty, too long or holds control characters or spaces; `what` names
/// it in the message.
fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    let chars = id.chars().count();
    if chars == 0 {
        return Err(ApiError::BadRequest(format!("the {what} is empty")));
    }
    if chars > MAX_ID_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the {what} has {chars} characters; at most {MAX_ID_CHARS}"
        )));
    }
    if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::BadRequest(format!(
            "the {what} {id:?} holds a space or a control character"
        )));
    }
    Ok(())
}

/// `GET /api/sessions?limit`: `[{session_id, runs, first_at, last_at, released, stopped_early}]`,
/// most recently active first.
pub async fn list(app: &App, uri: &Uri) -> ApiResult {
    let mut limit = DEFAULT_SESSIONS;
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if k == "limit" {
            limit = v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_SESSIONS).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "limit {v:?} is not a number from 1 to {MAX_SESSIONS}"
                    ))
                })?;
        }
    }
    let lines = session::summaries(app.store.sessions().await?, limit);
    Ok(json_response(StatusCode::OK, &lines))
}

/// `GET /api/sessions/{session_id}`: the session's timeline; 404 when no webhook names it and
/// no chain is expected for it.
pub async fn get(app: &App, session_id: &str) -> ApiResult {
    check_id("session id", session_id)?;
    let stored = app.store.session(session_id).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no webhook names session {session_id:?} (run.session_id) and no chain is expected \
             for it; GET /api/sessions lists the sessions"
        ))
    })?;
    Ok(json_response(
        StatusCode::OK,
        &session::timeline(session_id, stored),
    ))
}

/// `PUT /api/sessions/{session_id}/expected` `{"run_ids": [...]}`: stores the chain the user
/// expects (its run ids in step order) and answers the timeline with it; `[]` forgets it.
pub async fn put_expected(app: &App, session_id: &str, req: Request<Incoming>) -> ApiResult {
    check_id("session id", session_id)?;
    let body: Expected = read_json(req).await?;
    if body.run_ids.len() > MAX_EXPECTED_RUNS {
        return Err(ApiError::BadRequest(format!(
            "run_ids has {} run ids; at most {MAX_EXPECTED_RUNS}",
            body.run_ids.len()
        )));
    }
    for (n, id) in body.run_ids.iter().enumerate() {
        check_id(&format!("run id at step {}", n + 1), id)?;
        if body.run_ids[..n].contains(id) {
            return Err(ApiError::BadRequest(format!(
                "run id {id:?} is given twice (steps {} and {}); a chain runs each run once",
                body.run_ids[..n].iter().position(|x| x == id).unwrap_or(0) + 1,
                n + 1
            )));
        }
    }
    app.store
        .set_session_expected(session_id, body.run_ids)
        .await?;
    let timeline = match app.store.session(session_id).await? {
        Some(stored) => session::timeline(session_id, stored),
        // Forgotten, and no webhook names it: an empty timeline, as a GET would 404.
        None => session::Timeline {
            session_id: session_id.to_owned(),
            runs: Vec::new(),
            expected: None,
            missing: Vec::new(),
            stopped_early_at: None,
            released: false,
            runs_left_out: 0,
        },
    };
    Ok(json_response(StatusCode::OK, &timeline))
}
