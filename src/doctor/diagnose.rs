//! From scenario outcomes to diagnoses: which mistake explains which failures, with the likely
//! cause in plain words (titles and fixes are in `advice.rs`). Rules run from the most basic
//! cause (nothing answers) to the most specific; each scenario is explained by one rule only.

use serde::Serialize;

use super::Options;
use super::advice::Code;
use super::report::{Exchange, Outcome, ScenarioResult, human, millis};
use super::retried_run;
use super::scenarios::Expect;
use super::speech::Speech;
use crate::client::DELIVERY_TIMEOUT;
use crate::send::TryReport;

/// One mistake, the scenarios it explains, why it is likely and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// Which mistake.
    pub code: Code,
    /// `fail` or `warn`.
    pub severity: Outcome,
    /// The scenarios it explains.
    pub scenarios: Vec<&'static str>,
    /// The mistake in one line.
    pub title: &'static str,
    /// The likely cause, from what the app answered.
    pub cause: String,
    /// What to change.
    pub fix: String,
}

/// The run statuses every app must acknowledge.
const STATUSES: [&str; 5] = [
    "status_success",
    "status_error",
    "status_task_failed",
    "status_cancelled",
    "check_failed",
];

/// The diagnoses of a run's results, in the order of the rules.
pub fn diagnose(results: &[ScenarioResult], options: &Options) -> Vec<Diagnosis> {
    let say = Speech::new(options.provider);
    let mut d = Diagnoser {
        results,
        claimed: Vec::new(),
        out: Vec::new(),
        say,
    };
    let timeout = millis(options.timeout).min(millis(DELIVERY_TIMEOUT));
    let named = |names: &'static [&'static str]| move |r: &ScenarioResult| names.contains(&r.name);
    let accept = |r: &ScenarioResult| r.expect == Expect::Accept;

    let hit = d.claim(|r| any(r, |t| error(t).starts_with("could not connect")));
    d.push(Code::Unreachable, &hit, format!("{}.", first_error(&hit)));

    let hit = d.claim(|r| {
        any(r, |t| {
            t.duration_ms >= timeout
                && (t.status.is_none() || t.duration_ms > millis(DELIVERY_TIMEOUT))
        })
    });
    let cause = format!(
        "No answer (or only a late one) within {} to: {}. {}",
        human(timeout),
        titles(&hit),
        say.wait()
    );
    d.push(Code::Timeout, &hit, cause);

    let hit = d.claim(|r| r.expect != Expect::Report && any(r, is(3)));
    let to = hit
        .iter()
        .flat_map(|r| &r.exchanges)
        .find_map(|e| header(e, "location"))
        .map_or(String::new(), |l| format!(" to {l}"));
    let cause = format!("It answered {}{to}. {}", answers(&hit), say.redirect());
    d.push(Code::Redirect, &hit, cause);

    // When even the plainest delivery is refused, the secret (or the whole verification) is
    // wrong, and the finer rules below cannot tell anything apart.
    let plain_refused = results.iter().any(|r| r.name == "compact" && any(r, is(4)))
        || results.iter().filter(|r| accept(r)).all(|r| any(r, is(4)));
    if plain_refused {
        let hit = d.claim(|r| accept(r) && any(r, is(4)));
        let cause = format!(
            "It answered {} to deliveries signed with the secret given to doctor. Either the \
             app uses another secret, or its verification is broken (for instance it verifies \
             a re-serialized body such as json.dumps(payload), {}).",
            answers(&hit),
            say.wrong_key()
        );
        d.push(Code::RejectsValid, &hit, cause);
    }

    let hit = d.claim(|r| named(&["pretty", "unicode"])(r) && any(r, is(4)));
    let cause = format!(
        "It accepted compact JSON but answered {} to: {}. It parses the JSON and serializes it \
         again (or decodes and re-encodes the text) before verifying, but the signature covers \
         the exact bytes Svix sent.",
        answers(&hit),
        titles(&hit)
    );
    d.push(Code::RawBody, &hit, cause);

    let refused = |t: &TryReport| t.status.is_some_and(|s| s >= 400);
    // `retried_run` opens with a task_failed run's webhook.
    let run_refused = |r: &ScenarioResult| {
        r.name == "retried_run" && r.exchanges.first().is_some_and(|e| refused(&e.delivery))
    };
    let hit = d.claim(|r| (named(&STATUSES)(r) && any(r, refused)) || run_refused(r));
    let cause = format!(
        "It answered {} to: {}. Svix counts that as a failed delivery, retries it for more than \
         a day and then disables the endpoint, so later run_complete events stop arriving.",
        answers(&hit),
        titles(&hit)
    );
    d.push(Code::StatusNotAcknowledged, &hit, cause);

    let hit = d.claim(|r| r.name == "rotation" && any(r, is(4)));
    let cause = format!(
        "It answered {} to a delivery whose svix-signature has two entries, the second one \
         valid. While you rotate the endpoint's secret, Svix sends one entry per secret, so \
         every webhook would be refused.",
        answers(&hit)
    );
    d.push(Code::Rotation, &hit, cause);

    let repeat_refused = |r: &ScenarioResult| match r.exchanges.as_slice() {
        [first, second, ..] => first.delivery.ok && !second.delivery.ok,
        _ => false,
    };
    // `retried_run` repeats its run's webhook too, before the retried run's.
    let hit = d.claim(|r| matches!(r.name, "duplicate" | "retried_run") && repeat_refused(r));
    let cause = say.repeat(&answers(&hit));
    d.push(Code::DuplicateRejected, &hit, cause);

    let hit = d.claim(|r| r.name == "retried_run" && retried_run::dropped(r));
    let cause = hit
        .first()
        .map_or_else(String::new, |r| retried_run::cause(r));
    d.push(Code::RetriedRunDropped, &hit, cause);

    let hit = d.claim(|r| r.name == "large_body" && any(r, |t| !t.ok));
    let cause = format!(
        "It answered {} to a 1 MiB run_complete. Framework body limits do this (Express's \
         json() and raw() default to 100 KB), and a run with a long message history or large \
         outputs gets that big.",
        answers(&hit)
    );
    d.push(Code::BodyLimit, &hit, cause);

    let hit = d.claim(|r| accept(r) && any(r, is(5)));
    let cause = format!(
        "It answered {} to: {}. The handler raises an error; {}",
        answers(&hit),
        titles(&hit),
        say.server_error()
    );
    d.push(Code::ServerError, &hit, cause);

    let hit = d.claim(|r| accept(r) && any(r, is(4)));
    let cause = format!(
        "It answered {} to: {}, yet accepted other correctly signed deliveries.",
        answers(&hit),
        titles(&hit)
    );
    d.push(Code::RejectsValid, &hit, cause);

    let hit = d.claim(|r| r.expect != Expect::Report && any(r, |t| t.status.is_none()));
    let cause = format!(
        "{} for: {}. The app, or a proxy in front of it, dropped the request.",
        first_error(&hit),
        titles(&hit)
    );
    d.push(Code::NoAnswer, &hit, cause);

    let forged = named(&["tampered_body", "wrong_secret"]);
    if results.iter().any(|r| forged(r) && any(r, is(2))) {
        let hit = d.claim(|r| r.expect == Expect::Reject && any(r, is(2)));
        let cause = format!(
            "It accepted: {}. Anyone who learns the URL can send it {}.",
            titles(&hit),
            say.forgery()
        );
        d.push(Code::NoVerification, &hit, cause);
    }

    let hit = d.claim(|r| named(&["missing_signature", "malformed_signature"])(r) && any(r, is(2)));
    let cause = format!(
        "It refuses wrong signatures but accepted: {}. It verifies only when a well-formed \
         {} is present, so a forger just leaves it out.",
        titles(&hit),
        say.signature_header()
    );
    d.push(Code::UnsignedAccepted, &hit, cause);

    let hit = d.claim(|r| named(&["old_timestamp", "future_timestamp"])(r) && any(r, is(2)));
    let when: Vec<&str> = hit
        .iter()
        .map(|r| r.title.trim_start_matches("correctly signed, "))
        .collect();
    let cause = format!(
        "It accepted correctly signed deliveries {}. Anyone who captures one webhook can \
         replay it later, as often as they like.",
        when.join(" and ")
    );
    d.push(Code::NoTimestampCheck, &hit, cause);

    let hit = d.claim(|r| r.expect == Expect::Reject && any(r, is(5)));
    let cause = format!(
        "It answered {} to: {}. The verification error seems to escape as an exception: the \
         request is refused, but a 5xx invites retries and hides real outages in error logs.",
        answers(&hit),
        titles(&hit)
    );
    d.push(Code::RejectsWith5xx, &hit, cause);

    // Slowness is a finding of its own, whatever else went wrong with the same scenarios.
    d.claimed.clear();
    let warn_after = millis(options.warn_after);
    let hit = d.claim(|r| any(r, |t| t.status.is_some() && t.duration_ms > warn_after));
    let slowest = hit.iter().map(|r| r.latency_ms).max().unwrap_or(0);
    let cause = format!(
        "It took up to {} to answer; {} of the scenarios took over {}. {}",
        human(slowest),
        hit.len(),
        human(warn_after),
        say.slow()
    );
    d.push(Code::Slow, &hit, cause);
    d.out
}

