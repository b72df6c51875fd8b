//! The forwarding rules of `hookpit.toml` and `--events`: `forward` as one URL or a list
//! (fan-out), `events = [...]` and `match = "QUERY"`, each checked with a clear error.

use super::ConfigError;
use super::routes::check_target;
use crate::store::model::EventFilter;
use crate::store::query::parse_search;

/// A route's `match` rule: the query as written and as parsed by the search language.
#[derive(Debug, Clone)]
pub struct Match {
    /// The query as the user wrote it (named in a skipped forward's record).
    pub query: String,
    /// The query parsed, judged against one stored event at a time.
    pub filter: EventFilter,
}

impl Match {
    /// Parses a `match` query; the error says what is wrong with it.
    pub fn parse(query: &str, what: &str) -> Result<Match, ConfigError> {
        if query.trim().is_empty() {
            return Err(ConfigError::Invalid(format!(
                "{what}: the query is empty; write a search such as \"status:task_failed\", or leave match out"
            )));
        }
        let mut filter = EventFilter::default();
        parse_search(query, &mut filter)
            .map_err(|e| ConfigError::Invalid(format!("{what} {query:?}: {e}")))?;
        Ok(Match {
            query: query.to_string(),
            filter,
        })
    }
}

/// `forward` as a list of URLs: one string, or an array of strings, each checked.
pub(super) fn targets(value: Option<toml::Value>, what: &str) -> Result<Vec<String>, ConfigError> {
    let urls = match value {
        None => return Ok(Vec::new()),
        Some(toml::Value::String(url)) => vec![url],
        Some(toml::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(url) => Ok(url),
                other => Err(ConfigError::Invalid(format!(
                    "{what}: every target must be a URL in quotes, got {other}"
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(ConfigError::Invalid(format!(
                "{what} must be a URL or a list of URLs, e.g. forward = [\"http://localhost:3000/hooks\", \"http://localhost:4000/audit\"], got {other}"
            )));
        }
    };
    if urls.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{what} is an empty list; give at least one URL, or leave forward out"
        )));
    }
    for (i, url) in urls.iter().enumerate() {
        check_target(url, what)?;
        if urls[..i].contains(url) {
            return Err(ConfigError::Invalid(format!(
                "{what}: {url:?} is given twice"
            )));
        }
    }
    Ok(urls)
}

