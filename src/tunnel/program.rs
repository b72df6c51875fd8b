//! Runs the `--tunnel` program: finds it on `PATH` (or says how to install it), starts it
//! pointed at the capture port, reads its public URL from what it prints, restarts it with
//! backoff when it dies, and kills it when hookpit stops, so none is left running.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::app::App;
use crate::public_url::{Driver, Said, now};

/// The first wait before a restart; doubled after each quick death, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait before a restart.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A program that ran this long before dying is restarted after [`FIRST_BACKOFF`] again.
const STEADY: Duration = Duration::from_secs(30);

/// How long a killed program may take to be reaped at shutdown.
const REAP_DEADLINE: Duration = Duration::from_secs(2);

/// Lines of output kept to explain an exit.
const LINES_QUEUED: usize = 256;

/// The full path of `program` on `PATH`, if it is there and executable.
pub fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

#[cfg(unix)]
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// How one run of the program ended.
enum Ended {
    /// hookpit is stopping (the program was killed and reaped).
    Stopped,
    /// The program exited (or could not start); why, in words.
    Died(String),
}

/// Keeps the tunnel program running until hookpit stops.
pub async fn supervise(app: App, driver: Driver) {
    let update = |change: &dyn Fn(&mut crate::public_url::TunnelStatus)| {
        app.public.update_tunnel(&app.live, &driver, |t| change(t));
    };
    let Some(program) = find(driver.program()) else {
        let ssh_found = find("ssh").is_some();
        let hint = driver.install_hint(ssh_found);
        tracing::error!(
            "--tunnel {}: {} not found on PATH; hookpit keeps capturing without a public URL",
            driver.name(),
            driver.program()
        );
        crate::out::note(driver.install_help(ssh_found));
        update(&|t| {
            t.state = "failed";
            t.since = now();
            t.error = Some(hint.clone());
        });
        return;
    };
    let stopped = app.stopped();
    tokio::pin!(stopped);
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = Instant::now();
        let reason = match run_once(&app, &driver, &program).await {
            Ended::Stopped => return,
            Ended::Died(reason) => reason,
        };
        if started.elapsed() >= STEADY {
            backoff = FIRST_BACKOFF;
        }
        tracing::warn!(
            "tunnel: {reason}; restarting {} in {} s",
            driver.program(),
            backoff.as_secs()
        );
        update(&|t| {
            t.state = "restarting";
            t.since = now();
            t.error = Some(reason.clone());
            t.pid = None;
        });
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = &mut stopped => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Starts the program once and follows it until it exits or hookpit stops.
async fn run_once(app: &App, driver: &Driver, program: &Path) -> Ended {
    let mut child = match Command::new(program)
        .args(driver.args(app.bound.capture))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Should this task be dropped without a stop, the program still dies with it.
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return Ended::Died(format!("cannot start {}: {e}", program.display())),
    };
    let pid = child.id();
    tracing::info!(
        "tunnel: started {} (pid {})",
        program.display(),
        pid.unwrap_or(0)
    );
    app.public.update_tunnel(&app.live, driver, |t| t.pid = pid);
    let (lines, mut heard) = mpsc::channel(LINES_QUEUED);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(forward_lines(out, lines.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(forward_lines(err, lines));
    }
    let stopped = app.stopped();
    tokio::pin!(stopped);
    let mut last_error: Option<String> = None;
    let mut output_open = true;
    loop {
        tokio::select! {
            line = heard.recv(), if output_open => match line {
                Some(line) => {
                    tracing::debug!("{}: {line}", driver.program());
                    match driver.read_line(&line) {
                        Said::Url(url) => up(app, driver, url),
                        Said::Error(what) => {
                            tracing::warn!("{}: {what}", driver.program());
                            last_error = Some(what);
                        }
                        Said::Other => {}
                    }
                }
                None => output_open = false,
            },
            status = child.wait() => {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                // Only a line the driver knows as an error explains the exit: the last line
                // printed is as likely a banner's border.
                let why = last_error.map(|l| format!(": {l}")).unwrap_or_default();
                return Ended::Died(format!("{} exited ({status}){why}", driver.program()));
            }
            _ = &mut stopped => {
                let _ = child.start_kill();
                let _ = tokio::time::timeout(REAP_DEADLINE, child.wait()).await;
                tracing::info!("tunnel: stopped {} (pid {})", driver.program(), pid.unwrap_or(0));
                return Ended::Stopped;
            }
        }
    }
}

/// Sends each line `from` prints to `to`, until it closes.
async fn forward_lines(from: impl AsyncRead + Unpin, to: mpsc::Sender<String>) {
    let mut lines = BufReader::new(from).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if to.send(line).await.is_err() {
            return;
        }
    }
}

/// The program printed its public URL: the tunnel is up; a new URL is announced loudly, since
/// senders still post to the old one.
fn up(app: &App, driver: &Driver, url: String) {
    let mut changed_from = None;
    let mut first = false;
    app.public.update_tunnel(&app.live, driver, |t| {
        if t.public_url.as_deref() != Some(url.as_str()) {
            match t.public_url.take() {
                Some(old) => {
                    t.url_changed_at = Some(now());
                    changed_from = Some(old.clone());
                    t.previous_url = Some(old);
                }
                None => first = true,
            }
            t.public_url = Some(url.clone());
        }
        t.state = "up";
        t.since = now();
        t.error = None;
    });
    if first || changed_from.is_some() {
        crate::out::note(announce(driver, &url, changed_from.as_deref()));
    }
    tracing::info!("tunnel: {} is up at {url}", driver.program());
}

/// The lines printed when a public URL is known: the URL, the endpoint to paste into
/// Cyberdesk, and whether it will change.
pub fn announce(driver: &Driver, url: &str, changed_from: Option<&str>) -> String {
    let mut out = String::new();
    match changed_from {
        Some(old) => out.push_str(&format!(
            "tunnel: the public URL CHANGED (was {old}): webhooks sent to the old URL are lost; update the endpoint\n"
        )),
        None => out.push_str(&format!("tunnel: {} is up\n", driver.program())),
    }
    out.push_str(&format!(
        "  public     {url}/   (any path; forwarded to the capture port)\n"
    ));
    out.push_str(&format!(
        "  Cyberdesk  {url}/cyberdesk   (paste as the webhook endpoint URL)"
    ));
    if driver.changes_url() {
        out.push_str("\n  note       a quick tunnel gets a new URL every time it starts; the UI says when it changed");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_not_on_path_is_not_found() {
        assert!(find("hookpit-no-such-program-anywhere").is_none());
        assert!(
            find("sh").is_some(),
            "sh is on every PATH the tests run with"
        );
    }

    #[test]
    fn the_announcement_names_the_url_and_the_endpoint_to_paste() {
        let text = announce(&Driver::Cloudflared, "https://a-b.trycloudflare.com", None);
        assert!(
            text.contains("https://a-b.trycloudflare.com/cyberdesk"),
            "{text}"
        );
        assert!(text.contains("new URL every time"), "{text}");
        let changed = announce(
            &Driver::Ngrok,
            "https://n.ngrok-free.app",
            Some("https://o.ngrok-free.app"),
        );
        assert!(
            changed.contains("CHANGED (was https://o.ngrok-free.app)"),
            "{changed}"
        );
    }
}