/// Applies the rules, remembering which scenarios are explained.
struct Diagnoser<'a> {
    /// Every result of the run.
    results: &'a [ScenarioResult],
    /// Scenarios a rule has explained.
    claimed: Vec<&'static str>,
    /// Diagnoses so far.
    out: Vec<Diagnosis>,
    /// Whose words the causes and fixes use.
    say: Speech,
}

impl<'a> Diagnoser<'a> {
    /// The unexplained failed or warned scenarios matching `rule`, now explained.
    fn claim(&mut self, rule: impl Fn(&ScenarioResult) -> bool) -> Vec<&'a ScenarioResult> {
        let hit: Vec<&'a ScenarioResult> = self
            .results
            .iter()
            .filter(|r| r.outcome >= Outcome::Warn && !self.claimed.contains(&r.name) && rule(r))
            .collect();
        self.claimed.extend(hit.iter().map(|r| r.name));
        hit
    }

    /// Records a diagnosis when `hit` is not empty.
    fn push(&mut self, code: Code, hit: &[&ScenarioResult], cause: String) {
        if hit.is_empty() {
            return;
        }
        self.out.push(Diagnosis {
            code,
            severity: if code.is_warning() {
                Outcome::Warn
            } else {
                Outcome::Fail
            },
            scenarios: hit.iter().map(|r| r.name).collect(),
            title: code.title(),
            cause,
            fix: self.say.fix(code),
        });
    }
}

