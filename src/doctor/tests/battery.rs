//! The battery and its plans: names, bodies, and how hookpit's own verifier judges each twist.

use bytes::Bytes;
use chrono::Utc;
use serde_json::Value;

use crate::doctor::plan::{LARGE_BODY, tamper};
use crate::doctor::scenarios::{BATTERY, BodyKind, Twist, find};
use crate::send::{RunStatus, SendError};
use crate::store::model::Headers;
use crate::verify::{Key, Reason, Status, verify};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn keys() -> Vec<Key> {
    vec![Key::parse(None, SECRET).expect("test key")]
}

/// hookpit's verdict on the first delivery of `name`, made now.
fn judged(name: &str) -> (Status, Option<Reason>, Headers) {
    let plan = find(name)
        .expect("scenario")
        .plan(&keys(), Utc::now())
        .expect("plan");
    let now = Utc::now().timestamp();
    let headers = plan.headers(now);
    let v = verify(&headers, plan.body(), &keys(), now);
    (v.status, v.reason, headers)
}

#[test]
fn battery_names_are_unique_and_complete() {
    let mut names: Vec<&str> = BATTERY.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 19);
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 19);
    assert_eq!(find("duplicate").map(|s| s.deliveries), Some(2));
    assert_eq!(find("retried_run").map(|s| s.deliveries), Some(4));
}

#[test]
fn each_twist_is_judged_as_intended_by_hookpits_verifier() {
    use Status::*;
    for s in BATTERY {
        let (status, reason, headers) = judged(s.name);
        let wanted = match s.twist {
            Twist::None | Twist::Rotation | Twist::WebhookHeaders | Twist::RetriedRun => {
                (Valid, None)
            }
            Twist::TamperedBody | Twist::WrongSecret => (Invalid, Some(Reason::SignatureMismatch)),
            Twist::NoSignature => (Invalid, Some(Reason::MissingHeader)),
            Twist::MalformedSignature => (Invalid, Some(Reason::MalformedSignature)),
            Twist::Shifted(by) if by < 0 => (Invalid, Some(Reason::TimestampTooOld)),
            Twist::Shifted(_) => (Invalid, Some(Reason::TimestampTooNew)),
        };
        assert_eq!((status, reason), wanted, "{}", s.name);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(&names[..2], ["user-agent", "content-type"], "{}", s.name);
        let family = if s.twist == Twist::WebhookHeaders {
            "webhook-"
        } else {
            "svix-"
        };
        assert!(
            names[2..].iter().all(|n| n.starts_with(family)),
            "{names:?}"
        );
    }
    let (_, _, rotated) = judged("rotation");
    let sig = String::from_utf8_lossy(&rotated[4].1).into_owned();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
}

#[test]
fn bodies_are_the_json_they_claim() {
    let now = Utc::now();
    let parse = |b: &Bytes| serde_json::from_slice::<Value>(b).expect("valid JSON");
    let compact = BodyKind::Compact(RunStatus::Success, false).render(now);
    let pretty = BodyKind::Pretty.render(now);
    assert!(pretty.contains(&b'\n') && !compact.contains(&b'\n'));
    assert_eq!(parse(&pretty)["run"]["status"], "success");
    let unicode = BodyKind::Unicode.render(now);
    let name = parse(&unicode)["run"]["input_values"]["patient_name"].clone();
    let name = name.as_str().expect("a string");
    assert!(name.contains("café") && name.contains('\u{2028}') && name.contains('é'));
    assert_eq!(name.matches('\u{2028}').count(), 2, "raw and escaped");
    let text = std::str::from_utf8(&unicode).expect("UTF-8");
    assert!(text.contains("\\u00e9") && text.contains('🩺'));
    let reserialized = serde_json::to_vec(&parse(&unicode)).expect("serializes");
    assert_ne!(reserialized, unicode.to_vec());
    let large = BodyKind::Large.render(now);
    assert_eq!(large.len(), LARGE_BODY);
    assert_eq!(parse(&large)["event_type"], "run_complete");
    let failed = BodyKind::Compact(RunStatus::TaskFailed, true).render(now);
    assert_eq!(
        parse(&failed)["run"]["post_run_checks"][0]["status"],
        "failed"
    );
    let tampered = tamper(&compact);
    let diff = compact.iter().zip(tampered.iter()).filter(|(a, b)| a != b);
    assert_eq!((diff.count(), tampered.len()), (1, compact.len()));
    parse(&tampered);
}

#[test]
fn a_retried_run_comes_under_a_new_message_id_with_the_same_run() {
    let plan = find("retried_run")
        .expect("scenario")
        .plan(&keys(), Utc::now())
        .expect("plan");
    let target: http::Uri = "http://app/hooks".parse().expect("uri");
    let now = Utc::now().timestamp();
    let sent: Vec<(Headers, Bytes)> = (0..4).map(|i| plan.delivery(i, 4, &target, now)).collect();
    let id = |h: &Headers| h.get_str("svix-id").expect("svix-id").to_string();
    let body = |b: &Bytes| serde_json::from_slice::<Value>(b).expect("JSON");
    let run_id = body(&sent[0].1)["run"]["id"]
        .as_str()
        .expect("run.id")
        .to_string();
    assert_eq!(id(&sent[0].0), run_id, "the run's message id is its run id");
    assert_eq!(
        (id(&sent[1].0), id(&sent[2].0)),
        (run_id.clone(), run_id.clone())
    );
    assert_eq!(sent[1].1, sent[0].1, "a repeat is the same message");
    let retried_id = id(&sent[3].0);
    let suffix = retried_id
        .strip_prefix(&format!("{run_id}_"))
        .expect("<run_id>_<ms>");
    assert!(
        suffix.len() == 13 && suffix.bytes().all(|b| b.is_ascii_digit()),
        "{retried_id}"
    );
    let (first, again) = (body(&sent[0].1), body(&sent[3].1));
    assert_eq!(again["run"]["id"], first["run"]["id"]);
    assert_eq!(
        (
            first["run"]["status"].as_str(),
            again["run"]["status"].as_str()
        ),
        (Some("task_failed"), Some("success"))
    );
    assert_ne!(again["event_id"], first["event_id"]);
    for (headers, b) in &sent {
        let v = verify(headers, b, &keys(), now);
        assert_eq!(v.status, Status::Valid);
    }
}

#[test]
fn plans_need_a_key_that_signs() {
    let public =
        Key::parse(None, "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=").expect("public key");
    for s in BATTERY {
        let err = s.plan(std::slice::from_ref(&public), Utc::now());
        assert_eq!(err.err(), Some(SendError::NoSigningKey), "{}", s.name);
    }
}
