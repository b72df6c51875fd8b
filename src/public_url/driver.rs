//! The tunnel programs hookpit can drive (`--tunnel cloudflared|ngrok|ssh:USER@HOST[:PORT]`):
//! how each is started against the capture port and where it is installed from; `output.rs`
//! reads its public URL and its errors from the lines it prints. Pure functions, no processes.

use std::net::SocketAddr;

use super::output::{self, Said};

/// A tunnel program and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    /// A cloudflared quick tunnel (`cloudflared tunnel --url …`): no account, a new URL each start.
    Cloudflared,
    /// An ngrok v3 agent (`ngrok http …`): needs an account's authtoken in its config.
    Ngrok,
    /// `ssh -R 80:…` to a tunnel host such as localhost.run or serveo.net.
    Ssh {
        /// `USER@HOST`.
        destination: String,
        /// The ssh port, when not 22.
        port: Option<u16>,
    },
}

impl Driver {
    /// Parses `cloudflared`, `ngrok` or `ssh:USER@HOST[:PORT]`.
    pub fn parse(spec: &str) -> Result<Driver, String> {
        let spec = spec.trim();
        match spec {
            "cloudflared" => return Ok(Driver::Cloudflared),
            "ngrok" => return Ok(Driver::Ngrok),
            _ => {}
        }
        let Some(rest) = spec.strip_prefix("ssh:") else {
            return Err(format!(
                "--tunnel {spec:?}: say cloudflared, ngrok or ssh:USER@HOST[:PORT] (e.g. ssh:nokey@localhost.run)"
            ));
        };
        let (destination, port) = match rest.rsplit_once(':') {
            Some((d, p)) => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("--tunnel {spec:?}: {p:?} is not an ssh port"))?;
                (d, Some(port))
            }
            None => (rest, None),
        };
        let ok = destination.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty()
                && !host.is_empty()
                && !destination.starts_with('-')
                && destination
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@._-".contains(c))
        });
        if !ok {
            return Err(format!(
                "--tunnel {spec:?}: after ssh: give USER@HOST, e.g. ssh:nokey@localhost.run"
            ));
        }
        Ok(Driver::Ssh {
            destination: destination.to_string(),
            port,
        })
    }

    /// The name `/api/status` shows: `cloudflared`, `ngrok` or `ssh`.
    pub fn name(&self) -> &'static str {
        match self {
            Driver::Cloudflared => "cloudflared",
            Driver::Ngrok => "ngrok",
            Driver::Ssh { .. } => "ssh",
        }
    }

    /// The program looked up on `PATH`.
    pub fn program(&self) -> &'static str {
        self.name()
    }

    /// Whether each start gets a new public URL (a cloudflared quick tunnel always does).
    pub fn changes_url(&self) -> bool {
        matches!(self, Driver::Cloudflared)
    }

    /// The program's arguments for a tunnel to `capture` (an unspecified address means this
    /// machine's loopback).
    pub fn args(&self, capture: SocketAddr) -> Vec<String> {
        let mut local = capture;
        if local.ip().is_unspecified() {
            local.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        match self {
            // The log goes to stderr either way; the quick tunnel's URL is in it.
            Driver::Cloudflared => vec![
                "tunnel".into(),
                "--no-autoupdate".into(),
                "--url".into(),
                format!("http://{local}"),
            ],
            Driver::Ngrok => vec![
                "http".into(),
                format!("http://{local}"),
                "--log".into(),
                "stdout".into(),
                "--log-format".into(),
                "json".into(),
            ],
            Driver::Ssh { destination, port } => {
                let mut args: Vec<String> = [
                    "-T",
                    "-o",
                    "ExitOnForwardFailure=yes",
                    "-o",
                    "ServerAliveInterval=15",
                    "-o",
                    "ServerAliveCountMax=3",
                    "-o",
                    "StrictHostKeyChecking=accept-new",
                    // hookpit runs ssh in the background: a password prompt would hang it.
                    "-o",
                    "BatchMode=yes",
                    "-R",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                args.push(format!("80:{}:{}", local.ip(), local.port()));
                if let Some(p) = port {
                    args.push("-p".into());
                    args.push(p.to_string());
                }
                args.push(destination.clone());
                args
            }
        }
    }

    /// How to install the program, as (system, what to do) pairs, and a note.
    fn install_steps(&self) -> (&'static [(&'static str, &'static str)], &'static str) {
        match self {
            Driver::Cloudflared => (
                &[
                    ("macOS", "brew install cloudflared"),
                    (
                        "Debian/Ubuntu",
                        "download cloudflared-linux-amd64.deb (or -arm64) from https://github.com/cloudflare/cloudflared/releases/latest, then sudo dpkg -i it",
                    ),
                    ("Windows", "winget install --id Cloudflare.cloudflared"),
                ],
                "a quick tunnel needs no Cloudflare account",
            ),
            Driver::Ngrok => (
                &[
                    ("macOS", "brew install ngrok"),
                    ("Linux, Windows", "https://ngrok.com/download (v3)"),
                ],
                "then once: ngrok config add-authtoken <token>, the token of a free ngrok account",
            ),
            Driver::Ssh { .. } => (
                &[
                    ("Debian/Ubuntu", "sudo apt install openssh-client"),
                    ("Fedora", "sudo dnf install openssh-clients"),
                ],
                "",
            ),
        }
    }

    /// The options that need no program beyond what is there: ssh (`ssh_found`: whether it
    /// is on `PATH`) and the relay.
    fn no_install(&self, ssh_found: bool) -> String {
        let ssh = match (self, ssh_found) {
            (Driver::Ssh { .. }, _) => "",
            (_, true) => "--tunnel ssh:nokey@localhost.run (ssh is installed), or ",
            (_, false) => "--tunnel ssh:nokey@localhost.run (needs only an ssh client), or ",
        };
        format!("{ssh}--relay URL with your own `hookpit relay` (needs nothing but hookpit)")
    }

    /// Why the program cannot run and how to install it, on one line (for `/api/status`).
    pub fn install_hint(&self, ssh_found: bool) -> String {
        let (steps, note) = self.install_steps();
        let steps: Vec<String> = steps
            .iter()
            .map(|(os, how)| format!("{os}: {how}"))
            .collect();
        let note = match note {
            "" => String::new(),
            n => format!(" ({n})"),
        };
        format!(
            "{} is not installed (not found on PATH). Install it — {}{note}. Needs no install: {}.",
            self.program(),
            steps.join("; "),
            self.no_install(ssh_found)
        )
    }

    /// The same, laid out for a terminal.
    pub fn install_help(&self, ssh_found: bool) -> String {
        let (steps, note) = self.install_steps();
        let mut out = format!(
            "tunnel: {} is not installed (not found on PATH). To install it:\n",
            self.program()
        );
        let width = steps.iter().map(|(os, _)| os.len()).max().unwrap_or(0);
        for (os, how) in steps {
            out.push_str(&format!("  {os:width$}  {how}\n"));
        }
        if !note.is_empty() {
            out.push_str(&format!("  ({note})\n"));
        }
        out.push_str(&format!(
            "Needs no install: {}.",
            self.no_install(ssh_found)
        ));
        out
    }

    /// Reads one line of the program's output (stdout or stderr).
    pub fn read_line(&self, line: &str) -> Said {
        let line = line.trim();
        match self {
            Driver::Cloudflared => output::cloudflared_line(line),
            Driver::Ngrok => output::ngrok_line(line),
            Driver::Ssh { .. } => output::ssh_line(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_say_what_to_write() {
        assert_eq!(Driver::parse("cloudflared"), Ok(Driver::Cloudflared));
        assert_eq!(Driver::parse("ngrok"), Ok(Driver::Ngrok));
        assert_eq!(
            Driver::parse("ssh:nokey@localhost.run"),
            Ok(Driver::Ssh {
                destination: "nokey@localhost.run".into(),
                port: None
            })
        );
        assert_eq!(
            Driver::parse("ssh:me@serveo.net:2222"),
            Ok(Driver::Ssh {
                destination: "me@serveo.net".into(),
                port: Some(2222)
            })
        );
        for bad in [
            "localtunnel",
            "ssh:",
            "ssh:host",
            "ssh:-oProxyCommand=x@h",
            "ssh:a@b:0",
            "ssh:a@b:x",
        ] {
            let err = Driver::parse(bad).expect_err(bad);
            assert!(err.contains("--tunnel"), "{bad}: {err}");
        }
    }

    #[test]
    fn each_program_is_pointed_at_the_capture_port() {
        let capture: SocketAddr = "0.0.0.0:8700".parse().expect("addr");
        assert_eq!(
            Driver::Cloudflared.args(capture).join(" "),
            "tunnel --no-autoupdate --url http://127.0.0.1:8700"
        );
        assert!(
            Driver::Ngrok
                .args(capture)
                .join(" ")
                .starts_with("http http://127.0.0.1:8700 --log stdout --log-format json")
        );
        let ssh = Driver::parse("ssh:me@serveo.net:2222")
            .expect("spec")
            .args(capture);
        let ssh = ssh.join(" ");
        assert!(
            ssh.contains("-R 80:127.0.0.1:8700 -p 2222 me@serveo.net"),
            "{ssh}"
        );
    }

    #[test]
    fn the_install_hint_says_how_and_what_needs_nothing() {
        let hint = Driver::Cloudflared.install_hint(true);
        assert!(hint.contains("macOS: brew install cloudflared"), "{hint}");
        assert!(
            hint.contains("ssh:nokey@localhost.run (ssh is installed)"),
            "{hint}"
        );
        assert!(hint.contains("--relay"), "{hint}");
        assert!(!hint.contains('\n'), "one line for the status: {hint}");
        let help = Driver::Ngrok.install_help(false);
        assert!(
            help.contains("\n  macOS           brew install ngrok\n"),
            "{help}"
        );
        assert!(help.contains("add-authtoken"), "{help}");
        assert!(help.contains("needs only an ssh client"), "{help}");
        let ssh = Driver::parse("ssh:a@b").expect("spec").install_hint(false);
        assert!(
            ssh.contains("openssh-client") && !ssh.contains("--tunnel ssh:"),
            "{ssh}"
        );
    }
}
