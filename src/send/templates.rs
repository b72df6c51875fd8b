//! Test event bodies in the shapes Cyberdesk sends (tests/data/cyberdesk/): `run_complete` in
//! each final status, `downed_machines`, and Svix's `ping`. Ids and times are fresh on every call.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Event, RunStatus, Template};
use crate::verify::providers::new_uuid;

/// The fixtures' organization, workflow, machine and user: one stable "account" across sends.
const ORG: &str = "org_2kQ7vXyP9mLr3TzB8nW4sHd6FgJ";
const WORKFLOW: &str = "5c9d2e71-0b3a-4f6e-8d15-a2c4e6f80b39";
const MACHINE: &str = "e41a7c3d-92b0-4d5f-a6e8-1b3c5d7f9a02";
const USER: &str = "0d8f6b4a-2c1e-4a3b-9f7d-6e5c4b3a2f10";
const POOL: &str = "7d2e9f1a-3b5c-4d6e-8f0a-1c3e5a7b9d2f";

/// RFC 3339 with microseconds and `Z`, as Cyberdesk writes times.
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The JSON body of `event`, as if it happened at `now`.
pub fn render(event: &Event, now: DateTime<Utc>) -> Value {
    match event.template {
        Template::RunComplete => run_complete(event.status, event.checks_fail, now),
        Template::DownedMachines => downed_machines(now),
        Template::Ping => json!({
            "event_id": new_uuid(),
            "event_type": "ping",
            "occurred_at": time(now),
            "data": { "success": true },
        }),
    }
}

fn run_complete(status: RunStatus, checks_fail: bool, now: DateTime<Utc>) -> Value {
    let ended = now - Duration::milliseconds(5_081);
    let started = ended - Duration::milliseconds(128_630);
    let created = started - Duration::milliseconds(5_756);
    let mut run = json!({
        "id": new_uuid(),
        "workflow_id": WORKFLOW,
        "machine_id": MACHINE,
        "status": status.as_str(),
        "created_at": time(created),
    });
    if status == RunStatus::Cancelled {
        // Cancelled runs carry only the keys the schema requires (run_complete.cancelled_minimal).
        run["machine_id"] = Value::Null;
        if checks_fail {
            run["post_run_checks"] = json!([pdf_check(ended, false)]);
        }
        return envelope(run, now);
    }
    let (error, output, attachments, checks) = match status {
        RunStatus::Success if checks_fail => (
            Value::Null,
            output_data(),
            json!([]),
            json!([pdf_check(ended, false), schema_check(ended)]),
        ),
        RunStatus::Success => (
            Value::Null,
            output_data(),
            json!([new_uuid()]),
            json!([pdf_check(ended, true), schema_check(ended)]),
        ),
        RunStatus::TaskFailed => (
            json!(["Could not find the 'Confirm appointment' button after 3 attempts"]),
            Value::Null,
            json!([]),
            checks_if(checks_fail, ended),
        ),
        RunStatus::Error | RunStatus::Cancelled => (
            json!(["Machine front-desk-vm-1 disconnected during the run"]),
            Value::Null,
            json!([]),
            checks_if(checks_fail, ended),
        ),
    };
    let full = json!({
        "user_id": USER,
        "organization_id": ORG,
        "is_priority": false,
        "error": error,
        "output_data": output,
        "input_attachment_ids": [],
        "output_attachment_ids": attachments,
        "run_message_history": null,
        "input_values": {
            "patient_id": "12345",
            "appointment_date": "2026-12-03",
            "username": "frontdesk01",
        },
        "main_prompt": null,
        "model_metadata": null,
        "pool_ids": [POOL],
        "sensitive_input_aliases": { "password": "5b8e1d3f-9a2c-4e7b-b6d0-3f1a8c5e2d94" },
        "usage_metadata": { "input_tokens": 48213, "output_tokens": 2310, "actions": 17, "cache_hits": 9 },
        "post_run_checks": checks,
        "session_id": null,
        "session_alias": null,
        "release_session_after": null,
        "started_at": time(started),
        "ended_at": time(ended),
    });
    if let (Value::Object(run), Value::Object(full)) = (&mut run, full) {
        run.extend(full);
    }
    envelope(run, now)
}

