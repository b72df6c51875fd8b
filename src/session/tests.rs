//! The timeline's rules on small made-up sessions: order, stop, release, missing, the list.

use bytes::Bytes;

use super::*;
use crate::store::sessions::SessionRun;

fn run(id: &str, event_id: i64, status: &str, release: Option<bool>) -> SessionRun {
    SessionRun {
        session_id: "s1".into(),
        run_id: id.into(),
        event_id,
        status: Some(status.into()),
        release_after: release,
        first_at: event_id * 1000,
        last_at: event_id * 1000,
    }
}

fn body(started: &str, ended: &str, checks: Value) -> Bytes {
    let v = serde_json::json!({"run": {"started_at": started, "ended_at": ended,
        "post_run_checks": checks}});
    Bytes::from(v.to_string())
}

#[test]
fn runs_are_ordered_by_start_and_a_mid_chain_failure_is_the_stop() {
    let stored = StoredSession {
        runs: vec![
            // Delivered (and so stored) first, but ran second.
            (
                run("r2", 1, "task_failed", None),
                body(
                    "2026-11-26T18:41:00Z",
                    "2026-11-26T18:41:30.5Z",
                    serde_json::json!([{"name": "PDF", "type": "run_attachment_exists",
                        "status": "failed", "error_message": "found 0"},
                        {"name": "ok", "status": "success"}]),
                ),
            ),
            (
                run("r1", 2, "success", None),
                body("2026-11-26T18:40:00Z", "2026-11-26T18:40:10Z", Value::Null),
            ),
        ],
        runs_left_out: 0,
        expected: Some(vec!["r1".into(), "r2".into(), "r3".into()]),
    };
    let t = timeline("s1", stored);
    let order: Vec<&str> = t.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(order, ["r1", "r2"]);
    assert_eq!(t.runs[0].duration_ms, Some(10_000));
    assert_eq!(t.runs[1].duration_ms, Some(30_500));
    assert_eq!(
        t.runs[1].started_at.as_deref(),
        Some("2026-11-26T18:41:00.000Z")
    );
    assert_eq!(t.runs[1].failed_checks.len(), 1);
    assert_eq!(
        t.runs[1].failed_checks[0].error_message.as_deref(),
        Some("found 0")
    );
    assert_eq!(t.stopped_early_at.as_deref(), Some("r2"));
    assert_eq!(t.missing, ["r3"]);
    assert!(!t.released);
}

#[test]
fn a_failed_last_step_is_no_early_stop() {
    let last = |expected: Option<Vec<String>>, release| {
        let stored = StoredSession {
            runs: vec![
                (run("r1", 1, "success", None), Bytes::new()),
                (
                    run("r2", 2, "error", release),
                    Bytes::from_static(b"not json"),
                ),
            ],
            runs_left_out: 0,
            expected,
        };
        timeline("s1", stored)
    };
    let told = last(Some(vec!["r1".into(), "r2".into()]), None);
    assert_eq!(told.stopped_early_at, None);
    assert_eq!(
        told.runs[1].started_at, None,
        "a body that is not JSON gives no times"
    );
    let marked = last(None, Some(true));
    assert_eq!(marked.stopped_early_at, None);
    assert!(marked.released, "the release run reported, failed or not");
    let unknown = last(None, None);
    assert_eq!(unknown.stopped_early_at.as_deref(), Some("r2"));
}

#[test]
fn the_list_agrees_with_the_timeline_and_lists_expected_only_sessions() {
    let mut other = run("x1", 5, "success", Some(true));
    other.session_id = "s2".into();
    let all = AllSessions {
        runs: vec![
            run("r1", 1, "success", None),
            run("r2", 2, "task_failed", None),
            other,
        ],
        expected: vec![("s3".into(), vec!["a".into()])],
    };
    let lines = summaries(all, 10);
    let ids: Vec<&str> = lines.iter().map(|l| l.session_id.as_str()).collect();
    assert_eq!(ids, ["s2", "s1", "s3"], "newest activity first");
    assert_eq!(lines[1].runs, 2);
    assert!(lines[1].stopped_early);
    assert!(!lines[1].released);
    assert_eq!(
        lines[1].first_at.as_deref(),
        Some("1970-01-01T00:00:01.000Z")
    );
    assert!(lines[0].released && !lines[0].stopped_early);
    assert_eq!((lines[2].runs, lines[2].first_at.as_deref()), (0, None));
    assert_eq!(summaries(AllSessions::default(), 10), Vec::new());
}
