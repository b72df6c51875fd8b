//! "Copy as curl" (`POST /api/events/{id}/curl`) on webhooks whose method, path, headers and
//! body a hostile sender chose: the exported command, run by a real bash, must run nothing of
//! the sender's, read no local file, send exactly one request, and deliver what was stored.
//! Each export also runs in dash and fish, when installed, since a user may paste it there.

mod common;

use common::*;
use tokio::io::AsyncWriteExt;

/// One hostile webhook: the raw request head lines after the request line, and the body.
struct Hostile {
    method: &'static str,
    target: &'static str,
    headers: Vec<Vec<u8>>,
    body: Vec<u8>,
}

fn hostile_webhooks() -> Vec<Hostile> {
    let plain = |method, target, body: &[u8]| Hostile {
        method,
        target,
        headers: vec![b"Content-Type: text/plain".to_vec()],
        body: body.to_vec(),
    };
    let mut big = b"'quoted' $(touch PWNED_BIG) ".repeat(4000);
    big.extend_from_slice(b"\n");
    vec![
        plain("X`touch$IFS'PWNED_M'`", "/m", b"{}"),
        plain("A&touch&B", "/m2", b""),
        plain("POST", "/g[1-5]{a,b}?q=$(touch${IFS}PWNED_Q)&r=[1-3]", b"x"),
        plain("POST", "/a/../b/./c/%2e%2e/'it's'", b"x"),
        plain("POST", "/body", b"@/etc/hosts"),
        plain("POST", "/body", b"$(touch PWNED_B) `touch PWNED_C` ${HOME}"),
        plain("POST", "/body", b"line one\nline 'two'\r\n\ttab\n"),
        plain(
            "POST",
            "/body",
            &[0xff, 0x00, 0xfe, b'\'', b'%', b'\\', b'\n'],
        ),
        plain("PUT", "/body", &big),
        // Through printf on stdin: a leading `-` must not be read as printf's option.
        plain("POST", "/body", &[b'-', b'v', 0xff, b'\\', b'\n']),
        plain("POST", "/body", b"-n %s \\' \\\\ \\n"),
        plain("POST", "/back\\slash?q=a\\'b", b"x"),
        Hostile {
            method: "POST",
            target: "/headers",
            headers: vec![
                b"X-`touch`PWNED_HN: 1".to_vec(),
                b"X-Sub: $(touch PWNED_HV) `touch PWNED_HV2`".to_vec(),
                b"X-Quote: '; touch PWNED_HQ; '".to_vec(),
                [b"X-Bin: a".as_slice(), &[0xff, 0xfe], b"b\tc"].concat(),
                b"X-Empty:".to_vec(),
                b"X-At: @/etc/hosts".to_vec(),
                b"X-Backslash: a\\'b\\\\c\\".to_vec(),
                [b"X-Bin-Back: \\'".as_slice(), &[0xff], b"\\"].concat(),
            ],
            body: b"{\"a\":1}".to_vec(),
        },
    ]
}

/// The ids of the newest stored events.
async fn newest_ids(t: &TestApp) -> Vec<i64> {
    let query = hookpit::store::model::ListQuery {
        filter: Default::default(),
        limit: 50,
        before: None,
    };
    let page = t.app.store.list(query).await.expect("list");
    page.events.iter().map(|e| e.id).collect()
}

#[tokio::test]
async fn exported_curl_commands_run_nothing_and_send_what_was_stored() {
    let t = spawn_app(&[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut shells = vec!["bash"];
    for other in ["dash", "fish"] {
        let found = std::process::Command::new(other)
            .args(["-c", "true"])
            .status()
            .is_ok_and(|s| s.success());
        if found {
            shells.push(other);
        } else {
            skipped(
                &format!("curl exports in {other}"),
                &format!("{other} is not installed"),
            );
        }
    }
    for (n, h) in hostile_webhooks().into_iter().enumerate() {
        let mut head = format!("{} {} HTTP/1.1\r\nHost: x\r\n", h.method, h.target).into_bytes();
        for line in &h.headers {
            head.extend_from_slice(line);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(format!("Content-Length: {}\r\n", h.body.len()).as_bytes());
        let sent = raw(t.capture, &head, &h.body).await;
        assert_eq!(sent.status, 200, "case {n} was not captured: {sent:?}");
        let id: i64 = sent
            .header("hookpit-event-id")
            .and_then(|v| v.parse().ok())
            .expect("event id");

        let resp = post_json(
            &t,
            &format!("/api/events/{id}/curl"),
            &serde_json::json!({ "mode": "verbatim" }),
        )
        .await;
        assert_eq!(resp.status, 200, "case {n}: {resp:?}");
        let command = resp.json()["curl"]
            .as_str()
            .expect("curl command")
            .to_string();
        for shell in &shells {
            run_export(&t, dir.path(), shell, n, id, &command).await;
        }
    }
    t.stop().await;
}

/// Runs one exported `command` as if pasted into `shell`, and checks that it ran nothing of the
/// sender's and sent exactly the stored event `id` once more.
async fn run_export(
    t: &TestApp,
    dir: &std::path::Path,
    shell: &str,
    n: usize,
    id: i64,
    command: &str,
) {
    let before = newest_ids(t).await;
    // As if pasted: the script on bash's stdin (a 100 KiB command is no single argument).
    let mut bash = tokio::process::Command::new(shell)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut stdin = bash.stdin.take().expect("stdin");
    stdin.write_all(command.as_bytes()).await.expect("script");
    drop(stdin);
    let ran = bash.wait_with_output().await.expect("bash ends");
    assert!(
        ran.status.success(),
        "case {n} in {shell}: {}\n{command}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let made: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(
        made.is_empty(),
        "case {n} in {shell} ran the sender's commands: {made:?}\n{command}"
    );

    let new: Vec<i64> = newest_ids(t)
        .await
        .into_iter()
        .filter(|i| !before.contains(i))
        .collect();
    assert_eq!(
        new.len(),
        1,
        "case {n} in {shell}: curl sent {} requests\n{command}",
        new.len()
    );
    let original = t.app.store.get(id).await.expect("get").expect("original");
    let again = t.app.store.get(new[0]).await.expect("get").expect("resent");
    let (o, a) = (&original.summary, &again.summary);
    // Sent back to the capture listener as a forward target would be: dot-segments resolved.
    let joined = hookpit::forward::join("http://h/", &o.path, &o.query).expect("join");
    let joined = joined.strip_prefix("http://h").expect("same base");
    let (path, query) = joined.split_once('?').unwrap_or((joined, ""));
    assert_eq!(
        (a.method.as_str(), a.path.as_str(), a.query.as_str()),
        (o.method.as_str(), path, query),
        "case {n} in {shell}\n{command}"
    );
    assert_eq!(
        again.body, original.body,
        "case {n} in {shell}: body differs\n{command}"
    );
    let framing = ["host", "content-length", "connection"];
    let kept: Vec<_> = original
        .headers
        .iter()
        .filter(|(name, _)| !framing.contains(&name.to_ascii_lowercase().as_str()))
        .collect();
    for header in &kept {
        assert!(
            again.headers.iter().any(|h| h == *header),
            "case {n} in {shell}: header {header:?} was not sent as stored: {:?}\n{command}",
            again.headers
        );
    }
    if !original
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        assert!(
            !again
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("content-type")),
            "case {n} in {shell}: curl added a content type"
        );
    }
}
