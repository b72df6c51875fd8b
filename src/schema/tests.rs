use serde_json::{Value, json};

use super::*;

fn bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).expect("json")
}

/// Learned from `bodies` as the learner does (as bytes, a repeated shape recognised), and
/// settled; the same as walking every one of them.
fn learned_from(bodies: &[Value]) -> Learned {
    let (mut l, mut walked) = (Learned::default(), Learned::default());
    let mut scratch = Scratch::default();
    for b in bodies {
        let drift = l.observe_json(&bytes(b), true, &mut scratch).expect("json");
        assert_eq!(drift, walked.observe(b, true, &mut String::new()));
    }
    l.settle();
    assert_eq!(l, walked);
    l
}

/// How `body` differs from `l`, checked the way a test event is: without learning it. Asked
/// of `l` itself (which may know the body's shape) and of a copy that knows no shape (which
/// walks it): both say the same.
fn drift_of(l: &mut Learned, body: &Value) -> Vec<Drift> {
    let before = l.clone();
    let drift = l
        .observe_json(&bytes(body), false, &mut Scratch::default())
        .expect("json");
    assert_eq!(&before, l, "checking an event learns nothing");
    let mut walked = before.clone();
    assert_eq!(walked.observe(body, false, &mut String::new()), drift);
    drift
}

fn order(amount: Value) -> Value {
    json!({"type": "order.paid", "amount": amount, "customer": {"id": "c_1", "email": "a@b"}, "lines": [{"sku": "x"}]})
}

fn ops(d: &[Drift]) -> Vec<(&str, DriftOp, Option<&str>, Option<&str>)> {
    d.iter()
        .map(|d| (d.path.as_str(), d.op, d.was.as_deref(), d.now.as_deref()))
        .collect()
}

#[test]
fn counts_how_often_each_path_is_there_with_types_and_an_example() {
    let mut bodies: Vec<Value> = (0..4).map(|n| order(json!(n))).collect();
    bodies.push(json!({"type": "order.paid", "amount": null, "note": "first"}));
    let l = learned_from(&bodies);
    assert_eq!(l.events, 5);
    let amount = &l.fields["/amount"];
    assert_eq!((amount.seen, amount.example.clone()), (5, json!(0)));
    assert_eq!(
        amount.types.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["null", "number"]
    );
    assert_eq!(l.fields["/customer/id"].seen, 4);
    assert_eq!(l.fields["/note"].seen, 1);
    assert_eq!(l.fields["/lines/*/sku"].example, json!("x"));
}

#[test]
fn nothing_drifts_before_the_kind_has_enough_events() {
    let mut l = learned_from(&vec![order(json!(1)); (MIN_EVENTS - 1) as usize]);
    assert!(drift_of(&mut l, &json!({"type": 1})).is_empty());
}

#[test]
fn a_missing_field_a_new_one_and_a_type_change_are_each_named_once() {
    let mut l = learned_from(&vec![order(json!(1)); MIN_EVENTS as usize]);
    let odd = json!({"type": "order.paid", "amount": "1.00", "customer": {"email": "a@b"},
        "lines": [{"sku": "x"}], "refund": {"id": "r", "at": 1}});
    assert_eq!(
        ops(&drift_of(&mut l, &odd)),
        vec![
            ("/amount", DriftOp::Type, Some("number"), Some("string")),
            ("/customer/id", DriftOp::Missing, Some("string"), None),
            ("/refund", DriftOp::New, None, Some("object")),
        ]
    );
    // A missing object is one finding, not one per field inside it.
    let no_customer = json!({"type": "order.paid", "amount": 2, "lines": []});
    assert_eq!(
        ops(&drift_of(&mut l, &no_customer)),
        vec![("/customer", DriftOp::Missing, Some("object"), None)]
    );
    // The same shape again is no drift.
    assert!(drift_of(&mut l, &order(json!(7))).is_empty());
}

#[test]
fn a_field_that_was_not_always_there_is_not_missing() {
    let mut bodies = vec![order(json!(1)); MIN_EVENTS as usize];
    bodies[2]["customer"]
        .as_object_mut()
        .expect("object")
        .remove("email");
    let mut l = learned_from(&bodies);
    let without = json!({"type": "order.paid", "amount": 1, "customer": {"id": "c"}, "lines": []});
    assert!(
        drift_of(&mut l, &without).is_empty(),
        "{:?}",
        drift_of(&mut l, &without)
    );
}

#[test]
fn fields_stop_being_learned_past_the_limit() {
    let mut l = Learned::default();
    for n in 0..(MAX_FIELDS + 10) {
        l.observe(&json!({ format!("k{n}"): 1 }), true, &mut String::new());
    }
    assert_eq!(l.fields.len(), MAX_FIELDS);
    assert!(
        drift_of(&mut l, &json!({"brand_new": 1}))
            .iter()
            .all(|d| d.op != DriftOp::New)
    );
}

#[test]
fn the_json_schema_nests_properties_items_and_required() {
    let mut bodies: Vec<Value> = (0..3).map(|n| order(json!(n))).collect();
    bodies.push(json!({"type": "order.paid", "amount": 1.5, "lines": [], "a/b": true}));
    let s = json_schema(&learned_from(&bodies), "order.paid on /shop");
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["title"], "order.paid on /shop");
    assert_eq!(s["type"], "object");
    assert_eq!(s["required"], json!(["amount", "lines", "type"]));
    assert_eq!(
        s["properties"]["customer"]["required"],
        json!(["email", "id"])
    );
    assert_eq!(
        s["properties"]["lines"]["items"]["properties"]["sku"]["type"],
        "string"
    );
    assert_eq!(s["properties"]["a/b"]["type"], "boolean");
    assert_eq!(s["properties"]["amount"]["examples"], json!([0]));
}

