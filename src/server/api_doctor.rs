//! `POST /api/doctor` (the UI's "Test my endpoint"): runs the doctor in the background, stores
//! the run as it goes and publishes `doctor.progress` frames. `GET /api/doctor/runs`,
//! `GET /api/doctor/runs/{id}` and `GET /api/doctor/runs/{id}/requests/{n}` read stored runs.

use std::time::Duration;

use chrono::Utc;
use http::{HeaderValue, StatusCode, Uri, header};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::api::read_json;
use super::routes::{ApiError, ApiResult};
use super::{Body, json_response};
use crate::app::App;
use crate::doctor::wire::{Frame, Step, Summary};
use crate::doctor::{DoctorError, DoctorReport, Options, Progress, check_keys, run};
use crate::store::doctor::{DoctorRun, NewDoctorRun, RunState};
use crate::verify::{Key, Outgoing, registry};
use crate::wire::rfc3339_ms;

/// Runs listed by `GET /api/doctor/runs` (the store keeps about as many).
const LIST_LIMIT: u32 = 50;
/// Silence after which a running run counts as interrupted, beyond its slowest scenario.
const STALE_MARGIN: Duration = Duration::from_secs(60);

/// The JSON body of `POST /api/doctor`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DoctorRequest {
    /// The app's webhook URL.
    to: String,
    /// The endpoint's secret; else the keys of `/` (`--secret` and the Keys panel).
    secret: Option<String>,
    /// Scenario names; every scenario when empty.
    #[serde(default)]
    only: Vec<String>,
    /// Deliver as this provider does (`hookpit doctor --provider`), not as Svix.
    provider: Option<String>,
}

/// `POST /api/doctor` → 202 and the run (`state: "running"`); progress follows on the stream.
pub async fn start(app: &App, req: Request<Incoming>) -> ApiResult {
    let body: DoctorRequest = read_json(req).await?;
    let bad = |m: String| ApiError::BadRequest(m);
    let target = crate::send::parse_target(&body.to).map_err(|e| bad(format!("\"to\": {e}")))?;
    let given = body.secret.filter(|s| !s.trim().is_empty());
    let keys = match &given {
        Some(secret) => {
            vec![Key::parse(None, secret).map_err(|e| bad(format!("\"secret\": {e}")))?]
        }
        None => app.keys.for_path("/"),
    };
    let options = match body.provider.as_deref() {
        Some(name) => {
            let p = registry::find(name).ok_or_else(|| {
                bad(format!(
                    "\"provider\": no provider {name:?}; known: {}",
                    registry::names()
                ))
            })?;
            let mut probe = Outgoing {
                method: "POST".into(),
                url: target.to_string(),
                headers: Default::default(),
                body: p.sample.body.as_bytes().to_vec(),
            };
            p.sign(&mut probe, &keys, 0).map_err(|e| match given {
                Some(_) => bad(e.to_string()),
                None => bad(format!(
                    "no key configured for / can sign as {}: give \"secret\" ({})",
                    p.title, p.secret
                )),
            })?;
            Options::for_provider(p, &body.only)
        }
        None => {
            check_keys(&keys).map_err(|e| match given {
                Some(_) => bad(e.to_string()),
                None => bad(
                    "no key configured for / can sign: give \"secret\" (the endpoint's whsec_ \
                     secret), or add a whsec_ key for /"
                        .to_string(),
                ),
            })?;
            Options::new(&body.only)
        }
    };
    let options = options.map_err(|e: DoctorError| bad(e.to_string()))?;
    let planned: Vec<&'static str> = options.scenarios().iter().map(|s| s.name).collect();
    let new = NewDoctorRun {
        target: target.to_string(),
        started_at: rfc3339_ms(Utc::now()),
        planned: serde_json::to_string(&planned).expect("names serialize"),
        stale_after: options.timeout * 2 + STALE_MARGIN,
    };
    let id = app.store.doctor_start(new).await?;
    publish(
        app,
        id,
        Step::Started {
            target: target.to_string(),
            scenarios: planned,
        },
    );
    spawn(app.clone(), id, target, keys, options);
    let (run, _) = app
        .store
        .doctor_run(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(json_response(StatusCode::ACCEPTED, &run_json(&run, None)))
}

/// `GET /api/doctor/runs` → `{"runs": [Run…]}`, newest first.
pub async fn list(app: &App) -> ApiResult {
    let runs = app.store.doctor_runs(LIST_LIMIT).await?;
    let runs: Vec<Value> = runs.iter().map(|r| run_json(r, None)).collect();
    Ok(json_response(StatusCode::OK, &json!({ "runs": runs })))
}

/// `GET /api/doctor/runs/{id}` → the Run with `planned`, `scenarios` and `diagnoses`.
pub async fn get(app: &App, id: &str) -> ApiResult {
    let id = parse(id, "doctor run id")?;
    let (run, results) = app
        .store
        .doctor_run(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(json_response(
        StatusCode::OK,
        &run_json(&run, Some(&results)),
    ))
}

/// `GET /api/doctor/runs/{id}/requests/{n}` → the exact body of the run's request `n`.
pub async fn request_body(app: &App, id: &str, n: &str) -> ApiResult {
    let (id, n) = (parse(id, "doctor run id")?, parse(n, "request number")?);
    let body = app
        .store
        .doctor_body(id, n)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("doctor run {id} has no request {n}")))?;
    let mut resp = Response::new(Body::from(body));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(resp)
}