/// `events` as a list of event types: an array of non-empty strings.
pub(super) fn event_types(
    value: Option<toml::Value>,
    what: &str,
) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let example = "e.g. events = [\"run_complete\"]";
    let toml::Value::Array(items) = value else {
        return Err(ConfigError::Invalid(format!(
            "{what} must be a list of event types, {example}, got {value}"
        )));
    };
    let types = items
        .into_iter()
        .map(|item| match item {
            toml::Value::String(t) if !t.trim().is_empty() => Ok(t),
            other => Err(ConfigError::Invalid(format!(
                "{what}: every event type must be a non-empty string, {example}, got {other}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_events(types, what).map(Some)
}

/// `--events` as checked: the types given (trimmed, empty pieces dropped), refused without a
/// `--forward` for them to select from or with no type at all.
pub(super) fn default_events(
    events: Option<Vec<String>>,
    has_forward: bool,
) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(types) = events else {
        return Ok(None);
    };
    if !has_forward {
        return Err(ConfigError::Invalid(
            "--events selects what --forward forwards, and there is no --forward (a route's own rules go in hookpit.toml)".into(),
        ));
    }
    let types = types
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    check_events(types, "--events").map(Some)
}

/// Refuses an empty list of event types (it would forward nothing).
fn check_events(types: Vec<String>, what: &str) -> Result<Vec<String>, ConfigError> {
    if types.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{what} is empty, so nothing would be forwarded; name at least one event type, or leave it out"
        )));
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use crate::config::{ServeArgs, parse_routes};

    /// The error of a routes file that must be refused.
    fn refused(text: &str) -> String {
        parse_routes(text).expect_err("refused").to_string()
    }

    #[test]
    fn forward_is_one_url_or_a_list_of_them() {
        let one = parse_routes("[[route]]\npath = \"/a\"\nforward = \"http://127.0.0.1:3000/h\"\n")
            .expect("one URL");
        assert_eq!(one[0].forward, vec!["http://127.0.0.1:3000/h"]);
        let two = parse_routes(
            "[[route]]\npath = \"/a\"\nforward = [\"http://localhost:3000/hooks\", \"http://localhost:4000/audit\"]\n",
        )
        .expect("a list");
        assert_eq!(
            two[0].forward,
            vec!["http://localhost:3000/hooks", "http://localhost:4000/audit"]
        );
        let none = parse_routes("[[route]]\npath = \"/a\"\n").expect("no forward");
        assert!(none[0].forward.is_empty());
    }

    #[test]
    fn bad_forward_values_are_refused_with_the_reason() {
        let e = refused("[[route]]\npath = \"/a\"\nforward = 3000\n");
        assert!(
            e.contains("route /a forward must be a URL or a list of URLs"),
            "{e}"
        );
        let e = refused("[[route]]\npath = \"/a\"\nforward = []\n");
        assert!(e.contains("empty list"), "{e}");
        let e = refused("[[route]]\npath = \"/a\"\nforward = [\"http://a:1/\", 2]\n");
        assert!(
            e.contains("every target must be a URL in quotes, got 2"),
            "{e}"
        );
        let e = refused("[[route]]\npath = \"/a\"\nforward = [\"http://a:1/\", \"ftp://b/\"]\n");
        assert!(
            e.contains("\"ftp://b/\" must be an absolute http://"),
            "{e}"
        );
        let e = refused("[[route]]\npath = \"/a\"\nforward = [\"http://a:1/\", \"http://a:1/\"]\n");
        assert!(e.contains("given twice"), "{e}");
    }

    #[test]
    fn events_and_match_are_checked() {
        let route = "[[route]]\npath = \"/a\"\nforward = \"http://a:1/\"\n";
        let ok = parse_routes(&format!(
            "{route}events = [\"run_complete\"]\nmatch = \"status:task_failed path:/a\"\n"
        ))
        .expect("rules parse");
        assert_eq!(
            ok[0].events.as_deref(),
            Some(&["run_complete".to_string()][..])
        );
        let m = ok[0].matches.as_ref().expect("a match rule");
        assert_eq!(m.query, "status:task_failed path:/a");
        assert_eq!(m.filter.run_status.as_deref(), Some("task_failed"));
        assert_eq!(m.filter.path_prefix.as_deref(), Some("/a"));

        let e = refused(&format!("{route}events = \"run_complete\"\n"));
        assert!(e.contains("must be a list of event types"), "{e}");
        let e = refused(&format!("{route}events = []\n"));
        assert!(e.contains("nothing would be forwarded"), "{e}");
        let e = refused(&format!("{route}events = [\"\"]\n"));
        assert!(e.contains("non-empty string"), "{e}");
        let e = refused(&format!("{route}match = \"  \"\n"));
        assert!(e.contains("route /a match: the query is empty"), "{e}");
        let long = "x".repeat(1001);
        let e = refused(&format!("{route}match = \"{long}\"\n"));
        assert!(e.contains("too long"), "{e}");
        let e = refused("[[route]]\npath = \"/a\"\nmatch = \"status:task_failed\"\n");
        assert!(e.contains("has no forward of its own"), "{e}");
    }

    #[test]
    fn events_on_the_command_line_need_a_forward_and_a_type() {
        let cfg = ServeArgs::from_flags([
            "--forward",
            "http://127.0.0.1:3000/",
            "--events",
            "run_complete, run_started",
        ])
        .expect("flags parse")
        .validate()
        .expect("valid");
        assert_eq!(
            cfg.events,
            Some(vec!["run_complete".to_string(), "run_started".to_string()])
        );
        let e = ServeArgs::from_flags(["--events", "run_complete"])
            .expect("flags parse")
            .validate()
            .expect_err("nothing to select from");
        assert!(e.to_string().contains("there is no --forward"), "{e}");
        let e = ServeArgs::from_flags(["--forward", "http://127.0.0.1:3000/", "--events", ","])
            .expect("flags parse")
            .validate()
            .expect_err("no type");
        assert!(e.to_string().contains("--events is empty"), "{e}");
    }
}
