//! `hookpit doctor --to URL --secret KEY`: its flags, a line per scenario as each ends, then the
//! diagnoses (or, with `--json`, the whole report for CI). Exits non-zero when anything failed.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use clap::builder::PossibleValuesParser;

use super::{BATTERY, DoctorReport, Options, Outcome, Progress, check_keys, run};
use crate::client::HttpClient;
use crate::duration::parse_duration;
use crate::send::parse_target;
use crate::verify::Key;

/// Width the diagnoses are wrapped to.
const WIDTH: usize = 100;

/// Flags of `hookpit doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// The app's webhook URL (http:// only).
    #[arg(long, env = "HOOKPIT_TO")]
    pub to: String,
    /// The endpoint's signing secret (`whsec_…`); repeat it to sign with several, as during a
    /// secret rotation.
    #[arg(
        long = "secret",
        env = "HOOKPIT_SECRET",
        hide_env_values = true,
        value_delimiter = ',',
        required = true
    )]
    pub secrets: Vec<String>,
    /// Sign as this provider signs (`shopify`, `slack`… as `GET /api/providers` lists them)
    /// and run the scenarios that apply to it, with its sample body.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Print the report as JSON (for CI) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Run only these scenarios (comma-separated) [default: all].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NAME,…",
        value_parser = PossibleValuesParser::new(BATTERY.iter().map(|s| s.name))
    )]
    pub only: Vec<String>,
    /// How long each delivery may take before it counts as unanswered (Svix waits 15 s).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Answers slower than this warn.
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub warn_after: Duration,
}

/// `hookpit doctor`: runs the battery, prints the report, fails when a scenario failed.
pub async fn doctor(args: DoctorArgs) -> anyhow::Result<()> {
    let target = parse_target(&args.to)?;
    let keys: Vec<Key> = args
        .secrets
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Key::parse(None, s).context("--secret"))
        .collect::<anyhow::Result<_>>()?;
    let provider = match args.provider.as_deref() {
        None => None,
        Some(name) => Some(crate::verify::registry::find(name).ok_or_else(|| {
            anyhow::anyhow!(
                "no provider {name:?}; known: {}",
                crate::verify::registry::names()
            )
        })?),
    };
    if args.timeout.is_zero() {
        bail!("--timeout must be longer than 0 s");
    }
    let mut options = match provider {
        Some(p) => {
            let mut probe = crate::verify::Outgoing {
                method: "POST".into(),
                url: target.to_string(),
                headers: Default::default(),
                body: p.sample.body.as_bytes().to_vec(),
            };
            p.sign(&mut probe, &keys, 0)?;
            Options::for_provider(p, &args.only)?
        }
        None => {
            check_keys(&keys)?;
            Options::new(&args.only)?
        }
    };
    options.timeout = args.timeout;
    options.warn_after = args.warn_after;
    if !args.json {
        let n = options.scenarios().len();
        crate::out::line(format_args!(
            "hookpit doctor: {n} scenarios against {target}\n"
        ));
    }
    let client = HttpClient::default();
    let report = run(&client, &target, &keys, &options, |p| {
        if let (Progress::Finished { result, .. }, false) = (p, args.json) {
            crate::out::line(format_args!("{}", result.line()));
        }
    })
    .await;
    if args.json {
        let json = serde_json::to_string_pretty(&report).context("report to JSON")?;
        crate::out::line(format_args!("{json}"));
    } else {
        print!("{}", tail(&report));
    }
    if !report.ok {
        let c = report.counts;
        bail!(
            "{} of {} scenarios failed",
            c.fail,
            c.pass + c.warn + c.fail + c.info
        );
    }
    Ok(())
}

/// What follows the scenario lines: the counts, then each diagnosis with its cause and fix.
pub fn tail(report: &DoctorReport) -> String {
    let mut out = format!("\n{}\n", report.summary());
    if report.diagnoses.is_empty() && report.ok {
        out.push_str(&format!("\n{}\n", report.speech.all_good()));
    }
    for d in &report.diagnoses {
        out.push_str(&format!("\n{}  {}\n", d.severity.label(), d.title));
        out.push_str(&wrap("scenarios: ", &d.scenarios.join(", ")));
        out.push_str(&wrap("cause: ", &d.cause));
        out.push_str(&wrap("fix: ", &d.fix));
    }
    let unexplained = report
        .scenarios
        .iter()
        .filter(|s| s.outcome >= Outcome::Warn)
        .filter(|s| {
            !report
                .diagnoses
                .iter()
                .any(|d| d.scenarios.contains(&s.name))
        });
    for s in unexplained {
        out.push_str(&format!(
            "\n{}  {}: {}\n",
            s.outcome.label(),
            s.name,
            s.detail
        ));
    }
    out
}

/// `label` and `text`, word-wrapped and indented under the severity column.
fn wrap(label: &str, text: &str) -> String {
    let indent = " ".repeat(6);
    let mut out = String::new();
    let mut line = format!("{indent}{label}");
    let mut fresh = true;
    for word in text.split_whitespace() {
        if !fresh && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = format!("{indent}  {word}");
            continue;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}
