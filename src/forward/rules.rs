//! Which targets a stored webhook is forwarded to, and whether a rule keeps it from them: the
//! forwarding route of its path (the longest route with a `forward`, else `--forward`), its
//! targets (fan-out), and its `events` / `match` rules (`--events` for the default route).
//! Rules are judged after the webhook is committed, off the capture's own write; a forward a
//! rule skips is recorded per target with the rule, so the UI can say why nothing was sent.

use crate::app::App;
use crate::config::{Match, Route};
use crate::keys::route_for;
use crate::live::LiveEvent;
use crate::store::model::{AttemptKind, EventSummary, Headers, NewAttempt};
use crate::wire::AttemptJson;

/// The route that forwards a path, and what it forwards with.
#[derive(Debug, Clone, Copy)]
pub struct Forwarding<'a> {
    /// Base URLs, in the order configured (the first is the one a proxying sender waits for).
    bases: &'a [String],
    /// How much of the captured path the route's prefix takes (the rest is appended).
    prefix: usize,
    /// Event types forwarded, when limited.
    events: Option<&'a [String]>,
    /// The query an event must match, when there is one.
    matches: Option<&'a Match>,
    /// Whether this is `--forward` (its rule is named `--events`).
    default: bool,
}

/// What the rules decided for one stored webhook.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Full target URLs, in the order configured.
    pub targets: Vec<String>,
    /// The rule that kept the webhook from every target (`events = ["run_complete"]`,
    /// `match = "status:task_failed"`, `--events run_complete`); `None` when it goes out.
    pub skipped_by: Option<String>,
}

/// The forwarding route of `path`: the longest route with a `forward`, else `--forward`.
pub fn forwarding<'a>(app: &'a App, path: &str) -> Option<Forwarding<'a>> {
    let with_forward = app.config.routes.iter().filter(|r| !r.forward.is_empty());
    match route_for(with_forward, |r: &Route| r.path.as_str(), path) {
        Some(r) => Some(Forwarding {
            bases: &r.forward,
            prefix: r.path.trim_end_matches('/').len(),
            events: r.events.as_deref(),
            matches: r.matches.as_ref(),
            default: false,
        }),
        None => app.config.forward.as_ref().map(|base| Forwarding {
            bases: std::slice::from_ref(base),
            prefix: 0,
            events: app.config.events.as_deref(),
            matches: None,
            default: true,
        }),
    }
}

impl Forwarding<'_> {
    /// The full target URLs of a webhook captured at `path?query`, in the order configured.
    pub fn targets(&self, path: &str, query: &str) -> Vec<String> {
        let rest = path.get(self.prefix..).unwrap_or("");
        self.bases
            .iter()
            .filter_map(|base| super::join(base, rest, query))
            .collect()
    }

    /// The rule that keeps event `s` from being forwarded, if one does. The type list is
    /// judged first (no store read); the query is the search language's own, run on this one
    /// event. A query the store cannot judge now lets the event through: a delivery too many
    /// is better than one lost.
    pub async fn judge(&self, app: &App, s: &EventSummary) -> Option<String> {
        if let Some(types) = self.events {
            let kept = s.event_type.as_ref().is_some_and(|t| types.contains(t));
            if !kept {
                return Some(self.events_rule(types));
            }
        }
        let m = self.matches?;
        match app.store.matches(m.filter.clone(), s.id).await {
            Ok(true) => None,
            Ok(false) => Some(format!("match = {:?}", m.query)),
            Err(e) => {
                tracing::error!(id = s.id, "cannot judge match = {:?}: {e}", m.query);
                None
            }
        }
    }

    /// How the type rule is named in a skipped forward's record.
    fn events_rule(&self, types: &[String]) -> String {
        if self.default {
            format!("--events {}", types.join(","))
        } else {
            let quoted: Vec<String> = types.iter().map(|t| format!("{t:?}")).collect();
            format!("events = [{}]", quoted.join(", "))
        }
    }
}

/// Every target a webhook captured at `path?query` is forwarded to (none without a forward).
pub fn targets_for(app: &App, path: &str, query: &str) -> Vec<String> {
    forwarding(app, path).map_or_else(Vec::new, |f| f.targets(path, query))
}

/// Where stored event `s` goes and whether a rule keeps it back.
pub async fn plan(app: &App, s: &EventSummary) -> Plan {
    let Some(f) = forwarding(app, &s.path) else {
        return Plan::default();
    };
    let targets = f.targets(&s.path, &s.query);
    if targets.is_empty() {
        return Plan::default();
    }
    Plan {
        skipped_by: f.judge(app, s).await,
        targets,
    }
}

/// Records, in the background, that `rule` kept event `id` from each of `targets`: one
/// finished record per target, published like any attempt. Nothing is owed on a skipped
/// forward, so the sender's answer does not wait for it; a record that cannot be stored is
/// logged.
pub fn record_skips(app: &App, id: i64, targets: Vec<String>, rule: String) {
    let recorder = app.clone();
    app.tasks.spawn(async move {
        let app = &recorder;
        let mode = match app.config.forward_mode {
            crate::config::ForwardMode::Proxy => "proxy",
            crate::config::ForwardMode::Ack => "ack",
        };
        for target in targets {
            let new = NewAttempt {
                event_id: id,
                kind: AttemptKind::Forward,
                target,
                mode: mode.to_string(),
                started_at: app.clock.now(),
                request_headers: Headers::default(),
                sent: None,
            };
            match app.store.insert_skipped_soon(new, rule.clone()).await {
                Ok(skipped) => app
                    .live
                    .publish(LiveEvent::AttemptCreated(AttemptJson::from(&skipped))),
                Err(e) => tracing::error!(id, "cannot record a forward skipped by {rule}: {e}"),
            }
        }
    });
}
