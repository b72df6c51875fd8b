use serde_json::{Value, json};

use super::*;

fn learned_from(bodies: &[Value]) -> Learned {
    let mut l = Learned::default();
    let mut path = String::new();
    for b in bodies {
        l.observe(b, true, &mut path);
    }
    l
}

/// How `body` differs from `l`, checked the way a test event is: without learning it.
fn drift_of(l: &Learned, body: &Value) -> Vec<Drift> {
    let mut checked = l.clone();
    let drift = checked.observe(body, false, &mut String::new());
    assert_eq!(&checked, l, "checking an event learns nothing");
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
    let l = learned_from(&vec![order(json!(1)); (MIN_EVENTS - 1) as usize]);
    assert!(drift_of(&l, &json!({"type": 1})).is_empty());
}

#[test]
fn a_missing_field_a_new_one_and_a_type_change_are_each_named_once() {
    let l = learned_from(&vec![order(json!(1)); MIN_EVENTS as usize]);
    let odd = json!({"type": "order.paid", "amount": "1.00", "customer": {"email": "a@b"},
        "lines": [{"sku": "x"}], "refund": {"id": "r", "at": 1}});
    assert_eq!(
        ops(&drift_of(&l, &odd)),
        vec![
            ("/amount", DriftOp::Type, Some("number"), Some("string")),
            ("/customer/id", DriftOp::Missing, Some("string"), None),
            ("/refund", DriftOp::New, None, Some("object")),
        ]
    );
    // A missing object is one finding, not one per field inside it.
    let no_customer = json!({"type": "order.paid", "amount": 2, "lines": []});
    assert_eq!(
        ops(&drift_of(&l, &no_customer)),
        vec![("/customer", DriftOp::Missing, Some("object"), None)]
    );
    // The same shape again is no drift.
    assert!(drift_of(&l, &order(json!(7))).is_empty());
}

#[test]
fn a_field_that_was_not_always_there_is_not_missing() {
    let mut bodies = vec![order(json!(1)); MIN_EVENTS as usize];
    bodies[2]["customer"]
        .as_object_mut()
        .expect("object")
        .remove("email");
    let l = learned_from(&bodies);
    let without = json!({"type": "order.paid", "amount": 1, "customer": {"id": "c"}, "lines": []});
    assert!(
        drift_of(&l, &without).is_empty(),
        "{:?}",
        drift_of(&l, &without)
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
        drift_of(&l, &json!({"brand_new": 1}))
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
    assert!(drift_of(&l, &mixed).is_empty(), "learned now");
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
