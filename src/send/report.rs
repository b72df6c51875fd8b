//! What a send reports: every try with its status, latency, error and response, as JSON for
//! `--json` and the API, and as the lines `hookpit send` prints.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::client::Delivery;
use crate::store::model::Headers;

/// The outcome of delivering one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendReport {
    /// The `svix-id` every try carried.
    pub msg_id: String,
    /// Where it was sent.
    pub url: String,
    /// Whether the last try got a 2xx.
    pub ok: bool,
    /// Every try, oldest first.
    pub tries: Vec<TryReport>,
}

/// One try of a send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TryReport {
    /// 1 for the first try.
    pub attempt: usize,
    /// When the try started (RFC 3339, ms).
    pub started_at: String,
    /// The `svix-timestamp` it was signed with.
    pub timestamp: i64,
    /// The headers sent (values as text).
    pub request_headers: Vec<(String, String)>,
    /// The response status, when the target answered.
    pub status: Option<u16>,
    /// Whether the status was 2xx.
    pub ok: bool,
    /// Time until the response (or the failure).
    pub duration_ms: u64,
    /// Why there is no status: refused, timed out, ...
    pub error: Option<String>,
    /// The response headers (values as text).
    pub response_headers: Vec<(String, String)>,
    /// The response body as text (invalid UTF-8 replaced), first 64 KiB.
    pub response_body: String,
    /// Whether the response body was longer than what is kept.
    pub response_truncated: bool,
    /// When the next try follows this failed one; `None` after a success or the last try.
    pub next_retry_in_ms: Option<u64>,
}

impl TryReport {
    /// The report of try number `attempt` from what the client returned.
    pub fn new(
        attempt: usize,
        started_at: DateTime<Utc>,
        timestamp: i64,
        request_headers: Vec<(String, String)>,
        delivery: Delivery,
        next: Option<Duration>,
    ) -> TryReport {
        TryReport {
            attempt,
            started_at: started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            timestamp,
            request_headers,
            status: delivery.status,
            ok: delivery.status.is_some_and(|s| (200..300).contains(&s)),
            duration_ms: u64::try_from(delivery.duration.as_millis()).unwrap_or(u64::MAX),
            error: delivery.error,
            response_headers: printable(&delivery.headers),
            response_body: String::from_utf8_lossy(&delivery.body).into_owned(),
            response_truncated: delivery.truncated,
            next_retry_in_ms: next.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// One line for people: `try 2/3: 503 Service Unavailable in 4 ms; next try in 5s`.
    pub fn line(&self, of: usize) -> String {
        let outcome = match (self.status, &self.error) {
            (Some(s), _) => {
                let reason = http::StatusCode::from_u16(s)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("");
                format!("{s} {reason} in {} ms", self.duration_ms)
            }
            (None, Some(e)) => format!("{e}, after {} ms", self.duration_ms),
            (None, None) => format!("no answer, after {} ms", self.duration_ms),
        };
        let next = match self.next_retry_in_ms {
            Some(ms) => format!("; next try in {}", human(ms)),
            None => String::new(),
        };
        format!("try {}/{of}: {}{next}", self.attempt, outcome.trim_end())
    }
}

impl SendReport {
    /// Why the message was not delivered, in one sentence; `None` when it was.
    pub fn failure(&self) -> Option<String> {
        if self.ok {
            return None;
        }
        let last = self.tries.last()?;
        let why = match (last.status, &last.error) {
            (Some(s), _) => format!("answered {s}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no answer".to_string(),
        };
        let tries = match self.tries.len() {
            1 => "the only try".to_string(),
            n => format!("the last of {n} tries"),
        };
        Some(format!(
            "{} was not delivered to {}: {tries} {why}",
            self.msg_id, self.url
        ))
    }
}

/// Headers with their values as text, for reports.
pub fn printable(headers: &Headers) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// `1500` → `1.5s`, `300000` → `5m`, `7200000` → `2h`.
fn human(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 if ms.is_multiple_of(1_000) => format!("{}s", ms / 1_000),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1_000.0),
        60_000..3_600_000 if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        60_000..3_600_000 => format!("{}s", ms / 1_000),
        _ if ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
        _ => format!("{}m", ms / 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: Option<u16>, error: Option<&str>, next: Option<u64>) -> TryReport {
        let delivery = Delivery {
            status,
            error: error.map(str::to_string),
            duration: Duration::from_millis(4),
            ..Delivery::default()
        };
        TryReport::new(
            2,
            Utc::now(),
            1,
            vec![],
            delivery,
            next.map(Duration::from_millis),
        )
    }

    #[test]
    fn lines_and_failures_read_plainly() {
        let t = report(Some(503), None, Some(300_000));
        assert_eq!(
            t.line(3),
            "try 2/3: 503 Service Unavailable in 4 ms; next try in 5m"
        );
        assert!(!t.ok);
        let refused = report(None, Some("could not connect: Connection refused"), None);
        assert_eq!(
            refused.line(2),
            "try 2/2: could not connect: Connection refused, after 4 ms"
        );
        let mut send = SendReport {
            msg_id: "msg_1".into(),
            url: "http://127.0.0.1:9/".into(),
            ok: false,
            tries: vec![t, refused],
        };
        let wanted = "msg_1 was not delivered to http://127.0.0.1:9/: the last of 2 tries could not connect: Connection refused";
        assert_eq!(send.failure().as_deref(), Some(wanted));
        send.ok = true;
        assert_eq!(send.failure(), None);
        assert!(report(Some(204), None, None).ok);
        assert_eq!(
            (human(1_500), human(5_000), human(7_200_000)),
            ("1.5s".into(), "5s".into(), "2h".into())
        );
    }
}
