//! What bulk recovery's `only_failed` means: the forward target has not answered 2xx for an
//! event. A replay sent somewhere else says nothing about the app, whatever it got back.

use crate::store::model::{Attempt, AttemptKind};

/// Whether the forward target has been tried for this event and never answered 2xx. Forwards
/// and retries go to the target; a replay counts only when it was sent to `target` (the event's
/// forward URL). When a route fans out, only the forwards to `target` count (another target's
/// answer says nothing of this one); forwards to none of it (a target since renamed in the
/// configuration) all count. Attempts still in flight (no status, no error) and forwards a rule
/// skipped have not failed.
pub fn forward_failed(attempts: &[Attempt], target: Option<&str>) -> bool {
    let forward = |a: &Attempt| {
        matches!(a.kind, AttemptKind::Forward | AttemptKind::Retry) && a.skipped.is_none()
    };
    let to = |a: &Attempt| target.is_some_and(|t| a.target == t);
    let fanned = attempts.iter().any(|a| forward(a) && to(a));
    let mut tried = false;
    for a in attempts {
        let to_target = (forward(a) && (!fanned || to(a))) || to(a);
        if !to_target {
            continue;
        }
        if super::succeeded(a.outcome.status) {
            return false;
        }
        tried |= a.outcome.status.is_some() || a.outcome.error.is_some();
    }
    tried
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::AttemptOutcome;

    const APP: &str = "http://127.0.0.1:3000/hooks";

    fn attempt(
        kind: AttemptKind,
        target: &str,
        status: Option<u16>,
        error: Option<&str>,
    ) -> Attempt {
        Attempt {
            id: 0,
            event_id: 1,
            kind,
            target: target.to_string(),
            mode: "resign".to_string(),
            started_at: String::new(),
            request_headers: Default::default(),
            outcome: AttemptOutcome {
                status,
                error: error.map(str::to_string),
                ..AttemptOutcome::default()
            },
            skipped: None,
            sent: None,
        }
    }

    #[test]
    fn a_failed_replay_elsewhere_does_not_undo_a_delivery() {
        let delivered = attempt(AttemptKind::Forward, APP, Some(200), None);
        let elsewhere = attempt(
            AttemptKind::Replay,
            "http://127.0.0.1:9/",
            None,
            Some("refused"),
        );
        assert!(!forward_failed(&[delivered, elsewhere], Some(APP)));
    }

    #[test]
    fn failed_means_the_target_never_answered_2xx() {
        let refused = attempt(AttemptKind::Forward, APP, None, Some("could not connect"));
        let five = attempt(AttemptKind::Retry, APP, Some(500), None);
        assert!(forward_failed(&[refused.clone(), five.clone()], Some(APP)));
        // A replay to the target that got through recovers the event.
        let replayed = attempt(AttemptKind::Replay, APP, Some(204), None);
        assert!(!forward_failed(&[refused.clone(), replayed], Some(APP)));
        // Only replays elsewhere, or one still in flight: nothing known about the target.
        let elsewhere = attempt(AttemptKind::Replay, "http://other/", Some(500), None);
        assert!(!forward_failed(&[elsewhere], Some(APP)));
        let in_flight = attempt(AttemptKind::Forward, APP, None, None);
        assert!(!forward_failed(&[in_flight], Some(APP)));
        assert!(!forward_failed(&[], Some(APP)));
    }

    #[test]
    fn with_several_targets_only_the_first_targets_forwards_count() {
        const AUDIT: &str = "http://127.0.0.1:4000/audit";
        let app_failed = attempt(AttemptKind::Forward, APP, Some(500), None);
        let audit_ok = attempt(AttemptKind::Forward, AUDIT, Some(200), None);
        assert!(forward_failed(
            &[app_failed.clone(), audit_ok.clone()],
            Some(APP)
        ));
        let app_ok = attempt(AttemptKind::Retry, APP, Some(200), None);
        let audit_failed = attempt(AttemptKind::Retry, AUDIT, Some(500), None);
        assert!(!forward_failed(&[app_ok, audit_failed], Some(APP)));
        // A target renamed since: its forwards still tell.
        assert!(forward_failed(
            &[app_failed],
            Some("http://127.0.0.1:3001/hooks")
        ));
        let mut skipped = attempt(AttemptKind::Forward, APP, None, None);
        skipped.skipped = Some("events = [\"x\"]".into());
        assert!(!forward_failed(&[skipped], Some(APP)));
    }
}
