//! What the tools that read do, over the backend: which API route each asks, how the answer is
//! cut down for a model's context, and the short text an agent reads first; and how any tool's
//! outcome becomes an MCP result. The tools that reach out to an app are in `act.rs`.

use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::backend::Trouble;
use super::params::{
    DEFAULT_BODY_BYTES, DEFAULT_LIMIT, DEFAULT_WAIT_S, GetEvent, Include, ListEvents,
    MAX_BODY_BYTES, MAX_LIMIT, MAX_WAIT_S, VerifyEvent, WaitForEvent,
};
use super::shape::{
    ATTEMPT_BODY_BYTES, ATTEMPTS_SHOWN, body_text, compact_attempt, cut_body, event_line,
};
use super::tools::Tools;
use crate::cli_api::encode;

/// How long a plain API request may take.
pub(super) const API_TIMEOUT: Duration = Duration::from_secs(30);
/// Slack on top of a wait's own timeout before the answer is given up on.
pub(super) const WAIT_SLACK: Duration = Duration::from_secs(10);

/// A tool's result: structured content and a short text, or trouble worded for the agent.
pub type Outcome = Result<Done, Trouble>;

/// What a tool that worked returns.
pub struct Done {
    /// The structured content.
    structured: Value,
    /// The short text an agent reads first.
    text: String,
}

pub(super) fn done(structured: Value, text: impl Into<String>) -> Outcome {
    Ok(Done {
        structured,
        text: text.into(),
    })
}

/// The MCP result of an outcome: trouble is a tool error (`isError`) whose text says what to do.
pub fn finish(outcome: Outcome) -> CallToolResult {
    match outcome {
        Ok(Done { structured, text }) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
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
        if input.include.unwrap_or_default() == Include::Summary {
            let summary = self.summary(id).await?;
            let text = format!(
                "{}\nFor its headers, body and verdict: get_event with include \"full\".",
                event_line(&summary)
            );
            return done(summary, text);
        }
        let mut full = self
            .backend
            .get(&format!("/api/events/{id}"), API_TIMEOUT)
            .await?
            .ok()?;
        let max = input
            .max_body_bytes
            .unwrap_or(DEFAULT_BODY_BYTES)
            .min(MAX_BODY_BYTES);
        // Taken out, not copied: the body may be 25 MiB.
        let (body, truncated) = cut_body(&full["body"].take(), max);
        let raw_url = format!("{}/api/events/{id}/raw", self.backend.base());
        let attempts = full["attempts"].take();
        let attempts = attempts.as_array().map_or(&[][..], Vec::as_slice);
        let shown = &attempts[attempts.len().saturating_sub(ATTEMPTS_SHOWN)..];
        let shown: Vec<Value> = shown
            .iter()
            .map(|a| compact_attempt(a, ATTEMPT_BODY_BYTES))
            .collect();
        let mut text = format!(
            "{}\nverification: {}\nheaders:\n",
            event_line(&full),
            full["verification"]["message"].as_str().unwrap_or("")
        );
        for pair in full["headers"].as_array().into_iter().flatten() {
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
                full["size"]
            );
            text.push_str(&format!("\n{note}"));
            full["note"] = Value::String(note);
        }
        full["body"] = body;
        full["truncated"] = Value::Bool(truncated);
        full["raw_url"] = Value::String(raw_url);
        full["attempts_total"] = json!(attempts.len());
        full["attempts"] = Value::Array(shown);
        done(full, text)
    }

    /// The Summary of event `id`, as the list gives it: the first of the page before `id + 1`
    /// (the detail would bring the whole body along).
    async fn summary(&self, id: i64) -> Result<Value, Trouble> {
        let missing = || {
            Trouble(format!(
                "no event with id {id} — list_events shows the ids that are stored"
            ))
        };
        let before = id.checked_add(1).ok_or_else(missing)?;
        let path = format!("/api/events?limit=1&before={before}");
        let mut page = self.backend.get(&path, API_TIMEOUT).await?.ok()?;
        let first = page.get_mut("events").and_then(|e| e.get_mut(0));
        match first.map(Value::take) {
            Some(summary) if summary["id"] == id => Ok(summary),
            _ => Err(missing()),
        }
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
