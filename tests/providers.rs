//! Every provider in the registry, through its public face: what hookpit signs for it verifies,
//! detection finds it from the headers alone, a tampered body or a wrong key is `invalid` with
//! `signature_mismatch`, an old timestamp is judged with the provider's own tolerance, and a key
//! bound to another provider is never tried.

use hookpit::headers::Headers;
use hookpit::verify::{
    Key, Outgoing, Provider, Reason, Request, Scheme, Status, Verdict, new_key_for, registry,
    verify_request,
};

const NOW: i64 = 1_768_471_200;
const URL: &str = "http://127.0.0.1:8080/hooks/in?x=1";

/// A signing key and the key that verifies it, for `p`'s algorithm.
fn keys(p: &Provider) -> (Key, Key) {
    let (sign, verify) = new_key_for(p);
    let parse = |s: &str| Key::parse(Some(p.name), s).expect("key parses");
    (parse(&sign), parse(&verify))
}

/// The provider's sample, signed at `at` by `key`.
fn signed(p: &Provider, key: &Key, at: i64) -> Outgoing {
    let mut headers = Headers::default();
    headers.set("Host", "127.0.0.1:8080");
    headers.set("Content-Type", p.sample.content_type);
    for (name, value) in p.sample.headers {
        headers.set(name, *value);
    }
    let mut out = Outgoing {
        method: "POST".into(),
        url: URL.into(),
        headers,
        body: p.sample.body.as_bytes().to_vec(),
    };
    p.sign(&mut out, std::slice::from_ref(key), at)
        .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    out
}

/// Verifies `out` as received at `now`, detected from its headers unless `pin` names one.
fn check(out: &Outgoing, body: &[u8], keys: &[Key], now: i64, pin: Option<&str>) -> Verdict {
    let req = Request {
        method: &out.method,
        path: "/hooks/in",
        query: Some("x=1"),
        headers: &out.headers,
        body,
        base: None,
    };
    verify_request(&req, keys, now, pin)
}

#[test]
fn every_provider_verifies_what_it_signs_and_is_detected_by_its_headers() {
    for p in registry::ALL {
        let (signer, verifier) = keys(p);
        let out = signed(p, &signer, NOW);
        let v = check(
            &out,
            &out.body,
            std::slice::from_ref(&verifier),
            NOW + 1,
            None,
        );
        assert_eq!(v.provider.as_deref(), Some(p.name), "{}: {v:?}", p.name);
        assert_eq!(v.status, Status::Valid, "{}: {}", p.name, v.message);
        assert_eq!(v.matched_key.as_deref(), Some(p.name), "{}", p.name);
        assert_eq!(v.signature_ok, Some(true), "{}", p.name);
        let judged = p.tolerance_s.is_some();
        assert_eq!(v.timestamp_ok, judged.then_some(true), "{}: {v:?}", p.name);
    }
}

#[test]
fn a_wrong_key_or_a_tampered_body_is_a_signature_mismatch() {
    // Mailgun signs a token in the body, GitLab and Postmark send a secret: the body is not
    // covered, so only the wrong key applies to them.
    let body_unsigned = ["mailgun", "gitlab", "postmark"];
    for p in registry::ALL {
        let (signer, _) = keys(p);
        let out = signed(p, &signer, NOW);
        let (_, wrong) = keys(p);
        let v = check(&out, &out.body, &[wrong], NOW, None);
        assert_eq!(v.status, Status::Invalid, "{}: {}", p.name, v.message);
        assert_eq!(v.reason, Some(Reason::SignatureMismatch), "{}", p.name);
        assert_eq!(v.signature_ok, Some(false), "{}", p.name);
        if body_unsigned.contains(&p.name) {
            continue;
        }
        let (signer, verifier) = keys(p);
        let out = signed(p, &signer, NOW);
        // The first lower-case letter upper-cased: still JSON (or a form), one byte changed.
        let mut tampered = out.body.clone();
        let at = (tampered.iter().position(u8::is_ascii_lowercase)).expect("a letter");
        tampered[at] = tampered[at].to_ascii_uppercase();
        let v = check(&out, &tampered, &[verifier], NOW, None);
        assert_eq!(
            v.reason,
            Some(Reason::SignatureMismatch),
            "{}: {v:?}",
            p.name
        );
        // The three first schemes keep their own sentences; every other speaks its own terms.
        if !["standard", "stripe", "github"].contains(&p.name) {
            assert!(v.message.contains(p.title), "{}: {}", p.name, v.message);
        }
    }
}

