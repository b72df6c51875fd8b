//! A Cyberdesk chain made of the fixtures in tests/data/cyberdesk: the same `run_complete`
//! bodies with one `session_id`, a run id per step, the step's outcome and times, and
//! `release_session_after` on the step that releases the session.

use serde_json::{Value, json};

use super::fixture;

/// One step's webhook.
pub struct Step<'a> {
    /// `run.id`.
    pub run_id: &'a str,
    /// `success` (from the success fixture), `task_failed` (the failed one, with its failed
    /// post-run check), or any other status written over the success fixture.
    pub status: &'a str,
    /// `run.release_session_after`.
    pub release: bool,
    /// The run starts at 18:`minute`:00 on 2026-11-26 (UTC) and ends 30.25 s later.
    pub minute: u32,
}

/// The `run_complete` body of `step` in session `session_id`.
pub fn run_complete(session_id: &str, step: &Step<'_>) -> Vec<u8> {
    let name = if step.status == "task_failed" {
        "cyberdesk/run_complete.task_failed.json"
    } else {
        "cyberdesk/run_complete.success.json"
    };
    let mut body: Value = serde_json::from_slice(&fixture(name)).expect("fixture is JSON");
    let run = &mut body["run"];
    run["id"] = json!(step.run_id);
    run["status"] = json!(step.status);
    run["session_id"] = json!(session_id);
    run["release_session_after"] = json!(step.release);
    let minute = step.minute;
    run["started_at"] = json!(format!("2026-11-26T18:{minute:02}:00.000000Z"));
    run["ended_at"] = json!(format!("2026-11-26T18:{minute:02}:30.250000Z"));
    serde_json::to_vec(&body).expect("json")
}
