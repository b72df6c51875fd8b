//! Who may talk to the UI listener: a Host allow-list against DNS rebinding, an Origin check on
//! WebSocket upgrades and state-changing requests against CSRF and cross-site WebSocket
//! hijacking, and the `--ui-token` when one is set.

use std::net::{IpAddr, SocketAddr};

use http::{HeaderMap, Method, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::app::App;

/// Name of the cookie that carries the UI token after a `?token=` visit.
pub const TOKEN_COOKIE: &str = "hookpit_token";

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` is not an address or name this UI answers to.
    Host(String),
    /// `Origin` (or `Sec-Fetch-Site`) shows a cross-site page.
    Origin(String),
    /// The UI token is missing or wrong.
    Token,
}

impl Refusal {
    /// The HTTP status and a plain message.
    pub fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            Refusal::Host(h) => (
                StatusCode::MISDIRECTED_REQUEST,
                format!("host {h:?} is not this hookpit UI (use --allow-host to add a name)"),
            ),
            Refusal::Origin(o) => (
                StatusCode::FORBIDDEN,
                format!("cross-origin request from {o:?} refused"),
            ),
            Refusal::Token => (
                StatusCode::UNAUTHORIZED,
                "this hookpit UI needs its token: open the URL hookpit printed at start, or send Authorization: Bearer <token>".into(),
            ),
        }
    }
}

/// What a request that passed brings along.
#[derive(Debug, Default)]
pub struct Admitted {
    /// The token came in the query string: set it as a cookie so the page keeps working.
    pub set_token_cookie: Option<String>,
}

/// Checks Host, Origin and token for a UI request that reached the local address `reached`.
pub fn admit(
    app: &App,
    method: &Method,
    version: http::Version,
    uri: &http::Uri,
    headers: &HeaderMap,
    reached: SocketAddr,
) -> Result<Admitted, Refusal> {
    let bound = app.bound.ui;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    if !host_allowed(&host, bound, &app.config.allow_hosts, "http") {
        return Err(Refusal::Host(host));
    }
    let is_ws = super::ws::handshake(method, version, headers).is_some();
    let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    // MCP's Streamable HTTP transport requires the Origin check on every request to `/mcp`,
    // its event-stream GET included (DNS rebinding).
    let guarded = is_ws || changes_state || uri.path() == "/mcp";
    let origin = headers.get(header::ORIGIN);
    if guarded {
        if let Some(origin) = origin {
            let origin = origin.to_str().unwrap_or("?");
            if !origin_allowed(origin, bound, reached, &app.config.allow_hosts) {
                return Err(Refusal::Origin(origin.to_string()));
            }
        }
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        if site == Some("cross-site") {
            return Err(Refusal::Origin("a cross-site page".into()));
        }
    }
    let Some(expected) = app.config.ui_token.as_deref() else {
        return Ok(Admitted::default());
    };
    let matches = |given: &str| bool::from(given.as_bytes().ct_eq(expected.as_bytes()));
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
        .any(matches);
    if bearer.is_some_and(matches) {
        return Ok(Admitted::default());
    }
    if cookie {
        // Only a browser sends the cookie, and a browser names the page behind every
        // state change and upgrade: the cookie alone never stands in for that Origin.
        if guarded && origin.is_none() {
            return Err(Refusal::Origin(
                "a request with the token cookie but no Origin".into(),
            ));
        }
        return Ok(Admitted::default());
    }
    let query_token = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned());
    match query_token {
        Some(t) if matches(&t) => Ok(Admitted {
            set_token_cookie: Some(t),
        }),
        _ => Err(Refusal::Token),
    }
}

/// Whether `host` (a Host header: `name[:port]`) names this UI.
fn host_allowed(host: &str, bound: SocketAddr, extra: &[String], scheme: &str) -> bool {
    // Bound to every interface, the UI cannot know every name it is reached by; the token
    // guards it instead (and the Origin check below still knows its own origins).
    if bound.ip().is_unspecified() {
        return true;
    }
    names_ui(host, bound.port(), |ip| ip == bound.ip(), extra, scheme)
}

/// Whether a browser `Origin` (`scheme://host[:port]`) is the UI itself. Bound to every
/// interface, its own origins are its port on `localhost`, a loopback address, the address
/// this connection reached, or an `--allow-host` name; any other page is another site.
fn origin_allowed(origin: &str, bound: SocketAddr, reached: SocketAddr, extra: &[String]) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false; // "null" and other opaque origins
    };
    let host = rest.trim_end_matches('/');
    if bound.ip().is_unspecified() {
        let reached = reached.ip().to_canonical();
        let own = |ip: IpAddr| ip.is_loopback() || ip.to_canonical() == reached;
        return names_ui(host, bound.port(), own, extra, scheme);
    }
    names_ui(host, bound.port(), |ip| ip == bound.ip(), extra, scheme)
}