#[test]
fn each_provider_judges_time_with_its_own_tolerance() {
    for p in registry::ALL {
        let Some(limit) = p.tolerance_s else { continue };
        let (signer, verifier) = keys(p);
        let out = signed(p, &signer, NOW);
        let keys = std::slice::from_ref(&verifier);
        let edge = check(&out, &out.body, keys, NOW + limit, None);
        assert_eq!(edge.status, Status::Valid, "{}: {}", p.name, edge.message);
        let late = check(&out, &out.body, keys, NOW + limit + 1, None);
        assert_eq!(late.reason, Some(Reason::TimestampTooOld), "{}", p.name);
        assert_eq!(late.signature_ok, Some(true), "{}", p.name);
        assert_eq!(late.skew_s, Some(limit + 1), "{}", p.name);
        // Ahead of the receive time: refused only by the providers whose verifiers refuse it.
        let early = check(&out, &out.body, keys, NOW - limit - 1, None);
        let expected = p.rejects_future.then_some(Reason::TimestampTooNew);
        assert_eq!(early.reason, expected, "{}: {}", p.name, early.message);
    }
}

#[test]
fn a_key_bound_to_another_provider_is_not_tried_and_a_pin_overrides_detection() {
    let shopify = registry::find("shopify").expect("shopify");
    let (signer, _) = keys(shopify);
    let out = signed(shopify, &signer, NOW);
    let secret = signer.pasted();
    let bound_elsewhere = Key::parse(None, &format!("slack:{secret}")).expect("bound");
    assert_eq!(bound_elsewhere.provider(), Some("slack"));
    let v = check(&out, &out.body, &[bound_elsewhere], NOW, None);
    assert_eq!(v.status, Status::Unverified, "{}", v.message);
    let bound = Key::parse(Some("shop"), &format!("shopify:{secret}")).expect("bound");
    let v = check(&out, &out.body, std::slice::from_ref(&bound), NOW, None);
    assert_eq!(v.status, Status::Valid, "{}", v.message);
    // Pinned to Slack, a Shopify webhook lacks Slack's headers.
    let v = check(&out, &out.body, &[bound], NOW, Some("slack"));
    assert_eq!(
        (v.provider.as_deref(), v.reason),
        (Some("slack"), Some(Reason::MissingHeader))
    );
    assert_eq!(
        v.message,
        "The X-Slack-Signature header is missing, so Slack's signature cannot be checked."
    );
}

#[test]
fn a_mismatch_is_explained_in_the_providers_terms() {
    let shopify = registry::find("shopify").expect("shopify");
    let stripe_secret = "whsec_5e8f3b2a9c1d4e6f7a8b9c0d1e2f3a4b";
    let mut out = signed(
        shopify,
        &Key::parse(None, "the-real-client-secret").expect("key"),
        NOW,
    );
    // A hex HMAC where Shopify writes base64, and a Stripe secret configured.
    out.headers.set(
        "X-Shopify-Hmac-Sha256",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    );
    let key = Key::parse(Some("prod"), stripe_secret).expect("key");
    let v = check(&out, &out.body, &[key], NOW, None);
    assert_eq!(v.reason, Some(Reason::SignatureMismatch));
    assert_eq!(
        v.message,
        "Signature does not match the configured key \"prod\": Shopify signs the raw body with \
         the app's client secret, base64; the content changed, or the key is wrong: this header \
         is hex, not base64. Key \"prod\" is a whsec_ secret, the form Stripe and Svix use: is \
         this a Stripe secret rather than the app's client secret?"
    );
}

#[test]
fn token_and_basic_providers_say_so_in_the_scheme() {
    for (name, scheme) in [("gitlab", Scheme::Token), ("postmark", Scheme::Basic)] {
        let p = registry::find(name).expect("registered");
        let (signer, verifier) = keys(p);
        let out = signed(p, &signer, NOW);
        let v = check(&out, &out.body, &[verifier], NOW, None);
        assert_eq!(
            (v.scheme, v.status),
            (Some(scheme), Status::Valid),
            "{name}"
        );
        let json = serde_json::to_value(&v).expect("serializes");
        assert_eq!(json["scheme"], scheme.as_str());
    }
}

#[test]
fn the_readme_table_lists_every_provider_with_its_tolerance() {
    let readme = include_str!("../README.md");
    for p in registry::ALL {
        let row = (readme.lines())
            .find(|l| l.starts_with(&format!("| `{}` |", p.name)))
            .unwrap_or_else(|| panic!("README has no row for {}", p.name));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], p.title, "{row}");
        let tolerance = match (p.tolerance_s, p.rejects_future) {
            (None, _) => "—".to_string(),
            (Some(t), true) => format!("{t} s"),
            (Some(t), false) => format!("{t} s, old only"),
        };
        assert_eq!(cells[5], tolerance, "{row}");
    }
}
