//! What each tool does, over the backend: which API route it asks, how the answer is cut down
//! for a model's context, and the short text an agent reads first.

use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::backend::Trouble;
use super::params::{
    DEFAULT_BODY_BYTES, DEFAULT_LIMIT, DEFAULT_WAIT_S, GetEvent, Include, ListEvents,
    MAX_BODY_BYTES, MAX_LIMIT, MAX_WAIT_S, ReplayEvent, ReplayMode, RunDoctor, SendTestEvent,
    VerifyEvent, WaitForEvent,
};
use super::shape::{
    ATTEMPT_BODY_BYTES, ATTEMPTS_SHOWN, REPLY_BODY_BYTES, body_text, compact_attempt, cut_body,
    event_line, summary_of,
};
use super::tools::Tools;
use crate::cli_api::encode;
use crate::client::DELIVERY_TIMEOUT;

/// How long a plain API request may take.
const API_TIMEOUT: Duration = Duration::from_secs(30);
/// Slack on top of a wait's own timeout before the answer is given up on.
const WAIT_SLACK: Duration = Duration::from_secs(10);
/// How long a doctor run is waited for (its scenarios each wait at most a delivery timeout).
const DOCTOR_DEADLINE: Duration = Duration::from_secs(600);
/// Pause between two looks at a running doctor run.
const DOCTOR_POLL: Duration = Duration::from_millis(250);

/// A tool's result: structured content and a short text, or trouble worded for the agent.
pub type Outcome = Result<Done, Trouble>;

/// What a tool that worked returns.
pub struct Done {
    /// The structured content.
    structured: Value,
    /// The short text an agent reads first.
    text: String,
}

fn done(structured: Value, text: impl Into<String>) -> Outcome {
    Ok(Done {
        structured,
        text: text.into(),
    })
}

/// The MCP result of an outcome: trouble is a tool error (`isError`) whose text says what to do.
pub fn finish(outcome: Outcome) -> CallToolResult {
    match outcome {
        Ok(Done { structured, text }) => {
            let mut result = CallToolResult::structured(structured);
            result.content = vec![ContentBlock::text(text)];
            result
        }
        Err(Trouble(why)) => CallToolResult::error(vec![ContentBlock::text(why)]),
    }
}

impl Tools {
    /// `list_events`.
    pub(super) async fn list(&self, input: ListEvents) -> Outcome {
        let limit = input.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let query = input.query.unwrap_or_default();
        let path = format!("/api/events?limit={limit}&q={}", encode(&query));
        let page = self.backend.get(&path, API_TIMEOUT).await?.ok()?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        let text = if events.is_empty() {
            let matching = if query.is_empty() {
                String::new()
            } else {
                format!(" matches {query:?}")
            };
            format!(
                "No event{matching}. get_status shows where webhooks should be sent; \
                 send_test_event sends one; wait_for_event waits for the next."
            )
        } else {
            let lines: Vec<String> = events.iter().map(event_line).collect();
            format!(
                "{} (newest first):\n{}",
                crate::out::counted(events.len() as u64, "event"),
                lines.join("\n")
            )
        };
        done(json!({ "events": events }), text)
    }