/// Whether `host` (`name[:port]`) has the UI's port and a name it answers to: `localhost`, an
/// address `own` accepts, or an `--allow-host` name.
fn names_ui(
    host: &str,
    port: u16,
    own: impl Fn(IpAddr) -> bool,
    extra: &[String],
    scheme: &str,
) -> bool {
    let (name, given) = split_host_port(host);
    let port_ok = match given {
        Some(p) => p == port,
        None => port == if scheme == "https" { 443 } else { 80 },
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let name_ok = name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(&own)
        || extra.iter().any(|h| h.eq_ignore_ascii_case(name));
    port_ok && name_ok
}

/// Splits `name:port`, `[v6]:port`, `name` or `[v6]`.
fn split_host_port(host: &str) -> (&str, Option<u16>) {
    if let Some(end) = host.rfind(']') {
        let port = host[end + 1..]
            .strip_prefix(':')
            .and_then(|p| p.parse().ok());
        return (&host[..=end], port);
    }
    match host.rsplit_once(':') {
        Some((name, port)) => (name, port.parse().ok().or(Some(0))),
        None => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("valid address")
    }

    #[test]
    fn hosts_must_name_this_ui() {
        let b = addr("127.0.0.1:8701");
        assert!(host_allowed("127.0.0.1:8701", b, &[], "http"));
        assert!(host_allowed("localhost:8701", b, &[], "http"));
        assert!(host_allowed("LOCALHOST:8701", b, &[], "http"));
        assert!(!host_allowed("evil.example:8701", b, &[], "http"));
        assert!(!host_allowed("localhost:9999", b, &[], "http"));
        assert!(!host_allowed("localhost", b, &[], "http"));
        assert!(!host_allowed("localhost:x", b, &[], "http"));
        assert!(host_allowed(
            "hookpit.lan:8701",
            b,
            &["hookpit.lan".into()],
            "http"
        ));
        let v6 = addr("[::1]:8701");
        assert!(host_allowed("[::1]:8701", v6, &[], "http"));
        assert!(host_allowed(
            "anything:1",
            addr("0.0.0.0:8701"),
            &[],
            "http"
        ));
    }

    #[test]
    fn origins_must_be_the_ui_itself() {
        let b = addr("127.0.0.1:8701");
        assert!(origin_allowed("http://127.0.0.1:8701", b, b, &[]));
        assert!(origin_allowed("http://localhost:8701", b, b, &[]));
        assert!(!origin_allowed("http://localhost:3000", b, b, &[]));
        assert!(!origin_allowed("https://evil.example", b, b, &[]));
        assert!(!origin_allowed("null", b, b, &[]));
    }

    #[test]
    fn bound_everywhere_the_ui_knows_its_own_origins() {
        let everywhere = addr("0.0.0.0:8701");
        let lan = addr("192.0.2.7:8701");
        let ok = |o: &str, reached| origin_allowed(o, everywhere, reached, &["box.lan".into()]);
        assert!(ok("http://localhost:8701", lan));
        assert!(ok("http://127.0.0.1:8701", lan));
        assert!(ok("http://192.0.2.7:8701", lan));
        assert!(ok("http://box.lan:8701", lan));
        assert!(!ok("http://evil.com", lan));
        assert!(!ok("http://evil.com:8701", lan));
        assert!(!ok("http://localhost:3000", lan));
        assert!(!ok("http://192.0.2.8:8701", lan));
        assert!(!ok("null", lan));
        let v6 = addr("[::]:8701");
        let mapped = addr("[::ffff:192.0.2.7]:8701");
        assert!(origin_allowed("http://192.0.2.7:8701", v6, mapped, &[]));
        assert!(origin_allowed("http://[::1]:8701", v6, mapped, &[]));
    }
}
