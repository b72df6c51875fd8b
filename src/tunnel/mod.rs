//! The public URL's two tasks: `program` runs the `--tunnel` program (finds it, reads its
//! public URL, restarts it with backoff, stops it with hookpit); `prober` is the canary that
//! sends a signed probe through whichever public URL there is (tunnel or relay) and says, in
//! the log, the status and the UI, when webhooks stop reaching this hookpit.

pub mod prober;
pub mod program;

use crate::app::App;

/// Starts the tunnel program (with `--tunnel`) and the canary (with any public URL and a
/// non-zero `--canary-interval`).
pub fn spawn(app: &App) {
    if let Some(driver) = app.config.tunnel.clone() {
        app.public.update_tunnel(&app.live, &driver, |_| {});
        // Tracked: a stop waits for it to end its program, so none is left running.
        app.tasks.spawn(program::supervise(app.clone(), driver));
    }
    let has_public_url = app.config.tunnel.is_some() || app.config.relay.is_some();
    if has_public_url && !app.config.canary_interval.is_zero() {
        app.public
            .update_canary(&app.live, app.config.canary_app, |_| {});
        app.tasks.spawn(prober::run(app.clone()));
    }
}

/// The public URL there is now: the tunnel's, else the relay channel's.
pub fn public_url(app: &App) -> Option<String> {
    if app.config.tunnel.is_some() {
        return app.public.get().tunnel.and_then(|t| t.public_url);
    }
    app.relay.get().and_then(|r| r.public_url)
}
