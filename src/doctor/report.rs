//! What a doctor run reports: every delivery with its request and response, each scenario's
//! outcome judged the way Svix treats an answer (status class and latency), the counts, and the
//! lines `hookpit doctor` prints.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Options;
use super::diagnose::{Diagnosis, diagnose};
use super::scenarios::{Expect, Scenario, Twist};
use super::speech::Speech;
use crate::client::DELIVERY_TIMEOUT;
use crate::send::TryReport;

/// How much of each request body a report shows (the store keeps every byte).
pub const BODY_PREVIEW: usize = 64 * 1024;

/// A scenario's verdict; ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The app answered as Svix needs.
    Pass,
    /// Only reported (`webhook_headers`).
    Info,
    /// Works with Svix, but should be better (slow, 5xx instead of 4xx).
    Warn,
    /// Breaks with Svix, or lets forgeries in.
    Fail,
}

impl Outcome {
    /// `PASS`, `INFO`, `WARN` or `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Info => "INFO",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
        }
    }
}

/// One delivery: the try as `hookpit send` reports it (`attempt` is the request's number in the
/// run, from 1), plus the start of the body that was sent.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Request headers, status, latency, error, response headers and body.
    #[serde(flatten)]
    pub delivery: TryReport,
    /// Size of the body sent.
    pub request_size: usize,
    /// The body sent as text, cut at `BODY_PREVIEW`.
    pub request_body: String,
    /// Whether `request_body` was cut.
    pub request_truncated: bool,
    /// The exact bytes sent, for storage.
    #[serde(skip)]
    pub body: Bytes,
}

impl Exchange {
    /// The exchange of `delivery`, which sent `body`.
    pub fn new(delivery: TryReport, body: Bytes) -> Exchange {
        let cut = BODY_PREVIEW.min(body.len());
        Exchange {
            delivery,
            request_size: body.len(),
            request_body: String::from_utf8_lossy(&body[..cut]).into_owned(),
            request_truncated: cut < body.len(),
            body,
        }
    }
}

/// How one scenario went.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: &'static str,
    /// What it sent.
    pub title: &'static str,
    /// What a correct app answers.
    pub expect: Expect,
    /// The verdict.
    pub outcome: Outcome,
    /// The status of the delivery that decided the verdict, when the app answered.
    pub status: Option<u16>,
    /// The slowest delivery's latency.
    pub latency_ms: u64,
    /// What went wrong (or, for `duplicate`, `retried_run` and `webhook_headers`, what the app
    /// answered).
    pub detail: String,
    /// Every delivery, in order.
    pub exchanges: Vec<Exchange>,
}

impl ScenarioResult {
    /// Judges the deliveries of `scenario`.
    pub fn judge(scenario: &Scenario, exchanges: Vec<Exchange>, options: &Options) -> Self {
        let judged: Vec<(Outcome, String)> = exchanges
            .iter()
            .map(|e| judge_one(scenario.expect, &e.delivery, options))
            .collect();
        let worst = (0..judged.len()).max_by_key(|&i| (judged[i].0, usize::MAX - i));
        let outcome = worst.map_or(Outcome::Fail, |i| judged[i].0);
        let decisive = worst
            .filter(|_| outcome > Outcome::Info)
            .or(judged.len().checked_sub(1));
        let mut detail = decisive.map_or_else(String::new, |i| judged[i].1.clone());
        if let (Some(i), true) = (decisive, exchanges.len() > 1) {
            detail = match outcome {
                Outcome::Pass => format!("the repeat answered {}", excerpt(&exchanges[i].delivery)),
                _ => format!("delivery {} of {}: {detail}", i + 1, exchanges.len()),
            };
        }
        let mut result = ScenarioResult {
            name: scenario.name,
            title: scenario.title,
            expect: scenario.expect,
            outcome,
            status: decisive.and_then(|i| exchanges[i].delivery.status),
            latency_ms: exchanges
                .iter()
                .map(|e| e.delivery.duration_ms)
                .max()
                .unwrap_or(0),
            detail,
            exchanges,
        };
        if scenario.twist == Twist::RetriedRun {
            super::retried_run::refine(&mut result);
        }
        result
    }

    /// A scenario that could not be sent (no key signs).
    pub fn not_sent(scenario: &Scenario, why: String) -> Self {
        ScenarioResult {
            outcome: Outcome::Fail,
            detail: why,
            ..ScenarioResult::judge(scenario, Vec::new(), &Options::default())
        }
    }

    /// `FAIL  pretty               401     3 ms  the same event pretty-printed: expected 2xx, got 401`
    pub fn line(&self) -> String {
        let status = self.status.map_or("---".to_string(), |s| s.to_string());
        let what = match self.detail.as_str() {
            "" => self.title.to_string(),
            detail => format!("{}: {detail}", self.title),
        };
        let latency = human(self.latency_ms);
        format!(
            "{}  {:<20} {status:>3}  {latency:>7}  {what}",
            self.outcome.label(),
            self.name
        )
    }
}

