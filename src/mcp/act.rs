//! The tools that reach out to an app: replay a stored webhook to it, send it a signed test
//! event, run the doctor battery against it. Each returns the app's answer, cut for a model's
//! context.

use serde_json::{Value, json};

use super::backend::Trouble;
use super::ops::{API_TIMEOUT, Outcome, WAIT_SLACK, done};
use super::params::{ReplayEvent, ReplayMode, RunDoctor, SendTestEvent};
use super::shape::{REPLY_BODY_BYTES, body_text, compact_attempt, cut_body, event_line};
use super::tools::Tools;
use crate::client::DELIVERY_TIMEOUT;

/// How long a doctor run is waited for (its scenarios each wait at most a delivery timeout).
const DOCTOR_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);
/// Pause between two looks at a running doctor run.
const DOCTOR_POLL: std::time::Duration = std::time::Duration::from_millis(250);

impl Tools {
    /// `replay_event`.
    pub(super) async fn replay(&self, input: ReplayEvent) -> Outcome {
        let id = input.id;
        let request = json!({
            "mode": input.mode.unwrap_or(ReplayMode::Resign),
            "target": input.target,
            "new_id": input.new_id.unwrap_or(false),
            "body": input.body,
        });
        let path = format!("/api/events/{id}/replay");
        let timeout = DELIVERY_TIMEOUT * 2 + WAIT_SLACK;
        let attempt = self.backend.post(&path, &request, timeout).await?.ok()?;
        let attempt = compact_attempt(&attempt, REPLY_BODY_BYTES);
        let head = format!(
            "replayed #{id} ({}) to {}",
            attempt["mode"].as_str().unwrap_or(""),
            attempt["target"].as_str().unwrap_or("")
        );
        let text = match attempt["status"].as_u64() {
            Some(status) => format!(
                "{head} → the app answered {status} in {} ms\n{}",
                attempt["duration_ms"],
                body_text(&attempt["response_body"])
            ),
            None => format!(
                "{head} → no answer: {}",
                attempt["error"].as_str().unwrap_or("unknown error")
            ),
        };
        done(attempt, text)
    }

    /// `send_test_event`.
    pub(super) async fn send(&self, input: SendTestEvent) -> Outcome {
        let request = json!({ "template": input.template, "status": input.status, "to": input.to });
        let what = match input.status {
            Some(status) => format!(
                "{} ({})",
                json!(input.template).as_str().unwrap_or(""),
                json!(status).as_str().unwrap_or("")
            ),
            None => json!(input.template).as_str().unwrap_or("").to_string(),
        };
        let timeout = DELIVERY_TIMEOUT + WAIT_SLACK;
        let mut sent = self
            .backend
            .post("/api/send", &request, timeout)
            .await?
            .ok()?;
        let Some(tries) = sent.get_mut("tries").and_then(Value::as_array_mut) else {
            let text = format!("sent {what} into hookpit: {}", event_line(&sent["event"]));
            return done(sent, text);
        };
        for one in tries.iter_mut().filter(|t| t.is_object()) {
            let body = one["response_body"].as_str().unwrap_or("");
            let (cut, truncated) = cut_body(
                &json!({ "encoding": "utf8", "data": body }),
                REPLY_BODY_BYTES,
            );
            one["response_body"] = cut["data"].clone();
            one["response_truncated"] = Value::Bool(truncated || one["response_truncated"] == true);
        }
        let last = tries.last().cloned().unwrap_or_default();
        let head = format!(
            "sent {what} to {} (message {})",
            sent["url"].as_str().unwrap_or(""),
            sent["msg_id"].as_str().unwrap_or("")
        );
        let text = match last["status"].as_u64() {
            Some(status) => format!(
                "{head} → the app answered {status} in {} ms\n{}",
                last["duration_ms"],
                body_text(&json!({ "encoding": "utf8", "data": last["response_body"] }))
            ),
            None => format!(
                "{head} → no answer: {}",
                last["error"].as_str().unwrap_or("unknown error")
            ),
        };
        done(sent, text)
    }

    /// `run_doctor`.
    pub(super) async fn doctor(&self, input: RunDoctor) -> Outcome {
        let request = json!({
            "to": input.to,
            "secret": input.secret,
            "only": input.only.unwrap_or_default(),
        });
        let started = self
            .backend
            .post("/api/doctor", &request, API_TIMEOUT)
            .await?
            .ok()?;
        let Some(id) = started["id"].as_i64() else {
            return Err(Trouble(
                "hookpit started a doctor run but gave no run id".into(),
            ));
        };
        let deadline = tokio::time::Instant::now() + DOCTOR_DEADLINE;
        let run = loop {
            let run = self
                .backend
                .get(&format!("/api/doctor/runs/{id}"), API_TIMEOUT)
                .await?
                .ok()?;
            if run["state"] != "running" {
                break run;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Trouble(format!(
                    "doctor run {id} is still running after {} s; hookpit's UI ({}/) shows it",
                    DOCTOR_DEADLINE.as_secs(),
                    self.backend.base()
                )));
            }
            tokio::time::sleep(DOCTOR_POLL).await;
        };
        let scenarios: Vec<Value> = run["scenarios"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                json!({
                    "name": s["name"], "title": s["title"], "expect": s["expect"],
                    "outcome": s["outcome"], "status": s["status"],
                    "latency_ms": s["latency_ms"], "detail": s["detail"],
                })
            })
            .collect();
        let report = json!({
            "id": id, "target": run["target"], "state": run["state"], "ok": run["ok"],
            "counts": run["counts"], "duration_ms": run["duration_ms"],
            "diagnoses": run["diagnoses"], "scenarios": scenarios,
        });
        let counts = &run["counts"];
        let mut text = format!(
            "doctor on {} ({}): {} pass, {} warn, {} fail, {} info",
            run["target"].as_str().unwrap_or(""),
            run["state"].as_str().unwrap_or(""),
            counts["pass"],
            counts["warn"],
            counts["fail"],
            counts["info"]
        );
        for d in run["diagnoses"].as_array().into_iter().flatten() {
            text.push_str(&format!(
                "\n- {}: {} Fix: {}",
                d["title"].as_str().unwrap_or(""),
                d["cause"].as_str().unwrap_or(""),
                d["fix"].as_str().unwrap_or("")
            ));
        }
        done(report, text)
    }
}
