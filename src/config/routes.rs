//! `hookpit.toml`: routes that give a path prefix its own keys, forward targets (with the rules
//! that select what is forwarded) and chaos, read and checked into `Route`s.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::rules::{Match, event_types, targets};
use super::{ConfigError, parse_duration};
use crate::transform::Transformation;
use crate::verify::Key;

/// One `[[route]]` of `hookpit.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RouteFile {
    path: String,
    #[serde(default)]
    secrets: Vec<String>,
    /// One URL or a list of them (fan-out); read by `rules::targets` for a clear error.
    forward: Option<toml::Value>,
    /// Event types to forward (the rest are skipped); read by `rules::event_types`.
    events: Option<toml::Value>,
    /// A search query an event must match to be forwarded.
    #[serde(rename = "match")]
    matches: Option<String>,
    /// Share of webhooks answered 500 on purpose (0.0–1.0), to exercise the sender's retries.
    #[serde(default)]
    fail_rate: f64,
    /// Wait this long before answering (e.g. "2s"), to exercise the sender's timeouts.
    delay: Option<String>,
    /// The provider every webhook under this path is judged as (`"shopify"`), skipping detection.
    provider: Option<String>,
    /// A JavaScript file with a Svix `handler(webhook)` that reshapes what is delivered.
    transformation: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    #[serde(default)]
    route: Vec<RouteFile>,
}

/// A path prefix with its own keys and forward targets.
#[derive(Debug, Clone)]
pub struct Route {
    /// Path prefix, starting with `/`.
    pub path: String,
    /// Keys that verify webhooks under this prefix.
    pub keys: Vec<Key>,
    /// Where webhooks under this prefix are forwarded: each target gets its own deliveries,
    /// attempts and retries. Empty when the route forwards nothing of its own.
    pub forward: Vec<String>,
    /// Only events of these types are forwarded (`events = [...]`).
    pub events: Option<Vec<String>>,
    /// Only events matching this search query are forwarded (`match = "..."`).
    pub matches: Option<Match>,
    /// Share of webhooks answered 500 on purpose.
    pub fail_rate: f64,
    /// Wait before answering.
    pub delay: Option<Duration>,
    /// The provider pinned for this prefix, a name from `verify::registry`.
    pub provider: Option<&'static str>,
    /// The Svix transformation forwards and replays of webhooks under this prefix go through
    /// (`transformation = "FILE.js"`), read and checked at start.
    pub transformation: Option<Transformation>,
}

