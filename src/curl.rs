//! The one place hookpit writes a curl command for a person to paste into a shell. Method,
//! URL, headers and body may all be chosen by a webhook's sender, so every one reaches the
//! shell single-quoted and reaches curl as inert data: no globbing (`-g`), no dot-segment
//! squashing (`--path-as-is`), no `@file` reading (`--data-raw`, or the bytes on stdin).
//! The quoting means the same in POSIX shells (bash, dash, zsh) and fish: no backslash inside
//! single quotes (fish reads `\\` and `\'` there), and bytes that are not plain text come
//! from `printf` escapes, never `$'…'`.

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
    let mut skipped = String::new();
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
        // CR or LF would end the header line inside curl (older versions send what follows as
        // headers of its own) and NUL cannot be an argument: such a value is left out, saying so.
        if value.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            skipped.push_str(&format!(
                "# left out {name}: its value holds CR, LF or NUL\n"
            ));
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
        Some(printf) => format!("{skipped}{printf} | {cmd}"),
        None => format!("{skipped}{cmd}"),
    }
}

/// Quotes `s` for a POSIX shell and fish alike: single quotes, inside which nothing is special
/// to a POSIX shell; a quote or backslash goes outside them (`\'` and `"\\"`), where both
/// kinds of shell read it the same.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r#"'"\\"'"#),
            '\'' => out.push_str(r"'\''"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes bytes that may not be UTF-8: plain quoting when they are, else the output of a
/// `printf` that writes them (header values never hold CR, LF or NUL, which command
/// substitution would strip or could not carry).
fn quote_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => quote(text),
        _ => format!("\"$({})\"", printf(bytes)),
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
/// A backslash is an escape too, so none is doubled inside the quotes (fish would read `\\`
/// there as one), and a leading `-` is one so printf never reads the format as an option.
fn printf(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2 + 9);
    out.push_str("printf '");
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'%' => out.push_str("%%"),
            b'-' if i == 0 => out.push_str("\\055"),
            b'\\' | b'\'' => out.push_str(&format!("\\{b:03o}")),
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
            cmd.starts_with("printf '\\377\\000%%\\134\\047\\012' | curl "),
            "{cmd}"
        );
        assert!(cmd.contains(r#"-H "$(printf 'X-B: \377\047')""#), "{cmd}");
        assert!(cmd.ends_with("--data-binary @-"), "{cmd}");
    }

    #[test]
    fn no_backslash_inside_quotes_and_no_leading_dash_for_printf() {
        assert_eq!(quote(r"a\'b\\"), r#"'a'"\\"''\''b'"\\"''"\\"''"#);
        let cmd = command("POST", "http://h/", &[], Body::Bytes(b"-v\xff"));
        assert!(cmd.starts_with(r"printf '\055v\377' | curl "), "{cmd}");
    }

    #[test]
    fn header_values_with_line_breaks_or_nul_are_left_out() {
        let headers: Vec<(String, Vec<u8>)> = [&b"a\r\nX-Injected: 1"[..], b"a\nb", b"a\0b"]
            .iter()
            .map(|v| ("X-Bad".to_string(), v.to_vec()))
            .chain([("X-Good".to_string(), b"ok".to_vec())])
            .collect();
        let cmd = command("POST", "http://h/", &headers, Body::Empty);
        assert!(
            !cmd.contains("X-Injected") && !cmd.contains("-H 'X-Bad"),
            "{cmd}"
        );
        assert!(!cmd.contains("printf"), "{cmd}");
        assert!(
            cmd.starts_with("# left out X-Bad: its value holds CR, LF or NUL\n"),
            "{cmd}"
        );
        assert!(cmd.contains("-H 'X-Good: ok'"), "{cmd}");
    }

    #[test]
    fn a_users_own_file_is_read_by_curl() {
        let cmd = command("POST", "http://h/", &[], Body::File(Path::new("/tmp/a b")));
        assert!(cmd.ends_with("--data-binary '@/tmp/a b'"), "{cmd}");
    }
}
