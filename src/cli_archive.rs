//! `hookpit export` and `hookpit import`: a running hookpit's events to a file (JSONL or HAR)
//! and back, through its API. The export is written as it arrives, so its size is not bounded
//! by memory; an import larger than one request's limit is sent as JSONL in parts.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full};

use crate::client::HttpClient;

/// How long to wait for the head of the export's answer, and for each import part's report.
const API_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest part of a JSONL file sent in one import request (the API takes 64 MiB).
const IMPORT_PART: usize = 16 * 1024 * 1024;

/// Flags of `hookpit export`.
#[derive(Clone, Args)]
pub struct ExportArgs {
    /// Which events (the UI's search syntax: `type:run_complete is:invalid …`); all when absent.
    pub query: Option<String>,
    /// `jsonl` (byte-exact, one event per line) or `har` (for DevTools and HAR viewers).
    #[arg(long, value_parser = ["jsonl", "har"], default_value = "jsonl")]
    pub format: String,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The running hookpit's UI: an address (as given to `serve --ui`) or its URL.
    #[arg(long, env = "HOOKPIT_UI", default_value = "127.0.0.1:8701")]
    pub ui: String,
    /// The UI token, when the UI needs one.
    #[arg(long, env = "HOOKPIT_UI_TOKEN", hide_env_values = true)]
    pub ui_token: Option<String>,
}

/// Flags of `hookpit import`.
#[derive(Clone, Args)]
pub struct ImportArgs {
    /// A JSONL or HAR file, as `hookpit export` writes them.
    pub file: PathBuf,
    /// The running hookpit's UI: an address (as given to `serve --ui`) or its URL.
    #[arg(long, env = "HOOKPIT_UI", default_value = "127.0.0.1:8701")]
    pub ui: String,
    /// The UI token, when the UI needs one.
    #[arg(long, env = "HOOKPIT_UI_TOKEN", hide_env_values = true)]
    pub ui_token: Option<String>,
}

/// A request to the API at `ui`, with the token when there is one.
fn api_request(
    ui: &str,
    token: Option<&str>,
    method: http::Method,
    path_and_query: &str,
    body: Bytes,
) -> anyhow::Result<hyper::Request<Full<Bytes>>> {
    let base = crate::config::ui_base_url(ui).map_err(|e| anyhow::anyhow!("--ui: {e}"))?;
    let url = format!("{base}{path_and_query}");
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(&url)
        .body(Full::new(body))
        .with_context(|| format!("{url:?} is not a valid URL"))?;
    if let Some(token) = token {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}")
                .parse()
                .context("the token is not a valid header value")?,
        );
    }
    Ok(req)
}

/// Runs `hookpit export`.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", args.query.as_deref().unwrap_or(""))
        .append_pair("format", &args.format)
        .finish();
    let req = api_request(
        &args.ui,
        args.ui_token.as_deref(),
        http::Method::GET,
        &format!("/api/export?{query}"),
        Bytes::new(),
    )?;
    let resp = HttpClient::default()
        .open(req, API_TIMEOUT)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach hookpit at {}: {e}", args.ui))?;
    let (parts, mut body) = resp.into_parts();
    if parts.status != http::StatusCode::OK {
        let text = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        bail!(
            "hookpit refused the export ({}): {}",
            parts.status,
            reason(&text)
        );
    }
    let mut file = match &args.out {
        Some(path) => Some(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => None,
    };
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                if let Some(path) = &args.out {
                    // A cut-off export must not pass for a whole one.
                    let _ = std::fs::remove_file(path);
                }
                bail!("the export broke off after {written} bytes: {e}");
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match &mut file {
            Some(f) => f.write_all(&data).context("cannot write the file")?,
            None => crate::out::bytes(&data).context("cannot write to stdout")?,
        }
        written += data.len() as u64;
    }
    if let Some(path) = &args.out {
        eprintln!("wrote {written} bytes to {}", path.display());
    }
    Ok(())
}

/// The `error` of an API answer, or its text.
fn reason(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}