/// How many scenarios ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Warned.
    pub warn: usize,
    /// Failed.
    pub fail: usize,
    /// Only reported.
    pub info: usize,
}

/// The whole run: `hookpit doctor --json` prints it, the API stores and serves it.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// The URL tested.
    pub target: String,
    /// When the run started (RFC 3339, ms).
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// Whether nothing failed.
    pub ok: bool,
    /// Scenarios per outcome.
    pub counts: Counts,
    /// Each scenario, in the order run.
    pub scenarios: Vec<ScenarioResult>,
    /// What the failures and warnings mean and how to fix them, worst first.
    pub diagnoses: Vec<Diagnosis>,
    /// Whose words the text report uses (Svix's, or the `--provider`'s).
    #[serde(skip)]
    pub speech: Speech,
}

impl DoctorReport {
    /// Counts and diagnoses `scenarios`.
    pub fn new(
        target: String,
        started: DateTime<Utc>,
        scenarios: Vec<ScenarioResult>,
        options: &Options,
    ) -> Self {
        let mut counts = Counts::default();
        for s in &scenarios {
            *match s.outcome {
                Outcome::Pass => &mut counts.pass,
                Outcome::Warn => &mut counts.warn,
                Outcome::Fail => &mut counts.fail,
                Outcome::Info => &mut counts.info,
            } += 1;
        }
        let diagnoses = diagnose(&scenarios, options);
        DoctorReport {
            target,
            started_at: crate::wire::rfc3339_ms(started),
            duration_ms: millis((Utc::now() - started).to_std().unwrap_or_default()),
            ok: counts.fail == 0,
            counts,
            scenarios,
            diagnoses,
            speech: Speech::new(options.provider),
        }
    }

    /// `2 failed, 1 warning, 14 passed, 1 info in 1.2 s`
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let warnings = if c.warn == 1 { "warning" } else { "warnings" };
        format!(
            "{} failed, {} {warnings}, {} passed, {} info in {}",
            c.fail,
            c.warn,
            c.pass,
            c.info,
            human(self.duration_ms)
        )
    }
}

/// The verdict on one delivery and, when it is not a plain pass, why.
fn judge_one(expect: Expect, t: &TryReport, options: &Options) -> (Outcome, String) {
    use Outcome::*;
    let (outcome, why) = match (t.status, expect) {
        (None, _) if t.duration_ms >= millis(options.timeout) => (
            Fail,
            format!("no answer within {}", human(millis(options.timeout))),
        ),
        (None, _) => (Fail, t.error.clone().unwrap_or_else(|| "no answer".into())),
        (Some(s), Expect::Report) if (200..300).contains(&s) => (Info, format!("accepted ({s})")),
        (Some(s), Expect::Report) => (Info, format!("refused ({s})")),
        (Some(s), _) if (300..400).contains(&s) => (
            Fail,
            format!(
                "answered {s}, {}",
                Speech::new(options.provider).redirect_note()
            ),
        ),
        (Some(s), Expect::Accept) if (200..300).contains(&s) => (Pass, String::new()),
        (Some(s), Expect::Accept) => (Fail, format!("expected 2xx, got {s}")),
        (Some(s), Expect::Reject) if (400..500).contains(&s) => (Pass, String::new()),
        (Some(s), Expect::Reject) if (500..600).contains(&s) => {
            (Warn, format!("refused with {s}; expected 4xx"))
        }
        (Some(s), Expect::Reject) if (200..300).contains(&s) => {
            (Fail, format!("accepted with {s}; expected 4xx"))
        }
        (Some(s), Expect::Reject) => (Fail, format!("expected 4xx, got {s}")),
    };
    let took = human(t.duration_ms);
    let join = |why: String, more: String| match why.is_empty() {
        true => more,
        false => format!("{why}; {more}"),
    };
    if t.status.is_some() && t.duration_ms > millis(DELIVERY_TIMEOUT) {
        (
            Fail,
            join(
                why,
                format!("took {took}, {}", Speech::new(options.provider).too_late()),
            ),
        )
    } else if t.status.is_some() && t.duration_ms > millis(options.warn_after) {
        let limit = human(millis(options.warn_after));
        (
            outcome.max(Warn),
            join(why, format!("took {took} (over {limit})")),
        )
    } else {
        (outcome, why)
    }
}

/// `200: {"duplicate":true}`: a status and the start of the response body, on one line.
pub(super) fn excerpt(t: &TryReport) -> String {
    let status = t.status.map_or("nothing".to_string(), |s| s.to_string());
    let body: String = t
        .response_body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match body.chars().count() {
        0 => status,
        n if n <= 80 => format!("{status}: {body}"),
        _ => format!("{status}: {}…", body.chars().take(80).collect::<String>()),
    }
}

/// Whole milliseconds of `d`.
pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `4 ms`, `2.5 s`.
pub(super) fn human(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms} ms"),
        _ if ms.is_multiple_of(1_000) => format!("{} s", ms / 1_000),
        _ => format!("{:.1} s", ms as f64 / 1_000.0),
    }
}