fn envelope(run: Value, now: DateTime<Utc>) -> Value {
    json!({
        "event_id": new_uuid(),
        "event_type": "run_complete",
        "occurred_at": time(now),
        "run": run,
    })
}

/// A failed "Confirmation PDF saved" check when asked, else none (the checks never ran).
fn checks_if(checks_fail: bool, ended: DateTime<Utc>) -> Value {
    if checks_fail {
        json!([pdf_check(ended, false)])
    } else {
        json!([])
    }
}

fn output_data() -> Value {
    json!({
        "patient_id": "12345",
        "appointment_confirmed": true,
        "confirmation_number": "CNF-88231",
        "appointment": { "date": "2026-12-03", "time": "09:30", "provider": "Dr. Rivera" },
    })
}

/// The `run_attachment_exists` check, passed or failed.
fn pdf_check(ended: DateTime<Utc>, passed: bool) -> Value {
    let (status, error, messages, matched) = if passed {
        (
            "success",
            Value::Null,
            json!(["Found 1 attachment matching ^confirmation_.*\\.pdf$"]),
            json!(["confirmation_CNF-88231.pdf"]),
        )
    } else {
        (
            "failed",
            json!("Expected 1 matching attachment, found 0"),
            json!([]),
            json!([]),
        )
    };
    let mut check = check_base("Confirmation PDF saved", "run_attachment_exists", 0, ended);
    check["description"] = json!("A confirmation PDF must be attached to the run");
    check["file_target_mode"] = json!("regex");
    check["file_name_regex"] = json!("^confirmation_.*\\.pdf$");
    check["expected_match_count"] = json!(1);
    check["status"] = json!(status);
    check["error_message"] = error;
    check["messages"] = messages;
    check["matched_filenames"] = matched;
    check
}

/// The passing `output_data_passes_schema_validation` check.
fn schema_check(ended: DateTime<Utc>) -> Value {
    let mut check = check_base(
        "Output matches schema",
        "output_data_passes_schema_validation",
        1,
        ended,
    );
    check["status"] = json!("success");
    check
}

/// Every key of a post-run check, with nulls where a kind of check has nothing to say.
fn check_base(name: &str, kind: &str, order: i64, ended: DateTime<Utc>) -> Value {
    // Checks run one after another and the run ends with the last one.
    let end = ended - Duration::milliseconds((1 - order).max(0) * 10);
    json!({
        "id": new_uuid(),
        "post_run_check_id": new_uuid(),
        "snapshot_version": 1,
        "name": name,
        "description": null,
        "type": kind,
        "order": order,
        "file_target_mode": null,
        "file_names": null,
        "file_name_regex": null,
        "expected_match_count": null,
        "expected_match_count_ref": null,
        "loop_input": null,
        "loop_item_filename_template": null,
        "allow_missing_attachments": false,
        "check_prompt": null,
        "model": null,
        "started_at": time(end - Duration::milliseconds(287)),
        "ended_at": time(end),
        "status": "pending",
        "error_message": null,
        "messages": [],
        "matched_filenames": null,
    })
}

