//! What the sender sends: a built-in template with its options, or any body. The templates'
//! bodies themselves are built in `templates.rs`.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{SendError, templates};

/// The built-in event templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Cyberdesk's `run_complete`: a run reached a final status.
    #[value(name = "run_complete")]
    RunComplete,
    /// Cyberdesk's `downed_machines`: machines stopped sending heartbeats.
    #[value(name = "downed_machines")]
    DownedMachines,
    /// A minimal `ping`, like Svix's test event.
    #[value(name = "ping")]
    Ping,
}

/// The final status of a `run_complete` run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Finished, output and attachments present.
    #[default]
    #[value(name = "success")]
    Success,
    /// Stopped by an infrastructure error.
    #[value(name = "error")]
    Error,
    /// The agent could not complete the task.
    #[value(name = "task_failed")]
    TaskFailed,
    /// Cancelled; only the required keys.
    #[value(name = "cancelled")]
    Cancelled,
}

impl RunStatus {
    /// The wire name, e.g. `task_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Error => "error",
            RunStatus::TaskFailed => "task_failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// A template with its options: what `hookpit send run_complete --status …` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Which event.
    pub template: Template,
    /// `run.status` (run_complete only).
    pub status: RunStatus,
    /// Whether a post-run check failed (run_complete only).
    pub checks_fail: bool,
}

impl Event {
    /// Checks that `status` and `checks_fail` are only given for `run_complete`.
    pub fn new(
        template: Template,
        status: Option<RunStatus>,
        checks_fail: bool,
    ) -> Result<Event, SendError> {
        if template != Template::RunComplete {
            if status.is_some() {
                return Err(SendError::NotRunComplete("--status"));
            }
            if checks_fail {
                return Err(SendError::NotRunComplete("--checks-fail"));
            }
        }
        Ok(Event {
            template,
            status: status.unwrap_or_default(),
            checks_fail,
        })
    }

    /// The compact JSON body, with fresh ids and times around `now`.
    pub fn body(&self, now: DateTime<Utc>) -> Bytes {
        let value = templates::render(self, now);
        Bytes::from(serde_json::to_vec(&value).expect("JSON values serialize"))
    }
}

/// What is sent: a template rendered anew for each message, or bytes sent verbatim.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A built-in template.
    Event(Event),
    /// Any body, sent byte for byte.
    Raw(Bytes),
}

impl Payload {
    /// The body of one message built at `now`.
    pub fn render(&self, now: DateTime<Utc>) -> Bytes {
        match self {
            Payload::Event(e) => e.body(now),
            Payload::Raw(b) => b.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_checks_fail_belong_to_run_complete() {
        let e = Event::new(Template::Ping, Some(RunStatus::Error), false);
        assert_eq!(e, Err(SendError::NotRunComplete("--status")));
        let e = Event::new(Template::DownedMachines, None, true);
        assert_eq!(e, Err(SendError::NotRunComplete("--checks-fail")));
        let e = Event::new(Template::RunComplete, None, true).expect("valid");
        assert_eq!((e.status, e.checks_fail), (RunStatus::Success, true));
        let raw = Payload::Raw(Bytes::from_static(b"\xff"));
        assert_eq!(raw.render(Utc::now()), Bytes::from_static(b"\xff"));
    }
}
