//! The structural JSON diff: objects key by key, arrays position by position, anything else
//! (or a change of type) as one change with both values. Paths are JSON Pointers (RFC 6901).

use serde_json::Value;

use super::{Change, Op};

/// Every difference between two JSON documents: an object's keys in name order (those only `b`
/// has after the others), an array's items by index. The same value is no change; `1` and
/// `1.0` are different numbers.
pub fn json_changes(a: &Value, b: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(&mut String::new(), a, b, &mut out);
    out
}

fn walk(path: &mut String, a: &Value, b: &Value, out: &mut Vec<Change>) {
    match (a, b) {
        (Value::Object(oa), Value::Object(ob)) => {
            for (k, va) in oa {
                let len = push_token(path, k);
                match ob.get(k) {
                    Some(vb) => walk(path, va, vb, out),
                    None => out.push(removed(path, va)),
                }
                path.truncate(len);
            }
            for (k, vb) in ob.iter().filter(|(k, _)| !oa.contains_key(*k)) {
                let len = push_token(path, k);
                out.push(added(path, vb));
                path.truncate(len);
            }
        }
        (Value::Array(xa), Value::Array(xb)) => {
            for i in 0..xa.len().max(xb.len()) {
                let len = push_token(path, &i.to_string());
                match (xa.get(i), xb.get(i)) {
                    (Some(va), Some(vb)) => walk(path, va, vb, out),
                    (Some(va), None) => out.push(removed(path, va)),
                    (None, Some(vb)) => out.push(added(path, vb)),
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        _ if a != b => out.push(Change {
            path: path.clone(),
            op: Op::Change,
            a: Some(a.clone()),
            b: Some(b.clone()),
        }),
        _ => {}
    }
}

/// Appends `/token` escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`); returns the length to
/// truncate back to.
fn push_token(path: &mut String, token: &str) -> usize {
    let len = path.len();
    path.push('/');
    for c in token.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
    len
}

fn removed(path: &str, v: &Value) -> Change {
    Change {
        path: path.to_string(),
        op: Op::Remove,
        a: Some(v.clone()),
        b: None,
    }
}

fn added(path: &str, v: &Value) -> Change {
    Change {
        path: path.to_string(),
        op: Op::Add,
        a: None,
        b: Some(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(a: Value, b: Value) -> Vec<(String, Op)> {
        json_changes(&a, &b)
            .into_iter()
            .map(|c| (c.path, c.op))
            .collect()
    }

    #[test]
    fn a_changed_nested_value_is_one_change_with_both_values() {
        let a = json!({"event_type": "run_complete", "run": {"status": "success", "id": "r1"}});
        let b = json!({"event_type": "run_complete", "run": {"status": "task_failed", "id": "r1"}});
        let d = json_changes(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "/run/status");
        assert_eq!(d[0].op, Op::Change);
        assert_eq!(d[0].a, Some(json!("success")));
        assert_eq!(d[0].b, Some(json!("task_failed")));
    }

    #[test]
    fn added_and_removed_keys_carry_their_one_value() {
        let d = json_changes(
            &json!({"gone": [1], "kept": 1}),
            &json!({"kept": 1, "new": {"x": null}}),
        );
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].path.as_str(), d[0].op), ("/gone", Op::Remove));
        assert_eq!((d[0].a.clone(), d[0].b.clone()), (Some(json!([1])), None));
        assert_eq!((d[1].path.as_str(), d[1].op), ("/new", Op::Add));
        assert_eq!(
            (d[1].a.clone(), d[1].b.clone()),
            (None, Some(json!({"x": null})))
        );
    }

    #[test]
    fn arrays_are_compared_by_position() {
        assert_eq!(
            ops(json!([1, 2, 3]), json!([1, 3])),
            vec![("/1".into(), Op::Change), ("/2".into(), Op::Remove)]
        );
        assert_eq!(
            ops(json!({"l": []}), json!({"l": ["x"]})),
            vec![("/l/0".into(), Op::Add)]
        );
    }

    #[test]
    fn a_change_of_type_or_of_the_root_is_a_change() {
        assert_eq!(
            ops(json!({"n": 1}), json!({"n": "1"})),
            vec![("/n".into(), Op::Change)]
        );
        assert_eq!(
            ops(json!([1]), json!({"0": 1})),
            vec![("".into(), Op::Change)]
        );
        assert_eq!(ops(json!(1), json!(1.0)), vec![("".into(), Op::Change)]);
        assert!(
            json_changes(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 2}]})).is_empty()
        );
    }

    #[test]
    fn keys_with_slash_and_tilde_are_escaped_as_rfc_6901_says() {
        assert_eq!(
            ops(json!({"a/b": {"~c": 1}}), json!({"a/b": {"~c": 2}})),
            vec![("/a~1b/~0c".into(), Op::Change)]
        );
    }
}