fn downed_machines(now: DateTime<Utc>) -> Value {
    json!({
        "event_id": new_uuid(),
        "event_type": "downed_machines",
        "occurred_at": time(now),
        "organization_id": ORG,
        "machines": [{
            "machine_id": MACHINE,
            "organization_id": ORG,
            "status": "disconnected",
            "last_seen": time(now - Duration::minutes(5)),
            "reason": "No heartbeat for 5 minutes",
            "name": "front-desk-vm-1",
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [RunStatus; 4] = [
        RunStatus::Success,
        RunStatus::Error,
        RunStatus::TaskFailed,
        RunStatus::Cancelled,
    ];

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/data/cyberdesk/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture exists");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    fn event(template: Template, status: RunStatus, checks_fail: bool) -> Event {
        Event {
            template,
            status,
            checks_fail,
        }
    }

    /// The body as bytes and parsed back, so the test sees what a receiver would.
    fn sent(e: &Event) -> Value {
        let bytes = e.body(Utc::now());
        serde_json::from_slice(&bytes).expect("template renders valid JSON")
    }

    /// Every key of `shape` (recursively through objects) is present in `body`.
    fn has_keys_of(body: &Value, shape: &Value, at: &str) {
        if let Value::Object(map) = shape {
            for (k, v) in map {
                let got = body.get(k).unwrap_or_else(|| panic!("{at}.{k} missing"));
                if !v.is_null() && !got.is_null() {
                    has_keys_of(got, v, &format!("{at}.{k}"));
                }
            }
        }
    }

    #[test]
    fn run_complete_has_the_schema_keys_and_the_asked_status() {
        let minimal = fixture("run_complete.cancelled_minimal.json");
        let mut full = fixture("run_complete.success.json");
        full["run"]["post_run_checks"] = json!([]);
        for status in STATUSES {
            for checks_fail in [false, true] {
                let body = sent(&event(Template::RunComplete, status, checks_fail));
                has_keys_of(&body, &minimal, "");
                if status != RunStatus::Cancelled {
                    has_keys_of(&body, &full, "");
                }
                let run = &body["run"];
                assert_eq!(run["status"], status.as_str());
                let checks = run["post_run_checks"].as_array();
                let failed = checks
                    .into_iter()
                    .flatten()
                    .filter(|c| c["status"] == "failed")
                    .count();
                assert_eq!(failed, usize::from(checks_fail), "{status:?}");
                let check_shape =
                    &fixture("run_complete.success.json")["run"]["post_run_checks"][0];
                for check in checks.into_iter().flatten() {
                    has_keys_of(check, check_shape, "check");
                }
                let errored = matches!(status, RunStatus::Error | RunStatus::TaskFailed);
                assert_eq!(run["error"].is_array(), errored, "{status:?}");
                assert_eq!(run["output_data"].is_object(), status == RunStatus::Success);
            }
        }
    }

    #[test]
    fn ids_and_times_are_fresh() {
        let e = event(Template::RunComplete, RunStatus::Success, false);
        let (a, b) = (sent(&e), sent(&e));
        assert_ne!(a["event_id"], b["event_id"]);
        assert_ne!(a["run"]["id"], b["run"]["id"]);
        let id = a["event_id"].as_str().expect("event_id is a string");
        assert_eq!(
            (id.len(), &id[14..15], id.matches('-').count()),
            (36, "4", 4)
        );
        let occurred = a["occurred_at"].as_str().expect("occurred_at");
        let t = DateTime::parse_from_rfc3339(occurred).expect("RFC 3339");
        assert!((Utc::now() - t.with_timezone(&Utc)).num_seconds().abs() < 5);
        let created = a["run"]["created_at"].as_str().expect("created_at");
        assert!(created < a["run"]["started_at"].as_str().expect("started_at"));
    }

    #[test]
    fn downed_machines_and_ping_follow_their_shapes() {
        let body = sent(&event(Template::DownedMachines, RunStatus::Success, false));
        has_keys_of(&body, &fixture("downed_machines.json"), "");
        has_keys_of(
            &body["machines"][0],
            &fixture("downed_machines.json")["machines"][0],
            "machines[0]",
        );
        assert_eq!(body["event_type"], "downed_machines");
        let ping = sent(&event(Template::Ping, RunStatus::Success, false));
        assert_eq!(
            (&ping["event_type"], &ping["data"]["success"]),
            (&json!("ping"), &json!(true))
        );
    }
}
