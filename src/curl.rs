//! The one place hookpit writes a curl command for a person to paste into a shell. Method,
//! URL, headers and body may all be chosen by a webhook's sender, so every one reaches the
//! shell single-quoted and reaches curl as inert data: no globbing (`-g`), no dot-segment
//! squashing (`--path-as-is`), no `@file` reading (`--data-raw`, or the bytes on stdin).

use std::path::Path;

/// Bodies longer than this, or with bytes a terminal paste could mangle, go through stdin:
/// one argument must stay under Linux's 128 KiB `MAX_ARG_STRLEN`.
const MAX_INLINE_BODY: usize = 64 * 1024;

/// What the command sends as the body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// No body.
    Empty,
    /// These exact bytes.
    Bytes(&'a [u8]),
    /// The bytes of this local file, read by curl (only for the user's own file, e.g.
    /// `hookpit sign --file`).
    File(&'a Path),
}

/// A shell command that sends `method url` with `headers` and `body` through curl.
pub fn command(method: &str, url: &str, headers: &[(String, Vec<u8>)], body: Body<'_>) -> String {
    let mut args = vec![format!(
        "curl -sS -g --path-as-is -X {} {}",
        quote(method),
        quote(url)
    )];
    for (name, value) in headers {
        // Not a header name curl would send: `-H @file` would read a file, `-H 'a b: c'` is
        // refused. Names captured off the wire are tokens, so this drops only edited ones.
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            continue;
        }
        // `Name:` would remove the header; `Name;` is curl's way to send it empty.
        let line = if value.is_empty() {
            format!("{name};").into_bytes()
        } else {
            [name.as_bytes(), b": ", value].concat()
        };
        args.push(format!("-H {}", quote_bytes(&line)));
    }
    // With a body curl adds a form content type of its own; the app must see the stored one
    // or none.
    let typed = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !typed && !matches!(body, Body::Empty) {
        args.push("-H 'Content-Type:'".into());
    }
    let mut stdin = None;
    match body {
        Body::Empty => {}
        Body::Bytes(bytes) if inline(bytes) => {
            let text = std::str::from_utf8(bytes).expect("inline() checked UTF-8");
            args.push(format!("--data-raw {}", quote(text)));
        }
        Body::Bytes(bytes) => {
            stdin = Some(printf(bytes));
            args.push("--data-binary @-".into());
        }
        Body::File(path) => {
            let arg = format!("@{}", path.display());
            args.push(format!("--data-binary {}", quote(&arg)));
        }
    }
    let cmd = args.join(" \\\n  ");
    match stdin {
        Some(printf) => format!("{printf} | {cmd}"),
        None => cmd,
    }
}

/// Quotes `s` for a POSIX shell: single quotes, inside which nothing is special.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Quotes bytes that may not be UTF-8: plain quoting when they are, else bash's `$'…'` with
/// `\xHH` escapes (header values never hold NUL, which `$'…'` could not carry).
fn quote_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => quote(text),
        _ => {
            let mut out = String::from("$'");
            for &b in bytes {
                if b.is_ascii_alphanumeric() || b" -_.:;,/=+".contains(&b) {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            out.push('\'');
            out
        }
    }
}

/// Whether a body can be one quoted argument: short UTF-8 text without NUL or control
/// characters other than newline and tab.
fn inline(bytes: &[u8]) -> bool {
    bytes.len() <= MAX_INLINE_BODY
        && std::str::from_utf8(bytes)
            .is_ok_and(|t| !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t'))
}

/// `printf '…'` writing exactly `bytes` to stdout: printable ASCII as itself, everything else
/// as a three-digit octal escape (POSIX printf, a shell builtin, so no argument-size limit).
fn printf(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2 + 9);
    out.push_str("printf '");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'%' => out.push_str("%%"),
            b'\'' => out.push_str("\\047"),
            b' '..=b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_argument_is_quoted() {
        let headers = vec![
            ("X-Q".to_string(), b"it's".to_vec()),
            ("Content-Type".to_string(), b"text/plain".to_vec()),
            ("X-Empty".to_string(), Vec::new()),
        ];
        assert_eq!(
            command(
                "X`id`",
                "http://h/x?a=1&b=[2]",
                &headers,
                Body::Bytes(b"@/etc/hosts")
            ),
            "curl -sS -g --path-as-is -X 'X`id`' 'http://h/x?a=1&b=[2]' \\\n  \
             -H 'X-Q: it'\\''s' \\\n  -H 'Content-Type: text/plain' \\\n  -H 'X-Empty;' \\\n  \
             --data-raw '@/etc/hosts'"
        );
    }

    #[test]
    fn binary_bodies_go_through_stdin_and_odd_header_bytes_are_escaped() {
        let cmd = command(
            "POST",
            "http://h/",
            &[("X-B".into(), vec![0xff, b'\''])],
            Body::Bytes(&[0xff, 0, b'%', b'\\', b'\'', b'\n']),
        );
        assert!(
            cmd.starts_with("printf '\\377\\000%%\\\\\\047\\012' | curl "),
            "{cmd}"
        );
        assert!(cmd.contains("-H $'X-B: \\xff\\x27'"), "{cmd}");
        assert!(cmd.ends_with("--data-binary @-"), "{cmd}");
    }

    #[test]
    fn a_users_own_file_is_read_by_curl() {
        let cmd = command("POST", "http://h/", &[], Body::File(Path::new("/tmp/a b")));
        assert!(cmd.ends_with("--data-binary '@/tmp/a b'"), "{cmd}");
    }
}
