//! What the agent tells a user whose `--relay` setup cannot work: a refusal by the relay, a
//! channel's public URL given instead of the relay's, a URL that is not a relay, https against
//! a plain relay. Each says what to change; none of them is retried, since retrying cannot help.
//! A refusal that can pass (the channel still held by a half-open connection, the relay's
//! storage failing) is retried like a lost connection.

use tokio_tungstenite::tungstenite::Error as WsError;

use super::protocol::RefusalKind;

/// Marks the relay's answer to a WebSocket upgrade on a channel's public URL, so an agent
/// pointed there can tell that case from any other error.
pub const CHANNEL_URL_HEADER: &str = "Hookpit-Relay-Channel-Url";

/// Why connecting failed: a setup to change, or something worth retrying.
#[derive(Debug, PartialEq, Eq)]
pub enum Diagnosis {
    /// The configuration cannot work as it is; the text says what to change.
    Misconfigured(String),
    /// A network or relay problem that may pass.
    Transient(String),
}

/// Sorts out the relay's refusal (after hello): only one that a change of settings can cure
/// stops the retries. A relay older than the refusal's `kind` is judged by its words.
pub fn refusal(reason: &str, kind: Option<RefusalKind>) -> Diagnosis {
    let setup = match kind {
        Some(kind) => kind == RefusalKind::Setup,
        None => [
            "token",
            "channel or key",
            "--max-channels",
            "protocol version",
        ]
        .iter()
        .any(|words| reason.contains(words)),
    };
    if setup {
        Diagnosis::Misconfigured(refused(reason))
    } else {
        Diagnosis::Transient(format!("the relay refused this agent for now: {reason}"))
    }
}

/// The relay's refusal (after hello), with what to change.
pub fn refused(reason: &str) -> String {
    let change = if reason.contains("token") {
        "check --relay-token (HOOKPIT_RELAY_TOKEN): it must be one of the relay's --token values"
    } else if reason.contains("channel or key") {
        "the channel saved for this relay is not accepted; remove it with a fresh --db or ask the relay's operator"
    } else if reason.contains("--max-channels") {
        "reuse this machine's database (--db) to keep its channel, or ask for a higher --max-channels"
    } else {
        "change the agent's settings or the relay's, then restart"
    };
    format!("{reason}: {change}; not retrying until hookpit restarts")
}

/// Sorts out an error from the WebSocket handshake with `relay` (the `--relay` URL).
pub fn connect_failed(relay: &str, error: &WsError) -> Diagnosis {
    match error {
        WsError::Http(resp) => {
            let message = resp
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v["error"].as_str().map(str::to_string));
            if resp.headers().contains_key(CHANNEL_URL_HEADER) {
                return Diagnosis::Misconfigured(message.unwrap_or_else(|| {
                    format!("{relay} is a channel's public URL, not the relay")
                }));
            }
            let status = resp.status();
            // A timeout or rate limit passes; other client errors mean a wrong URL.
            let passes = matches!(status.as_u16(), 408 | 429);
            if status.is_client_error() && !passes {
                return Diagnosis::Misconfigured(format!(
                    "{relay} answered {status} instead of accepting the agent{}: --relay takes the relay's base URL, e.g. https://hooks.example.com",
                    message.map(|m| format!(" ({m})")).unwrap_or_default()
                ));
            }
            Diagnosis::Transient(format!("{relay} answered {status}"))
        }
        other => {
            let text = other.to_string();
            // rustls reading a plain HTTP answer as a TLS record.
            let plain_http =
                text.contains("corrupt message") || text.contains("InvalidContentType");
            if relay.starts_with("https://") && plain_http {
                let http = format!("http://{}", &relay["https://".len()..]);
                return Diagnosis::Misconfigured(format!(
                    "the relay at {relay} answered in plain HTTP, not TLS: use --relay {http}, or put TLS in front of the relay (its --tls-cert/--tls-key)"
                ));
            }
            Diagnosis::Transient(format!("cannot connect to {relay}: {text}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_to_change() {
        let text = refused("this relay token may not create channels");
        assert!(text.contains("--relay-token"), "{text}");
        assert!(text.contains("not retrying"), "{text}");
    }

    #[test]
    fn a_not_found_is_a_wrong_url_and_a_server_error_passes() {
        let answer = |status: u16| {
            WsError::Http(Box::new(
                http::Response::builder()
                    .status(status)
                    .body(Some(br#"{"error":"nope"}"#.to_vec()))
                    .expect("response"),
            ))
        };
        let relay = "http://127.0.0.1:8080/x";
        assert!(matches!(
            connect_failed(relay, &answer(404)),
            Diagnosis::Misconfigured(m) if m.contains("(nope)") && m.contains("base URL")
        ));
        for status in [408, 429, 500, 502, 503] {
            assert!(
                matches!(
                    connect_failed(relay, &answer(status)),
                    Diagnosis::Transient(_)
                ),
                "{status} passes"
            );
        }
    }

    #[test]
    fn only_a_refusal_that_settings_cure_stops_the_retries() {
        let busy = "another agent is connected to this channel; stop it first";
        for (reason, kind) in [
            (busy, None),
            (busy, Some(RefusalKind::Busy)),
            (
                "the relay's storage failed: disk I/O error",
                Some(RefusalKind::Unavailable),
            ),
            ("database is locked", None),
            ("something new", Some(RefusalKind::Other)),
        ] {
            assert!(
                matches!(refusal(reason, kind), Diagnosis::Transient(ref m) if m.contains(reason)),
                "{reason} {kind:?} is retried"
            );
        }
        for (reason, kind) in [
            ("this relay token may not create channels", None),
            ("wrong channel or key", None),
            (
                "protocol version 2 is not supported (this relay speaks 1)",
                None,
            ),
            ("anything", Some(RefusalKind::Setup)),
        ] {
            assert!(
                matches!(refusal(reason, kind), Diagnosis::Misconfigured(ref m) if m.contains("not retrying")),
                "{reason} {kind:?} stops"
            );
        }
    }
}