/// Runs `hookpit import`: prints the report (`{"imported", "skipped", "failed", "errors"}`) as
/// one JSON line; fails when a record could not be read.
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let client = HttpClient::default();
    let mut total = serde_json::json!({"imported": 0, "skipped": 0, "failed": 0, "errors": []});
    for (first_line, part) in parts(&bytes, IMPORT_PART) {
        let req = api_request(
            &args.ui,
            args.ui_token.as_deref(),
            http::Method::POST,
            "/api/import",
            Bytes::copy_from_slice(part),
        )?;
        let answer = client.deliver(req, API_TIMEOUT, 4 << 20).await;
        let Some(status) = answer.status else {
            bail!(
                "cannot reach hookpit at {}: {}",
                args.ui,
                answer.error.unwrap_or_default()
            );
        };
        if status != 200 {
            bail!(
                "hookpit refused the import ({status}): {}",
                reason(&answer.body)
            );
        }
        let report: serde_json::Value =
            serde_json::from_slice(&answer.body).context("hookpit's report is not JSON")?;
        for key in ["imported", "skipped", "failed"] {
            let sum = total[key].as_u64().unwrap_or(0) + report[key].as_u64().unwrap_or(0);
            total[key] = sum.into();
        }
        for mut error in report["errors"].as_array().cloned().unwrap_or_default() {
            if let Some(line) = error["line"].as_u64() {
                error["line"] = (line + first_line as u64).into();
            }
            if let Some(list) = total["errors"].as_array_mut() {
                list.push(error);
            }
        }
    }
    if let Some(list) = total["errors"].as_array_mut() {
        list.sort_by_key(|e| e["line"].as_u64());
    }
    crate::out::line(&total);
    match total["failed"].as_u64().unwrap_or(0) {
        0 => Ok(()),
        n => bail!("{} could not be read", crate::out::counted(n, "record")),
    }
}

/// The file in parts of at most `part_size` bytes cut at line ends, each with the number of
/// lines before it, in the order to send them: hookpit stores each part oldest first, so the
/// parts of a file that runs newest first (as exports do) go last part first, and the ids come
/// out in arrival order. A file that is one JSON document (HAR) or small enough goes whole.
fn parts(bytes: &[u8], part_size: usize) -> Vec<(usize, &[u8])> {
    let mut parts = cut(bytes, part_size);
    let time = |line: Option<&[u8]>| {
        line.and_then(|l| std::str::from_utf8(l).ok())
            .and_then(|l| crate::archive::jsonl::parse_line(l).ok())
            .map(|r| r.received_at)
    };
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let first = time(lines.next());
    let last = time(lines.next_back());
    if first.is_some() && last.is_some() && first >= last {
        parts.reverse();
    }
    parts
}

/// [`parts`] in file order.
fn cut(bytes: &[u8], part_size: usize) -> Vec<(usize, &[u8])> {
    if bytes.len() <= part_size || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return vec![(0, bytes)];
    }
    let mut parts = Vec::new();
    let (mut start, mut lines_before, mut lines_in_part) = (0, 0, 0);
    let mut end = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'\n' {
            continue;
        }
        if i + 1 - start > part_size && end > start {
            parts.push((lines_before, &bytes[start..end]));
            start = end;
            lines_before += lines_in_part;
            lines_in_part = 0;
        }
        end = i + 1;
        lines_in_part += 1;
    }
    if start < bytes.len() {
        parts.push((lines_before, &bytes[start..]));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(at: &str, n: usize) -> String {
        format!(
            "{{\"received_at\":\"{at}\",\"method\":\"POST\",\"path\":\"/{n}\",\"headers\":[],\"body\":{{\"encoding\":\"utf8\",\"data\":\"\"}}}}\n"
        )
    }

    #[test]
    fn a_newest_first_file_is_sent_last_part_first() {
        let file: String = (0..6)
            .map(|n| line(&format!("2026-01-01T00:00:0{}Z", 6 - n), n))
            .collect();
        let size = line("2026-01-01T00:00:00Z", 0).len() * 2;
        let sent = parts(file.as_bytes(), size);
        assert_eq!(sent.len(), 3);
        assert_eq!(
            sent.iter().map(|(before, _)| *before).collect::<Vec<_>>(),
            vec![4, 2, 0]
        );
        let joined: Vec<u8> = cut(file.as_bytes(), size)
            .iter()
            .flat_map(|(_, p)| p.to_vec())
            .collect();
        assert_eq!(joined, file.as_bytes(), "the parts are the whole file");
        let oldest_first: String = (0..6)
            .map(|n| line(&format!("2026-01-01T00:00:0{n}Z"), n))
            .collect();
        let sent = parts(oldest_first.as_bytes(), size);
        assert_eq!(sent[0].0, 0);
    }
}
