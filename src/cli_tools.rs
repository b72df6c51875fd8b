//! The sender-side commands `hookpit secret`, `hookpit sign` and `hookpit send`: parse their
//! flags into the sender's types, print for people (or JSON), and return an error — a non-zero
//! exit — when a message is not delivered.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::Utc;
use futures_util::StreamExt;

use crate::client::HttpClient;
use crate::schedule::RetrySchedule;
use crate::send::args::{SecretArgs, SendArgs, SignArgs};
use crate::send::{self, Event, Message, Payload, Signing, TryReport};
use crate::verify::Key;
use crate::verify::standard::{new_ed25519_pair, new_secret};

/// How much of a response body `hookpit send` prints (the JSON report has all of it).
const PRINTED_RESPONSE: usize = 2000;

/// `hookpit secret`: a fresh `whsec_` key, or a `whsk_`/`whpk_` pair (one per line).
pub fn secret(args: SecretArgs) -> anyhow::Result<()> {
    if let Some(p) = (args.provider.as_deref()).and_then(crate::verify::registry::find) {
        let (signing, verifying) = crate::verify::new_key_for(p);
        crate::out::line(format_args!("{signing}"));
        if verifying != signing {
            crate::out::line(format_args!("{verifying}"));
            if std::io::stderr().is_terminal() {
                eprintln!("Sign with the first line (send); verify with the second (serve).");
            }
        }
    } else if args.ed25519 {
        let (signing, public) = new_ed25519_pair();
        crate::out::line(format_args!("{signing}"));
        crate::out::line(format_args!("{public}"));
        if std::io::stderr().is_terminal() {
            eprintln!("Sign with the whsk_ key (first line); verify with the whpk_ key.");
        }
    } else {
        crate::out::line(format_args!("{}", new_secret()));
    }
    Ok(())
}

/// `hookpit sign`: the three `svix-*` headers for a body, or a complete curl command.
pub fn sign(args: SignArgs) -> anyhow::Result<()> {
    let body = read_body(args.file.as_deref())?;
    let signing = Signing {
        keys: parse_keys(&args.secrets)?,
        msg_id: args.id,
        timestamp: args.timestamp,
        headers: Vec::new(),
    };
    let message = Message::new(body.clone(), &signing)?;
    let timestamp = message.timestamp.unwrap_or(Utc::now().timestamp());
    let headers = message.headers(timestamp);
    let Some(url) = args.curl else {
        for name in ["svix-id", "svix-timestamp", "svix-signature"] {
            if let Some((n, v)) = headers.iter().find(|(n, _)| n == name) {
                crate::out::line(format_args!("{n}: {}", String::from_utf8_lossy(v)));
            }
        }
        return Ok(());
    };
    send::parse_target(&url)?;
    let body = match args.file.as_deref() {
        Some(path) if path != Path::new("-") => crate::curl::Body::File(path),
        _ => crate::curl::Body::Bytes(&body),
    };
    crate::out::line(format_args!(
        "{}",
        crate::curl::command("POST", &url, &headers, body)
    ));
    Ok(())
}

