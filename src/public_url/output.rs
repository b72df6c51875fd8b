//! What the tunnel programs print, read line by line: the public URL, and the errors worth
//! showing. Each reader names the output format and the versions it comes from (README.md's
//! table says the same).

/// What one line of a tunnel program's output says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// The public URL.
    Url(String),
    /// An error worth showing the user.
    Error(String),
    /// Nothing hookpit acts on.
    Other,
}

/// An `http(s)://` URL with nothing else in it.
fn url_alone(text: &str) -> Option<String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))?;
    let ok = !rest.is_empty() && !text.chars().any(|c| c.is_whitespace() || c == '|');
    ok.then(|| text.trim_end_matches('/').to_string())
}

/// cloudflared 2021.x–2025.x log the quick tunnel's URL alone inside a box
/// (`… INF |  https://words.trycloudflare.com  |`) on stderr; errors at level `ERR`.
pub(super) fn cloudflared_line(line: &str) -> Said {
    if let (Some(open), Some(close)) = (line.find('|'), line.rfind('|'))
        && open < close
        && let Some(url) = url_alone(&line[open + 1..close])
    {
        return Said::Url(url);
    }
    match line.split_once(" ERR ") {
        Some((_, what)) => Said::Error(what.trim().to_string()),
        None => Said::Other,
    }
}

/// ngrok v3 with `--log stdout --log-format json`: one JSON object a line; the tunnel's start is
/// `{"msg":"started tunnel", "url": …}`; levels `eror` and `crit` carry `err`. Without a
/// config it also prints `ERROR:  …` lines as plain text.
pub(super) fn ngrok_line(line: &str) -> Said {
    if let Some(what) = line.strip_prefix("ERROR:") {
        return Said::Error(what.trim().to_string());
    }
    let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(line) else {
        return Said::Other;
    };
    let text = |k: &str| o.get(k).and_then(|v| v.as_str());
    if text("msg") == Some("started tunnel")
        && let Some(url) = text("url").and_then(url_alone)
    {
        return Said::Url(url);
    }
    if matches!(text("lvl"), Some("eror" | "crit")) {
        let what = text("err")
            .or(text("msg"))
            .unwrap_or("ngrok reported an error");
        return Said::Error(what.to_string());
    }
    Said::Other
}

/// localhost.run prints `<id>.lhr.life tunneled with tls termination, https://<id>.lhr.life`;
/// serveo.net `Forwarding HTTP traffic from https://<id>.serveo.net`; ssh's own errors
/// (`ssh: connect to host …`, `Permission denied …`, `Warning: remote port forwarding failed …`)
/// go to stderr.
pub(super) fn ssh_line(line: &str) -> Said {
    for marker in [
        "tunneled with tls termination, ",
        "Forwarding HTTP traffic from ",
    ] {
        if let Some((_, after)) = line.split_once(marker)
            && let Some(url) = after.split_whitespace().next().and_then(url_alone)
        {
            return Said::Url(url);
        }
    }
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("ssh:")
        || lower.contains("permission denied")
        || lower.contains("forwarding failed")
        || lower.contains("host key verification failed")
        || lower.contains("could not resolve")
    {
        return Said::Error(line.to_string());
    }
    Said::Other
}

#[cfg(test)]
mod tests {
    use super::super::Driver;
    use super::*;

    #[test]
    fn cloudflared_quick_tunnel_box_gives_the_url() {
        let log = [
            "2025-03-12T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...",
            "2025-03-12T10:00:01Z INF +--------------------------------------------------------------------------------------------+",
            "2025-03-12T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |",
            "2025-03-12T10:00:01Z INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                                      |",
        ];
        let said: Vec<Said> = log
            .iter()
            .map(|l| Driver::Cloudflared.read_line(l))
            .collect();
        assert_eq!(said[..3], [Said::Other, Said::Other, Said::Other]);
        assert_eq!(
            said[3],
            Said::Url("https://seasonal-deck-organisms-sf.trycloudflare.com".into())
        );
        assert_eq!(
            Driver::Cloudflared.read_line("2025-03-12T10:00:01Z ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host"),
            Said::Error("failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host".into())
        );
    }

    #[test]
    fn ngrok_json_log_gives_the_url_and_its_errors() {
        let started = r#"{"addr":"http://127.0.0.1:8700","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2025-03-12T10:00:01.0Z","url":"https://1a2b-3c4d.ngrok-free.app"}"#;
        assert_eq!(
            Driver::Ngrok.read_line(started),
            Said::Url("https://1a2b-3c4d.ngrok-free.app".into())
        );
        let failed = r#"{"err":"authentication failed: Usage of ngrok requires a verified account and authtoken.","lvl":"eror","msg":"failed to reconnect session","obj":"tunnels.session","t":"2025-03-12T10:00:01Z"}"#;
        assert!(
            matches!(Driver::Ngrok.read_line(failed), Said::Error(e) if e.starts_with("authentication failed"))
        );
        assert_eq!(
            Driver::Ngrok.read_line(r#"{"lvl":"info","msg":"open config file","path":"/home/me/.config/ngrok/ngrok.yml"}"#),
            Said::Other
        );
        assert_eq!(Driver::Ngrok.read_line("not json"), Said::Other);
    }

    #[test]
    fn ssh_hosts_print_their_url_in_their_own_words() {
        let ssh = Driver::parse("ssh:nokey@localhost.run").expect("spec");
        assert_eq!(
            ssh.read_line("3f2a1b.lhr.life tunneled with tls termination, https://3f2a1b.lhr.life"),
            Said::Url("https://3f2a1b.lhr.life".into())
        );
        assert_eq!(
            ssh.read_line("Forwarding HTTP traffic from https://abc123.serveo.net"),
            Said::Url("https://abc123.serveo.net".into())
        );
        // The welcome text's links are not the tunnel.
        assert_eq!(
            ssh.read_line("To set up and manage custom domains go to https://admin.localhost.run/"),
            Said::Other
        );
        assert!(matches!(
            ssh.read_line("nokey@localhost.run: Permission denied (publickey)."),
            Said::Error(_)
        ));
    }
}