#[test]
fn array_items_count_once_and_every_new_type_is_named() {
    let mut l = learned_from(&vec![json!({"ids": [1, 2, 3]}); MIN_EVENTS as usize]);
    assert_eq!(
        l.fields["/ids/*"].seen, MIN_EVENTS,
        "once per event, not per item"
    );
    let mixed = json!({"ids": [1, "two", null]});
    assert_eq!(
        ops(&l.observe(&mixed, true, &mut String::new())),
        vec![(
            "/ids/*",
            DriftOp::Type,
            Some("number"),
            Some("null|number|string")
        )]
    );
    assert_eq!(l.events, MIN_EVENTS + 1);
    assert!(drift_of(&mut l, &mixed).is_empty(), "learned now");
}

#[test]
fn a_new_object_is_one_finding_and_its_fields_are_learned() {
    let mut l = learned_from(&vec![json!({"a": 1}); MIN_EVENTS as usize]);
    let with_refund = json!({"a": 1, "refund": {"id": "r", "at": [1]}});
    assert_eq!(
        ops(&l.observe(&with_refund, true, &mut String::new())),
        vec![("/refund", DriftOp::New, None, Some("object"))]
    );
    assert_eq!(l.fields["/refund/at/*"].seen, 1);
    assert_eq!(l.fields["/refund/id"].example, json!("r"));
    assert_eq!(l.fields[""].seen, MIN_EVENTS + 1);
}

#[test]
fn a_known_shape_is_not_walked_and_a_new_field_or_type_is_still_seen() {
    let mut l = learned_from(&vec![order(json!(1)); MIN_EVENTS as usize]);
    assert_eq!(l.shapes.len(), 1, "one shape learned");
    let mut scratch = Scratch::default();
    // Same shape, other values: counted without a walk, no drift.
    let walks = l.walks;
    let same = bytes(&order(json!(99)));
    assert_eq!(l.observe_json(&same, true, &mut scratch), Some(Vec::new()));
    assert_eq!(l.walks, walks, "a known shape is not walked");
    assert_eq!((l.events, l.pending), (MIN_EVENTS + 1, 1));
    // A new field and a changed type, right after that hit: walked, and both named.
    let mut odd = order(json!("1.00"));
    odd["refund"] = json!({"id": "r"});
    assert_eq!(
        ops(&l
            .observe_json(&bytes(&odd), true, &mut scratch)
            .expect("json")),
        vec![
            ("/amount", DriftOp::Type, Some("number"), Some("string")),
            ("/refund", DriftOp::New, None, Some("object")),
        ]
    );
    assert_eq!(l.walks, walks + 1);
    // The count of the hit was in place before that walk judged, and is after it.
    assert_eq!(l.pending, 0);
    assert_eq!(l.fields()["/customer/id"].seen, MIN_EVENTS + 2);
    // The odd shape is learned and known now: the same again is no drift and no walk.
    assert_eq!(
        l.observe_json(&bytes(&odd), true, &mut scratch),
        Some(Vec::new())
    );
    assert_eq!(l.walks, walks + 1);
    // A field missing from a known shape is still missing the first time it is seen.
    let mut fewer = order(json!(1));
    fewer.as_object_mut().expect("object").remove("lines");
    assert_eq!(
        ops(&l
            .observe_json(&bytes(&fewer), false, &mut scratch)
            .expect("json")),
        vec![("/lines", DriftOp::Missing, Some("array"), None)]
    );
    l.settle();
    assert_eq!(l.fields()[""].seen, MIN_EVENTS + 3);
    assert_eq!(l.fields()["/refund/id"].seen, 2);
    assert_eq!(l.observe_json(b"not json", true, &mut scratch), None);
}

mod same_as_a_walk {
    use super::*;
    use proptest::prelude::*;

    /// Bodies of a few shapes, often repeated: optional fields, types that change, arrays of
    /// mixed items.
    fn body() -> impl Strategy<Value = Value> {
        let scalar = prop_oneof![
            Just(json!(null)),
            Just(json!(true)),
            (0..3i64).prop_map(|n| json!(n)),
            Just(json!("s")),
        ];
        let item = prop_oneof![
            Just(json!({"k": 1})),
            Just(json!({"j": "x"})),
            Just(json!(2)),
        ];
        (
            scalar,
            proptest::option::of(prop_oneof![Just(json!({"c": 1})), Just(json!({"c": "1"}))]),
            proptest::collection::vec(item, 0..4),
            any::<bool>(),
        )
            .prop_map(|(a, b, arr, n)| {
                let mut v = json!({"a": a, "arr": arr});
                if let Some(b) = b {
                    v["b"] = b;
                }
                if n {
                    v["n"] = json!({"deep": [1]});
                }
                v
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the order of bodies and which of them are only checked, learning by shape
        /// finds the same drift for each and ends with the same counts as walking each one.
        #[test]
        fn learning_by_shape_equals_walking(
            seq in proptest::collection::vec((body(), any::<bool>()), 1..40)
        ) {
            let (mut l, mut walked) = (Learned::default(), Learned::default());
            let mut scratch = Scratch::default();
            for (b, learn) in &seq {
                let fast = l.observe_json(&bytes(b), *learn, &mut scratch).expect("json");
                let slow = walked.observe(b, *learn, &mut String::new());
                prop_assert_eq!(fast, slow, "{}", b);
            }
            l.settle();
            prop_assert_eq!(l, walked);
        }
    }
}