    /// `get_event`.
    pub(super) async fn get(&self, input: GetEvent) -> Outcome {
        let id = input.id;
        let detail = self
            .backend
            .get(&format!("/api/events/{id}"), API_TIMEOUT)
            .await?
            .ok()?;
        if input.include.unwrap_or_default() == Include::Summary {
            let summary = summary_of(&detail);
            let text = format!(
                "{}\nFor its headers, body and verdict: get_event with include \"full\".",
                event_line(&summary)
            );
            return done(summary, text);
        }
        let max = input
            .max_body_bytes
            .unwrap_or(DEFAULT_BODY_BYTES)
            .min(MAX_BODY_BYTES);
        let (body, truncated) = cut_body(&detail["body"], max);
        let raw_url = format!("{}/api/events/{id}/raw", self.backend.base());
        let mut full = detail.clone();
        full["body"] = body.clone();
        full["truncated"] = Value::Bool(truncated);
        full["raw_url"] = Value::String(raw_url.clone());
        let attempts = detail["attempts"].as_array().cloned().unwrap_or_default();
        let shown: Vec<Value> = attempts
            .iter()
            .skip(attempts.len().saturating_sub(ATTEMPTS_SHOWN))
            .map(|a| compact_attempt(a, ATTEMPT_BODY_BYTES))
            .collect();
        full["attempts"] = Value::Array(shown);
        full["attempts_total"] = json!(attempts.len());
        let mut text = format!(
            "{}\nverification: {}\nheaders:\n",
            event_line(&summary_of(&detail)),
            detail["verification"]["message"].as_str().unwrap_or("")
        );
        for pair in detail["headers"].as_array().into_iter().flatten() {
            text.push_str(&format!(
                "  {}: {}\n",
                pair[0].as_str().unwrap_or(""),
                pair[1].as_str().unwrap_or("")
            ));
        }
        text.push_str(&format!("body:\n{}", body_text(&body)));
        if truncated {
            let note = format!(
                "The body was cut to {max} of {} bytes. The whole body: GET {raw_url}, or \
                 get_event again with a larger max_body_bytes (at most {MAX_BODY_BYTES}).",
                detail["size"]
            );
            text.push_str(&format!("\n{note}"));
            full["note"] = Value::String(note);
        }
        done(full, text)
    }

    /// `wait_for_event`.
    pub(super) async fn wait(&self, input: WaitForEvent) -> Outcome {
        let seconds = input
            .timeout_s
            .unwrap_or(DEFAULT_WAIT_S)
            .clamp(1, MAX_WAIT_S);
        let query = input.query.unwrap_or_default();
        let mut path = format!("/api/events/wait?q={}&timeout={seconds}s", encode(&query));
        if let Some(after) = input.after {
            if after < 0 {
                return Err(Trouble("`after` is an event id: 0 or more".into()));
            }
            path.push_str(&format!("&after={after}"));
        }
        let reply = self
            .backend
            .get(&path, Duration::from_secs(seconds) + WAIT_SLACK)
            .await?;
        if reply.status == 408 {
            let what = if query.is_empty() {
                "no event".to_string()
            } else {
                format!("no event matching {query:?}")
            };
            return Err(Trouble(format!(
                "Timed out after {seconds} s: {what} arrived. Make the webhook happen \
                 (send_test_event, or the action in the app that sends it) and wait again; if it \
                 may have come before the wait began, list_events shows it (or pass after: 0)."
            )));
        }
        let event = reply.ok()?["event"].take();
        let text = event_line(&event);
        done(json!({ "event": event }), text)
    }

    /// `verify_event`.
    pub(super) async fn verify(&self, input: VerifyEvent) -> Outcome {
        let id = input.id;
        let path = format!("/api/events/{id}/verify");
        let verdict = self
            .backend
            .post(&path, &json!({}), API_TIMEOUT)
            .await?
            .ok()?;
        let text = format!(
            "event #{id}: {} — {}",
            verdict["status"].as_str().unwrap_or("?"),
            verdict["message"].as_str().unwrap_or("")
        );
        done(verdict, text)
    }

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
        for one in tries.iter_mut() {
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

    /// `get_status`.
    pub(super) async fn status(&self) -> Outcome {
        let status = self.backend.get("/api/status", API_TIMEOUT).await?.ok()?;
        let text_of = |v: &Value| v.as_str().unwrap_or("?").to_string();
        let mut text = format!(
            "hookpit {} is up: webhooks to {}, UI {}, {} stored",
            text_of(&status["version"]),
            text_of(&status["capture_url"]),
            text_of(&status["ui_url"]),
            crate::out::counted(status["events"].as_u64().unwrap_or(0), "event")
        );
        match status["forward"]["target"].as_str() {
            Some(target) => text.push_str(&format!(", forwarding to {target}")),
            None if status["forward"].is_null() => {
                text.push_str(", no forward target (replay_event needs `target`)")
            }
            None => text.push_str(", forwarding by route"),
        }
        if status["storage"]["ok"] == false {
            text.push_str(&format!(
                ", storage failing: {}",
                text_of(&status["storage"]["error"])
            ));
        }
        if let Some(state) = status["relay"]["state"].as_str() {
            text.push_str(&format!(", relay {state}"));
        }
        done(status, text)
    }
}