/// Runs the doctor in the background; stops (and marks the run interrupted) at shutdown.
fn spawn(app: App, id: i64, target: Uri, keys: Vec<Key>, options: Options) {
    let stopped = app.stopped();
    app.tasks.clone().spawn(async move {
        tokio::select! {
            report = execute(&app, id, &target, &keys, &options) => finish(&app, id, &report).await,
            _ = stopped => end(&app, id, RunState::Interrupted, None, Step::Interrupted).await,
        }
    });
}

/// Runs the scenarios, storing and publishing each step in order as it happens.
async fn execute(app: &App, id: i64, target: &Uri, keys: &[Key], opts: &Options) -> DoctorReport {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let running = run(&app.client, target, keys, opts, move |p| {
        let step = match p {
            Progress::Started {
                index,
                total,
                scenario,
            } => Step::Running {
                index,
                total,
                name: scenario.name,
            },
            Progress::Finished {
                index,
                total,
                result,
            } => Step::Result {
                index,
                total,
                result: result.clone(),
            },
        };
        // The receiver lives until `running` ends, so a send cannot fail.
        let _ = tx.send(step);
    });
    let recording = async {
        while let Some(step) = rx.recv().await {
            if let Step::Result { index, result, .. } = &step {
                let text = serde_json::to_string(result).expect("results serialize");
                let bodies = result
                    .exchanges
                    .iter()
                    .map(|e| (e.delivery.attempt, e.body.clone()))
                    .collect();
                if let Err(e) = app.store.doctor_record(id, *index, text, bodies).await {
                    tracing::warn!(run = id, "cannot store a doctor result: {e}");
                }
            }
            publish(app, id, step);
        }
    };
    tokio::join!(running, recording).0
}

/// Stores the summary of a finished run and says so on the stream.
async fn finish(app: &App, id: i64, report: &DoctorReport) {
    let summary = Summary::from(report);
    let text = serde_json::to_string(&summary).expect("summaries serialize");
    end(app, id, RunState::Done, Some(text), Step::Finished(summary)).await;
}

/// Ends the stored run in `state` and publishes `step`.
async fn end(app: &App, id: i64, state: RunState, summary: Option<String>, step: Step) {
    let at = rfc3339_ms(Utc::now());
    if let Err(e) = app.store.doctor_finish(id, state, at, summary).await {
        tracing::warn!(run = id, "cannot store the end of a doctor run: {e}");
    }
    publish(app, id, step);
}

fn publish(app: &App, run_id: i64, step: Step) {
    app.live.publish_frame(&Frame { run_id, step });
}

/// A stored run as the API shows it; with `results`, the detail.
fn run_json(run: &DoctorRun, results: Option<&[String]>) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let summary = run.summary.as_deref().map_or(Value::Null, parse);
    let planned = parse(&run.planned);
    let mut v = json!({
        "id": run.id,
        "target": run.target,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "state": run.state,
        "total": planned.as_array().map_or(0, Vec::len),
        "done": run.done,
        "ok": summary["ok"],
        "counts": summary["counts"],
        "duration_ms": summary["duration_ms"],
    });
    if let Some(results) = results {
        v["planned"] = planned;
        v["diagnoses"] = summary.get("diagnoses").cloned().unwrap_or(json!([]));
        v["scenarios"] = Value::Array(results.iter().map(|r| parse(r)).collect());
    }
    v
}

fn parse(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::BadRequest(format!("{text:?} is not a {what}")))
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("no doctor run with id {id}"))
}