/// Parses keys as given, each value possibly a comma-separated list (`HOOKPIT_SECRET=a,b`). A
/// signature's version tag stays with what follows it (`v1,K5o…`), so a pasted signature is
/// refused as one rather than split into two strange keys. Two copies of one key are refused.
pub(super) fn parse_keys(pasted: &[String], what: &str) -> Result<Vec<Key>, ConfigError> {
    let mut pieces: Vec<String> = Vec::new();
    for part in pasted.iter().flat_map(|s| s.split(',')) {
        match pieces.last_mut() {
            Some(last) if is_version_tag(last) => {
                last.push(',');
                last.push_str(part);
            }
            _ => pieces.push(part.to_string()),
        }
    }
    let mut keys: Vec<Key> = Vec::new();
    for piece in pieces.iter().filter(|s| !s.trim().is_empty()) {
        let key = Key::parse(None, piece).map_err(|reason| ConfigError::Key {
            what: what.to_string(),
            reason,
        })?;
        if keys.iter().any(|k| k.pasted() == key.pasted()) {
            return Err(ConfigError::Invalid(format!(
                "{what}: the key {} is given twice",
                key.masked()
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// `v1`, `v1a`, `v0`: a signature entry's version, which a key never is.
fn is_version_tag(text: &str) -> bool {
    text.trim()
        .strip_prefix('v')
        .map(|rest| rest.trim_end_matches('a'))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads the routes file: the one named, else `hookpit.toml` when present, else none.
pub(super) fn load_routes(
    named: Option<&Path>,
) -> Result<(Vec<Route>, Option<PathBuf>), ConfigError> {
    let path = match named {
        Some(p) => p.to_path_buf(),
        None if Path::new("hookpit.toml").is_file() => PathBuf::from("hookpit.toml"),
        None => return Ok((Vec::new(), None)),
    };
    let text = std::fs::read_to_string(&path).map_err(|error| ConfigError::Read {
        path: path.clone(),
        error,
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let routes = parse_routes_in(&text, dir).map_err(|e| match e {
        ConfigError::Toml { message, .. } => ConfigError::Toml {
            path: path.clone(),
            message,
        },
        other => other,
    })?;
    Ok((routes, Some(path)))
}

/// Parses the text of a routes file whose relative paths (transformations) are in the
/// current directory.
pub fn parse_routes(text: &str) -> Result<Vec<Route>, ConfigError> {
    parse_routes_in(text, Path::new("."))
}

/// Parses the text of a routes file that lives in `dir`: a route's `transformation` is
/// resolved against it.
pub fn parse_routes_in(text: &str, dir: &Path) -> Result<Vec<Route>, ConfigError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Toml {
        path: PathBuf::from("hookpit.toml"),
        message: e.to_string(),
    })?;
    file.route
        .into_iter()
        .map(|r| {
            if !r.path.starts_with('/') {
                return Err(ConfigError::Invalid(format!(
                    "route path {:?} must start with /",
                    r.path
                )));
            }
            let keys = parse_keys(&r.secrets, &format!("route {}", r.path))?;
            let forward = targets(r.forward, &format!("route {} forward", r.path))?;
            let events = event_types(r.events, &format!("route {} events", r.path))?;
            let matches = r
                .matches
                .as_deref()
                .map(|q| Match::parse(q, &format!("route {} match", r.path)))
                .transpose()?;
            if forward.is_empty() && (events.is_some() || matches.is_some()) {
                return Err(ConfigError::Invalid(format!(
                    "route {}: events and match select what the route forwards, but it has no forward of its own; add forward = \"URL\" (for paths without a route, use --events)",
                    r.path
                )));
            }
            if !(0.0..=1.0).contains(&r.fail_rate) {
                return Err(ConfigError::Invalid(format!(
                    "route {} fail_rate must be between 0 and 1",
                    r.path
                )));
            }
            let delay = r
                .delay
                .as_deref()
                .map(parse_duration)
                .transpose()
                .map_err(|e| ConfigError::Invalid(format!("route {} delay: {e}", r.path)))?;
            let provider = match r.provider.as_deref() {
                None => None,
                Some(name) => Some(
                    crate::verify::registry::find(name)
                        .map(|p| p.name)
                        .ok_or_else(|| {
                            ConfigError::Invalid(format!(
                                "route {} provider {name:?} is not one hookpit knows ({})",
                                r.path,
                                crate::verify::registry::names()
                            ))
                        })?,
                ),
            };
            let transformation = r
                .transformation
                .as_deref()
                .map(|file| load_transformation(&r.path, file, dir))
                .transpose()?;
            Ok(Route {
                transformation,
                path: r.path,
                keys,
                forward,
                events,
                matches,
                fail_rate: r.fail_rate,
                delay,
                provider,
            })
        })
        .collect()
}

/// Reads and checks a route's transformation file: a file that cannot be read, or code that
/// does not evaluate to a `handler` function, is an error naming the route (and the line).
fn load_transformation(route: &str, file: &str, dir: &Path) -> Result<Transformation, ConfigError> {
    let path = dir.join(file);
    let code = std::fs::read_to_string(&path).map_err(|e| {
        ConfigError::Invalid(format!(
            "route {route} transformation: cannot read {}: {e}",
            path.display()
        ))
    })?;
    let transformation = Transformation {
        file: path,
        code: code.into(),
    };
    crate::transform::check(&transformation.code, &transformation.name()).map_err(|e| {
        ConfigError::Invalid(format!(
            "route {route} transformation {}: {e}",
            transformation.file.display()
        ))
    })?;
    Ok(transformation)
}

/// Checks that a forward target is an absolute `http://` or `https://` URL.
pub(super) fn check_target(url: &str, what: &str) -> Result<(), ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| ConfigError::Invalid(format!("{what}: {url:?} is not a URL ({e})")))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(_)) => Ok(()),
        _ => Err(ConfigError::Invalid(format!(
            "{what}: {url:?} must be an absolute http:// or https:// URL, e.g. http://localhost:3000/webhooks"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_file_parses_and_checks_paths() {
        let routes = parse_routes(
            "[[route]]\npath = \"/cyberdesk\"\nsecrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]\nforward = \"http://localhost:3000/webhooks\"\n",
        )
        .expect("parses");
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].path, "/cyberdesk");
        assert_eq!(routes[0].keys.len(), 1);
        assert!(parse_routes("[[route]]\npath = \"nope\"\n").is_err());
        assert!(parse_routes("[[route]]\npath = \"/a\"\nforward = \"ftp://x\"\n").is_err());
        assert!(parse_routes("[[route]]\npath = \"/a\"\nfail_rate = 1.5\n").is_err());
        let chaos = parse_routes("[[route]]\npath = \"/a\"\nfail_rate = 0.5\ndelay = \"2s\"\n")
            .expect("chaos route parses");
        assert_eq!(chaos[0].delay, Some(Duration::from_secs(2)));
        assert!(parse_routes("[[route]]\npath = \"/a\"\nsecret = \"x\"\n").is_err());
    }

    #[test]
    fn a_route_pins_a_known_provider_only() {
        let pinned = parse_routes(
            "[[route]]\npath = \"/shop\"\nprovider = \"shopify\"\nsecrets = [\"shopify:abcdefghijkl\"]\n",
        )
        .expect("parses");
        assert_eq!(pinned[0].provider, Some("shopify"));
        assert_eq!(pinned[0].keys[0].provider(), Some("shopify"));
        let err = parse_routes("[[route]]\npath = \"/a\"\nprovider = \"shopfy\"\n")
            .expect_err("unknown provider");
        assert!(
            err.to_string()
                .contains("\"shopfy\" is not one hookpit knows (standard, stripe"),
            "{err}"
        );
    }

    #[test]
    fn a_transformation_is_read_beside_the_config_and_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, code: &str| {
            std::fs::write(dir.path().join(name), code).expect("write");
        };
        write("drop.js", "function handler(w) {\n  return w;\n}\n");
        write("broken.js", "function handler(w) {\n  return w +* 1;\n}\n");
        let route =
            |file: &str| format!("[[route]]\npath = \"/cd\"\ntransformation = \"{file}\"\n");
        let ok = parse_routes_in(&route("drop.js"), dir.path()).expect("parses");
        let t = ok[0].transformation.as_ref().expect("a transformation");
        assert_eq!(t.file, dir.path().join("drop.js"));
        assert!(t.code.contains("handler"));
        let broken = parse_routes_in(&route("broken.js"), dir.path()).expect_err("syntax error");
        let text = broken.to_string();
        assert!(text.starts_with("route /cd transformation "), "{text}");
        assert!(
            text.contains("SyntaxError") && text.ends_with("(line 2)"),
            "{text}"
        );
        let missing = parse_routes_in(&route("nope.js"), dir.path()).expect_err("missing");
        assert!(
            missing
                .to_string()
                .starts_with("route /cd transformation: cannot read "),
            "{missing}"
        );
        assert!(missing.to_string().contains("nope.js"), "{missing}");
    }

    #[test]
    fn a_pasted_signature_is_explained_not_split() {
        let err = parse_keys(
            &["v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
            "--secret",
        )
        .expect_err("a signature is not a key");
        assert!(
            err.to_string().starts_with("--secret: this is a signature"),
            "{err}"
        );
        let two = parse_keys(
            &[
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
                    .into(),
            ],
            "--secret",
        )
        .expect("a list of two keys");
        assert_eq!(two.len(), 2);
        let twice = parse_routes(
            "[[route]]\npath = \"/a\"\nsecrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]\n",
        )
        .expect_err("the same key twice on one route");
        assert!(twice.to_string().contains("given twice"), "{twice}");
    }
}
