//! The short banner hookpit prints at start: where to send webhooks, where to look, where they
//! are stored, and a curl command that sends a test webhook (signed when a key is configured).

use std::fmt::Write;

use crate::app::App;
use crate::verify::standard;

/// A small body for the banner's curl command.
const TEST_BODY: &str = r#"{"event_type":"ping","event_id":"hookpit-banner-test"}"#;

/// The banner text.
pub fn banner(app: &App) -> String {
    let capture = format!("http://{}", app.bound.capture);
    let mut ui = format!("http://{}", app.bound.ui);
    if let Some(token) = &app.config.ui_token {
        let _ = write!(ui, "/?token={token}");
    }
    let mut out = String::new();
    let _ = writeln!(out, "hookpit {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "  capture   {capture}/   (any method, any path)");
    let _ = writeln!(out, "  inspect   {ui}");
    let _ = writeln!(out, "  database  {}", app.config.db_path);
    if let Some(file) = &app.config.config_file {
        let _ = writeln!(
            out,
            "  routes    {} ({})",
            file.display(),
            crate::out::counted(app.config.routes.len() as u64, "route")
        );
    }
    let _ = writeln!(out, "  keys      {}", describe_keys(app));
    if let Some(target) = &app.config.forward {
        let _ = writeln!(
            out,
            "  forward   {target} ({:?} mode)",
            app.config.forward_mode
        );
    }
    if let Some(relay) = &app.config.relay {
        let _ = writeln!(
            out,
            "  relay     {relay} (its public URL is printed once connected)"
        );
    }
    if let Some(driver) = &app.config.tunnel {
        let _ = writeln!(
            out,
            "  tunnel    {} (starting; its public URL and the Cyberdesk endpoint to paste are printed once up)",
            driver.name()
        );
    }
    if app.config.tunnel.is_some() || app.config.relay.is_some() {
        let every = app.config.canary_interval;
        let _ = match (every.is_zero(), app.config.canary_app) {
            (true, _) => writeln!(out, "  canary    off (--canary-interval 0)"),
            (false, false) => writeln!(
                out,
                "  canary    a signed probe through the public URL every {every:?}, once it is up"
            ),
            (false, true) => writeln!(
                out,
                "  canary    a signed probe through the public URL and on to the app every {every:?}, once it is up"
            ),
        };
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", test_curl(app, &capture));
    out
}

fn describe_keys(app: &App) -> String {
    let keys = app.keys.list();
    if keys.is_empty() {
        return "none (signed webhooks show as unverified; add --secret whsec_…)".into();
    }
    keys.iter()
        .map(|k| format!("{} {}", k.route, k.masked))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A curl command for a test webhook: signed with the first key that can sign `/` paths, so it
/// verifies as `valid` if sent within 5 minutes; unsigned when there is no such key.
pub fn test_curl(app: &App, capture: &str) -> String {
    let keys = app.keys.for_path("/");
    let now = chrono::Utc::now().timestamp();
    let msg_id = standard::new_msg_id();
    let mut headers = vec![("content-type".to_string(), b"application/json".to_vec())];
    let title = match standard::sign(&msg_id, now, TEST_BODY.as_bytes(), &keys) {
        Some(signature) => {
            headers.push(("svix-id".into(), msg_id.into_bytes()));
            headers.push(("svix-timestamp".into(), now.to_string().into_bytes()));
            headers.push(("svix-signature".into(), signature.into_bytes()));
            "Send a signed test webhook (valid for 5 minutes):"
        }
        None => "Send a test webhook:",
    };
    let url = format!("{capture}/test");
    let body = crate::curl::Body::Bytes(TEST_BODY.as_bytes());
    let cmd = crate::curl::command("POST", &url, &headers, body);
    format!("{title}\n  {}", cmd.replace('\n', "\n  "))
}