/// `hookpit send`: builds, signs and delivers `--repeat` messages, retrying on the schedule.
pub async fn send(args: SendArgs) -> anyhow::Result<()> {
    let target = send::parse_target(&args.to)?;
    let provider = (args.provider.as_deref()).and_then(crate::verify::registry::find);
    let payload = match (args.file.as_deref(), provider) {
        (Some(path), _) => Payload::Raw(read_body(Some(path))?),
        (None, Some(p)) => Payload::Raw(Bytes::from_static(p.sample.body.as_bytes())),
        (None, None) => Payload::Event(Event::new(args.template, args.status, args.checks_fail)?),
    };
    let signing = Signing {
        keys: parse_keys(&args.secrets)?,
        msg_id: args.id,
        timestamp: args.timestamp,
        headers: args
            .headers
            .iter()
            .map(|h| send::parse_header(h))
            .collect::<Result<_, _>>()?,
    };
    let fixture = args.fixture.as_deref().map(read_fixture).transpose()?;
    let schedule = args.retry_schedule.unwrap_or_else(RetrySchedule::once);
    let trust = crate::client_tls::TlsTrust {
        insecure: args.insecure,
        extra: match args.cacert.as_deref() {
            Some(path) => crate::client_tls::TlsTrust::load(path).map_err(anyhow::Error::msg)?,
            None => Vec::new(),
        },
    };
    let client = HttpClient::new(&trust).map_err(anyhow::Error::msg)?;
    let chaos = args.chaos.chaos().map_err(anyhow::Error::msg)?;
    let mut messages = Vec::new();
    for _ in 0..args.repeat {
        messages.push(match (&fixture, provider) {
            (Some(record), _) => Message::fixture(record, &signing)?,
            (None, Some(p)) => {
                Message::for_provider(p, Some(payload.render(Utc::now())), &signing)?
            }
            (None, None) => Message::new(payload.render(Utc::now()), &signing)?,
        });
    }
    let plan = chaos.plan(messages.len());
    if args.repeat > 1 && !args.json {
        crate::out::line(format_args!(
            "{} messages: order {}, seed {}, duplicates {}, concurrency {}",
            plan.len(),
            chaos.order.as_str(),
            chaos.seed,
            chaos.duplicates,
            chaos.concurrency
        ));
    }
    let what = match (&fixture, &args.fixture, provider) {
        (Some(r), Some(path), _) => format!("{} {} from {}", r.method, r.path, path.display()),
        (_, _, Some(p)) if args.file.is_none() => format!("{}'s sample", p.title),
        _ => describe(&payload, args.file.as_deref()),
    };
    let method = fixture.as_ref().map_or("POST", |r| r.method.as_str());
    let total = plan.len();
    // Each message's try lines print as they happen; with --concurrency above 1 they
    // interleave, each headed by the message's [position/total].
    let sends = plan.iter().enumerate().map(|(position, step)| {
        let message = &messages[step.index];
        let (client, target, schedule, what) = (&client, &target, &schedule, &what);
        let json = args.json;
        async move {
            if !json {
                let count = if total > 1 {
                    format!("[{}/{total}] ", position + 1)
                } else {
                    String::new()
                };
                let signed_as = match provider {
                    Some(p) => format!("signed as {}", p.title),
                    None => format!("svix-id {}", message.msg_id),
                };
                crate::out::line(format_args!(
                    "{count}{method} {target}  {what}, {} bytes, {signed_as}{}",
                    message.body.len(),
                    if step.duplicate { " (duplicate)" } else { "" }
                ));
            }
            send::send(client, target, message, schedule, |t| {
                if !json {
                    print_try(t, schedule.tries());
                }
            })
            .await
        }
    });
    let mut reports = futures_util::stream::iter(sends).buffer_unordered(chaos.concurrency);
    let mut failures = Vec::new();
    while let Some(report) = reports.next().await {
        if args.json {
            crate::out::line(format_args!(
                "{}",
                serde_json::to_string(&report).context("report to JSON")?
            ));
        } else if report.ok {
            crate::out::line(format_args!("  delivered"));
        }
        failures.extend(report.failure());
    }
    match failures.as_slice() {
        [] => Ok(()),
        [only] if total == 1 => bail!("{only}"),
        [first, ..] => bail!(
            "{} of {} messages were not delivered; first: {first}",
            failures.len(),
            total
        ),
    }
}

/// What is being sent, e.g. `run_complete (task_failed, failed check)`.
fn describe(payload: &Payload, file: Option<&Path>) -> String {
    match payload {
        Payload::Event(e) if e.template == send::Template::RunComplete => format!(
            "run_complete ({}{})",
            e.status.as_str(),
            if e.checks_fail { ", failed check" } else { "" }
        ),
        Payload::Event(e) => match e.template {
            send::Template::DownedMachines => "downed_machines".to_string(),
            _ => "ping".to_string(),
        },
        Payload::Raw(_) => format!(
            "body of {}",
            file.map_or("stdin".into(), |p| p.display().to_string())
        ),
    }
}

/// `  try 1/3: 200 OK in 3 ms` and the start of the response body.
fn print_try(t: &TryReport, of: usize) {
    crate::out::line(format_args!("  {}", t.line(of)));
    let body = t.response_body.trim();
    if !body.is_empty() {
        let shown: String = body.chars().take(PRINTED_RESPONSE).collect();
        let more = if shown.len() < body.len() || t.response_truncated {
            " …"
        } else {
            ""
        };
        crate::out::line(format_args!("    {}{more}", shown.replace('\n', "\n    ")));
    }
}

/// Parses `--secret` values; empty ones (e.g. from an empty env var) are skipped.
fn parse_keys(secrets: &[String]) -> anyhow::Result<Vec<Key>> {
    secrets
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Key::parse(None, s).context("--secret"))
        .collect()
}

/// The body from a file, or stdin for `None` and `-`.
/// The one webhook of a `--fixture` file: an event detail (one line or pretty-printed), or a
/// JSONL or HAR file holding exactly one.
fn read_fixture(path: &Path) -> anyhow::Result<crate::archive::Record> {
    let bytes = read_body(Some(path))?;
    let whole = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|t| crate::archive::jsonl::parse_line(t.trim()).ok());
    if let Some(record) = whole {
        return Ok(record);
    }
    let mut parsed = crate::archive::parse(&bytes);
    if let Some(e) = parsed.errors.first() {
        bail!(
            "{}: {} ({})",
            path.display(),
            e.error,
            e.line
                .or(e.entry)
                .map_or(String::new(), |n| format!("record {n}"))
        );
    }
    match parsed.records.len() {
        1 => Ok(parsed.records.remove(0)),
        0 => bail!("{} holds no event", path.display()),
        n => bail!("{} holds {n} events; --fixture sends one", path.display()),
    }
}

fn read_body(file: Option<&Path>) -> anyhow::Result<Bytes> {
    match file {
        Some(path) if path != Path::new("-") => std::fs::read(path)
            .map(Bytes::from)
            .with_context(|| format!("cannot read {}", path.display())),
        _ => {
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Reading the body from stdin; end it with Ctrl-D.");
            }
            let mut body = Vec::new();
            stdin.read_to_end(&mut body).context("cannot read stdin")?;
            Ok(Bytes::from(body))
        }
    }
}
