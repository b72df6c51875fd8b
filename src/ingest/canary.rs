//! The receiving end of the canary: a request carrying a probe this hookpit is waiting for is
//! answered here, not stored, listed or forwarded. With `--canary-app` the probe goes on to the
//! app as `hookpit doctor`'s valid delivery, judged the same way. Both listeners (capture and
//! the relay agent) ask [`probe`] before they ingest.

use http::StatusCode;

use super::Reply;
use crate::app::App;
use crate::doctor::{self, Outcome};
use crate::public_url::AppCheck;
use crate::store::model::Headers;

/// The doctor scenario a probe sent on to the app is: a valid, signed `run_complete`.
const APP_SCENARIO: &str = "compact";

/// The answer to a probe, when `headers` carry one this hookpit is waiting for; `None` means the
/// request is an ordinary webhook.
pub async fn probe(app: &App, headers: &Headers) -> Option<Reply> {
    let arrived = app.public.probes.arrived(headers)?;
    let Some(reply) = arrived.reply else {
        // Ours, but nobody waits for it any more: dropped, so it never shows as a webhook.
        let late = serde_json::json!({ "canary": arrived.id, "late": true });
        return Some(Reply::json(StatusCode::OK, &late));
    };
    let check = match app.config.canary_app {
        true => Some(check_app(app).await),
        false => None,
    };
    let body = serde_json::json!({
        "canary": arrived.id,
        "app": check.as_ref().map(|c| serde_json::json!({ "ok": c.ok, "status": c.status, "detail": c.detail })),
    });
    // The prober may have given up (timed out) meanwhile: its loss, nothing to undo.
    let _ = reply.send(check);
    Some(Reply::json(StatusCode::OK, &body))
}

/// Delivers the doctor's valid `run_complete` to the `--forward` URL, signed with the keys of
/// `/`, and judges the answer as the doctor does.
async fn check_app(app: &App) -> AppCheck {
    let fail = |detail: String| AppCheck {
        ok: false,
        status: None,
        detail,
    };
    let Some(target) = app.config.forward.as_deref() else {
        return fail("no --forward target to send the probe on to".into());
    };
    let Ok(uri) = target.parse::<http::Uri>() else {
        return fail(format!("the --forward URL {target:?} does not parse"));
    };
    let options =
        doctor::Options::new(&[APP_SCENARIO.to_string()]).expect("the battery has this scenario");
    let keys = app.keys.for_path("/");
    let report = doctor::run(&app.client, &uri, &keys, &options, |_| {}).await;
    let Some(result) = report.scenarios.into_iter().next() else {
        return fail("the doctor ran no scenario".into());
    };
    let ok = result.outcome <= Outcome::Warn;
    let detail = match (ok, result.detail.is_empty()) {
        (true, true) => format!("the app answered {}", result.status.unwrap_or_default()),
        _ => result.detail,
    };
    AppCheck {
        ok,
        status: result.status,
        detail,
    }
}
