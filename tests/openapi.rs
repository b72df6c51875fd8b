//! `GET /api/openapi.json` describes the API as it is: every route of the one route table
//! (read from its source, so a new arm without a description fails here) is in the document,
//! and real answers of the main routes match the document's schemas.

mod common;

use common::*;
use serde_json::Value;

/// `(METHOD, /api/path/{})` of every arm of the route table's `match`, parameters as `{}`.
fn route_table() -> Vec<(String, String)> {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/server/routes.rs"))
            .expect("routes.rs");
    let mut routes = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("(&Method::") else {
            continue;
        };
        let Some((method, rest)) = rest.split_once(", [\"api\"") else {
            continue;
        };
        let Some((segments, _)) = rest.split_once("])") else {
            continue;
        };
        let mut path = String::from("/api");
        for segment in segments.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if segment == ".." {
                continue;
            }
            path.push('/');
            match segment.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(literal) => path.push_str(literal),
                None => path.push_str("{}"),
            }
        }
        for method in method.split(" | &Method::") {
            routes.push((method.to_ascii_lowercase(), path.clone()));
        }
    }
    routes
}

/// The document's paths with parameter names dropped (`{id}` → `{}`).
fn documented(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let mut normal = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    normal.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => normal.push(c),
                _ => {}
            }
        }
        for method in item.as_object().expect("path item").keys() {
            ops.push((method.clone(), normal.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn every_route_of_the_table_is_documented() {
    let t = spawn_app(&[]).await;
    let resp = ui_request(&t, "GET", "/api/openapi.json", &[], b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let doc = resp.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let table = route_table();
    // The reader of the table found the table (a change of its shape must not pass silently).
    assert!(
        table.len() >= 25,
        "only {} routes read: {table:?}",
        table.len()
    );
    assert!(table.contains(&("get".into(), "/api/events/{}".into())));
    let ops = documented(&doc);
    let missing: Vec<_> = table.iter().filter(|r| !ops.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    let unserved: Vec<_> = ops.iter().filter(|r| !table.contains(r)).collect();
    assert!(
        unserved.is_empty(),
        "openapi.json describes routes the table does not serve: {unserved:?}"
    );
    // Every reference resolves.
    let text = resp.body.clone();
    let text = String::from_utf8(text).expect("utf8");
    for piece in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().expect("name");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "unresolved $ref {name}"
        );
    }
    t.stop().await;
}

/// A small JSON Schema check for the keywords the document uses; returns what does not hold.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], value, at, errors);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            check(doc, s, value, at, errors);
        }
    }
    if let Some(any) = schema["anyOf"].as_array() {
        let fits = any.iter().any(|s| {
            let mut e = Vec::new();
            check(doc, s, value, at, &mut e);
            e.is_empty()
        });
        if !fits {
            errors.push(format!("{at}: {value} fits none of {schema}"));
        }
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        errors.push(format!("{at}: {value} is not {c}"));
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    let fits_type = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("null") => value.is_null(),
        Some(other) => panic!("unknown type {other}"),
    };
    if !fits_type {
        errors.push(format!("{at}: {value} is not {}", schema["type"]));
        return;
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().expect("name");
            if !object.contains_key(name) {
                errors.push(format!("{at}: lacks {name}"));
            }
        }
        let props = schema["properties"].as_object();
        for (k, v) in object {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, v, &format!("{at}.{k}"), errors),
                None if schema["additionalProperties"] == false => {
                    errors.push(format!("{at}: {k} is not allowed"))
                }
                None => {}
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = schema["minItems"].as_u64()
            && (items.len() as u64) < min
        {
            errors.push(format!("{at}: fewer than {min} items"));
        }
        if let Some(max) = schema["maxItems"].as_u64()
            && (items.len() as u64) > max
        {
            errors.push(format!("{at}: more than {max} items"));
        }
        if schema.get("items").is_some() {
            for (i, v) in items.iter().enumerate() {
                check(doc, &schema["items"], v, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

/// Checks an answer of `method path` against the document's schema for its status.
fn conforms(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let response = &op["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path}: status {status} is not documented"
    );
    let schema = &response["content"]["application/json"]["schema"];
    let mut errors = Vec::new();
    check(doc, schema, body, "$", &mut errors);
    assert!(errors.is_empty(), "{method} {path} {status}: {errors:#?}");
}

#[test]
fn the_checker_finds_what_does_not_fit() {
    let doc: Value = serde_json::from_str(include_str!("../src/server/openapi.json")).expect("doc");
    let summary = serde_json::json!({"$ref": "#/components/schemas/Summary"});
    let mut errors = Vec::new();
    check(
        &doc,
        &summary,
        &serde_json::json!({"id": "1"}),
        "$",
        &mut errors,
    );
    assert!(
        errors.iter().any(|e| e.contains("lacks received_at")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("$.id")), "{errors:?}");
}

#[tokio::test]
async fn answers_of_the_main_routes_match_their_schemas() {
    const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
    let doc: Value = serde_json::from_str(include_str!("../src/server/openapi.json")).expect("doc");
    let t = spawn_app(&["--secret", SECRET]).await;
    let body = br#"{"type":"run_complete","run":{"id":"r1","status":"success"}}"#;
    let signed = svix_headers(SECRET, "msg_1", chrono::Utc::now().timestamp(), body);
    let id = capture_post(&t, "/cyberdesk?a=1", &as_refs(&signed), body).await;
    capture_post(&t, "/bin", &[], &[0xff, 0x00]).await;

    conforms(
        &doc,
        "/api/events",
        "get",
        200,
        &get_json(&t, "/api/events").await,
    );
    let detail = get_json(&t, &format!("/api/events/{id}")).await;
    conforms(&doc, "/api/events/{id}", "get", 200, &detail);
    conforms(
        &doc,
        "/api/status",
        "get",
        200,
        &get_json(&t, "/api/status").await,
    );
    conforms(
        &doc,
        "/api/keys",
        "get",
        200,
        &get_json(&t, "/api/keys").await,
    );
    let verify = ui_request(&t, "POST", &format!("/api/events/{id}/verify"), &[], b"").await;
    conforms(
        &doc,
        "/api/events/{id}/verify",
        "post",
        verify.status,
        &verify.json(),
    );
    let replay = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &serde_json::json!({}),
    )
    .await;
    conforms(
        &doc,
        "/api/events/{id}/replay",
        "post",
        replay.status,
        &replay.json(),
    );
    let timeline = get_json(&t, "/api/messages/msg_1").await;
    conforms(&doc, "/api/messages/{msg_id}", "get", 200, &timeline);
    let run = get_json(&t, "/api/runs/r1").await;
    conforms(&doc, "/api/runs/{run_id}", "get", 200, &run);
    let run = br#"{"event_type":"run_complete","run":{"id":"r2","status":"task_failed","session_id":"s1","started_at":"2026-11-26T18:40:03Z","ended_at":"2026-11-26T18:42:12Z","post_run_checks":[{"name":"PDF","status":"failed"}]}}"#;
    capture_post(&t, "/cyberdesk", &[], run).await;
    let sessions = get_json(&t, "/api/sessions").await;
    conforms(&doc, "/api/sessions", "get", 200, &sessions);
    let expected = ui_request(
        &t,
        "PUT",
        "/api/sessions/s1/expected",
        &[],
        br#"{"run_ids":["r1","r2","r3"]}"#,
    )
    .await;
    conforms(
        &doc,
        "/api/sessions/{session_id}/expected",
        "put",
        expected.status,
        &expected.json(),
    );
    let session = get_json(&t, "/api/sessions/s1").await;
    assert_eq!(session["missing"], serde_json::json!(["r1", "r3"]));
    conforms(&doc, "/api/sessions/{session_id}", "get", 200, &session);
    let import = ui_request(&t, "POST", "/api/import", &[], b"nope\n").await;
    conforms(&doc, "/api/import", "post", import.status, &import.json());
    for (method, path, status) in [
        ("get", "/api/events/999", 404u16),
        ("get", "/api/events/x", 400),
        ("get", "/api/export?format=xml", 400),
        ("get", "/api/runs/nope", 404),
    ] {
        let resp = ui_request(&t, &method.to_ascii_uppercase(), path, &[], b"").await;
        assert_eq!(resp.status, status, "{path}");
        let template = match path {
            "/api/export?format=xml" => "/api/export",
            "/api/runs/nope" => "/api/runs/{run_id}",
            _ => "/api/events/{id}",
        };
        conforms(&doc, template, method, resp.status, &resp.json());
    }
    t.stop().await;
}

#[tokio::test]
async fn a_method_the_api_does_not_use_gets_405_with_a_reason() {
    let t = spawn_app(&[]).await;
    for method in ["PUT", "PATCH", "TRACE", "POST"] {
        let resp = ui_request(&t, method, "/api/status", &[], b"").await;
        assert_eq!(resp.status, 405, "{method}");
        assert_eq!(resp.header("allow"), Some("GET"));
        assert!(
            resp.json()["error"]
                .as_str()
                .expect("reason")
                .contains(method)
        );
    }
    let resp = ui_request(&t, "GET", "/api/keys/3", &[], b"").await;
    assert_eq!((resp.status, resp.header("allow")), (405, Some("DELETE")));
    // A path the API does not have is still 404.
    assert_eq!(
        ui_request(&t, "GET", "/api/nothing", &[], b"").await.status,
        404
    );
    t.stop().await;
}
