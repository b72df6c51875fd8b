//! `hookpit doctor`: tests the developer's webhook endpoint the way Svix will treat it. A
//! battery of signed (or deliberately mis-signed) Cyberdesk deliveries goes to the app; each
//! answer is judged, and what the app got wrong is said in plain words with a fix. `run` is
//! shared by the command line (`cli.rs`) and `POST /api/doctor`.

pub mod advice;
pub mod cli;
pub mod diagnose;
pub mod plan;
pub mod report;
pub mod retried_run;
pub mod scenarios;
pub mod speech;
pub mod wire;

#[cfg(test)]
mod tests;

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::Full;

use crate::client::{DELIVERY_TIMEOUT, HttpClient};
use crate::send::{RESPONSE_LIMIT, TryReport};
use crate::store::model::Headers;
use crate::verify::Key;
use crate::verify::standard::sign;

pub use advice::Code;
pub use diagnose::Diagnosis;
pub use report::{Counts, DoctorReport, Exchange, Outcome, ScenarioResult};
pub use scenarios::{BATTERY, Expect, Scenario};

/// Answers slower than this warn: heavy work belongs in a background job.
pub const WARN_AFTER: Duration = Duration::from_secs(2);

/// Why a doctor run cannot start; each is the caller's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoctorError {
    /// No key, or only `whpk_` public keys.
    #[error(
        "no key can sign: give the endpoint's whsec_ secret (or a whsk_ key); a whpk_ key only verifies"
    )]
    NoSigningKey,
    /// A name given to `--only` that is not a scenario.
    #[error("no scenario {0:?}; the scenarios are: {names}", names = names())]
    UnknownScenario(String),
}

/// What to run and how patiently.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenarios, in battery order.
    scenarios: Vec<&'static Scenario>,
    /// How long one delivery may take before it counts as unanswered (Svix: 15 s).
    pub timeout: Duration,
    /// Answers slower than this warn.
    pub warn_after: Duration,
    /// Deliveries signed as this provider signs (`--provider`), not as Svix.
    provider: Option<&'static crate::verify::Provider>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scenarios: BATTERY.iter().collect(),
            timeout: DELIVERY_TIMEOUT,
            warn_after: WARN_AFTER,
            provider: None,
        }
    }
}

impl Options {
    /// Every scenario, or only those named (in battery order), with the default timings.
    pub fn new(only: &[String]) -> Result<Options, DoctorError> {
        let wanted: Vec<&str> = only
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        if let Some(unknown) = wanted.iter().find(|n| scenarios::find(n).is_none()) {
            return Err(DoctorError::UnknownScenario(unknown.to_string()));
        }
        let scenarios = BATTERY
            .iter()
            .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
            .collect();
        Ok(Options {
            scenarios,
            ..Options::default()
        })
    }

    /// The provider battery for `provider`: the scenarios that apply to it, or only those
    /// named.
    pub fn for_provider(
        provider: &'static crate::verify::Provider,
        only: &[String],
    ) -> Result<Options, DoctorError> {
        let wanted: Vec<&str> = only
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        let battery = scenarios::PROVIDER_BATTERY;
        if let Some(unknown) = wanted
            .iter()
            .find(|n| !battery.iter().any(|s| s.name == **n))
        {
            return Err(DoctorError::UnknownScenario(unknown.to_string()));
        }
        let scenarios = battery
            .iter()
            .filter(|s| scenarios::applies(s, provider))
            .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
            .collect();
        Ok(Options {
            scenarios,
            provider: Some(provider),
            ..Options::default()
        })
    }

    /// The scenarios to run, in order.
    pub fn scenarios(&self) -> &[&'static Scenario] {
        &self.scenarios
    }
}

/// Fails unless some key can sign the deliveries.
pub fn check_keys(keys: &[Key]) -> Result<(), DoctorError> {
    match sign("msg_check", 0, b"", keys) {
        Some(_) => Ok(()),
        None => Err(DoctorError::NoSigningKey),
    }
}

/// Where a run is, for progress output.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Scenario `index` (from 0) of `total` starts.
    Started {
        /// Its position.
        index: usize,
        /// How many scenarios the run has.
        total: usize,
        /// The scenario.
        scenario: &'static Scenario,
    },
    /// Scenario `index` of `total` ended.
    Finished {
        /// Its position.
        index: usize,
        /// How many scenarios the run has.
        total: usize,
        /// How it went.
        result: &'a ScenarioResult,
    },
}

/// Runs the chosen scenarios one after another against `target`, signing with `keys`; tells
/// `on_progress` as each starts and ends. Failures of the app are results, never errors.
pub async fn run(
    client: &HttpClient,
    target: &Uri,
    keys: &[Key],
    options: &Options,
    mut on_progress: impl FnMut(Progress<'_>),
) -> DoctorReport {
    let started = Utc::now();
    let total = options.scenarios.len();
    let mut results = Vec::with_capacity(total);
    let mut sent = 0;
    for (index, &scenario) in options.scenarios.iter().enumerate() {
        on_progress(Progress::Started {
            index,
            total,
            scenario,
        });
        let result = run_one(client, target, keys, options, scenario, &mut sent).await;
        on_progress(Progress::Finished {
            index,
            total,
            result: &result,
        });
        results.push(result);
    }
    DoctorReport::new(target.to_string(), started, results, options)
}

/// Delivers one scenario; `sent` numbers the run's requests.
async fn run_one(
    client: &HttpClient,
    target: &Uri,
    keys: &[Key],
    options: &Options,
    scenario: &Scenario,
    sent: &mut usize,
) -> ScenarioResult {
    let planned = match options.provider {
        Some(p) => scenario.plan_as(p, keys),
        None => scenario.plan(keys, Utc::now()),
    };
    let plan = match planned {
        Ok(plan) => plan,
        Err(e) => return ScenarioResult::not_sent(scenario, e.to_string()),
    };
    let mut exchanges = Vec::with_capacity(scenario.deliveries);
    for index in 0..scenario.deliveries {
        *sent += 1;
        let started_at = Utc::now();
        let (headers, body) =
            plan.delivery(index, scenario.deliveries, target, started_at.timestamp());
        let req = request(target, &headers, body.clone());
        let delivery = client.deliver(req, options.timeout, RESPONSE_LIMIT).await;
        let timestamp = plan.timestamp(started_at.timestamp());
        let report = TryReport::new(
            *sent,
            started_at,
            timestamp,
            text_headers(&headers),
            delivery,
            None,
        );
        exchanges.push(Exchange::new(report, body));
    }
    ScenarioResult::judge(scenario, exchanges, options)
}

/// A POST of `body` with exactly `headers` (the sender's `Message::request` cannot leave out
/// or rename its signature headers, which several scenarios need).
fn request(target: &Uri, headers: &Headers, body: Bytes) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = Method::POST;
    *req.uri_mut() = target.clone();
    for (name, value) in headers {
        // Every name and value comes from the sender's checked headers or fixed ASCII.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            req.headers_mut().append(n, v);
        }
    }
    req
}

/// Headers with their values as text, as send reports show them.
fn text_headers(headers: &Headers) -> Vec<(String, String)> {
    let text = |(n, v): &(String, Vec<u8>)| (n.clone(), String::from_utf8_lossy(v).into_owned());
    headers.iter().map(text).collect()
}

/// Every scenario name, comma-separated.
fn names() -> String {
    let names: Vec<&str> = BATTERY.iter().map(|s| s.name).collect();
    names.join(", ")
}