/// Whether any delivery of `r` matches.
fn any(r: &ScenarioResult, f: impl Fn(&TryReport) -> bool) -> bool {
    r.exchanges.iter().any(|e| f(&e.delivery))
}

/// Matches a status of class `c` (2 for 2xx, ...).
fn is(c: u16) -> impl Fn(&TryReport) -> bool {
    move |t| t.status.is_some_and(|s| s / 100 == c)
}

/// A delivery's error, or nothing.
fn error(t: &TryReport) -> &str {
    t.error.as_deref().unwrap_or("")
}

/// The first delivery error among the scenarios, e.g. `could not connect: Connection refused`.
fn first_error(hit: &[&ScenarioResult]) -> String {
    let mut errors = hit.iter().flat_map(|r| &r.exchanges);
    errors
        .find_map(|e| e.delivery.error.clone())
        .unwrap_or_default()
}

/// The distinct answers of the scenarios' failing deliveries: `401`, `401 and 500`.
fn answers(hit: &[&ScenarioResult]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in hit.iter().flat_map(|r| &r.exchanges) {
        let answer = match (e.delivery.status, &e.delivery.error) {
            (Some(s), _) if (200..300).contains(&s) => continue,
            (Some(s), _) => s.to_string(),
            (None, Some(error)) => format!("nothing ({error})"),
            (None, None) => "nothing".to_string(),
        };
        if !seen.contains(&answer) {
            seen.push(answer);
        }
    }
    seen.join(" and ")
}

/// The scenarios' titles with their names: `the same event pretty-printed (pretty); …`.
fn titles(hit: &[&ScenarioResult]) -> String {
    let each: Vec<String> = hit
        .iter()
        .map(|r| format!("{} ({})", r.title, r.name))
        .collect();
    each.join("; ")
}

/// A response header of one delivery.
fn header(e: &Exchange, name: &str) -> Option<String> {
    e.delivery
        .response_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}
