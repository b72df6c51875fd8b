//! hookpit's search language: a search box's text (`status:task_failed path:/cyberdesk word`)
//! into an `EventFilter`, and whether one stored event matches it. The event list, `wait`,
//! export and the routes' `match` rules all read a query through this one parser, so a query
//! means the same everywhere.

use super::model::EventFilter;
use super::{Store, StoreError, read};

/// Most free words in one search: each is a condition of its own, and SQLite refuses an
/// expression tree deeper than 1,000.
const MAX_SEARCH_WORDS: usize = 32;
/// Longest search word, in characters (SQLite refuses `LIKE` patterns over 50,000 bytes, and a
/// word JSON-escaped for the header search can grow sixfold).
const MAX_SEARCH_WORD: usize = 1000;

/// Splits a search box into filters (`type:`, `status:`, `path:`, `method:`, `source:`,
/// `is:`/`verification:`, `id:`, `provider:`, `run:`, `session:`) and free words; `"quoted words"` stay one term. More than
/// [`MAX_SEARCH_WORDS`] words or a word over [`MAX_SEARCH_WORD`] characters is refused with
/// the reason.
pub fn parse_search(q: &str, filter: &mut EventFilter) -> Result<(), String> {
    for word in search_terms(q) {
        let chars = word.chars().count();
        if chars > MAX_SEARCH_WORD {
            return Err(format!(
                "a search word of {chars} characters is too long (at most {MAX_SEARCH_WORD})"
            ));
        }
        let (key, value) = word.split_once(':').unwrap_or(("", &word));
        let value = value.to_string();
        match key.to_ascii_lowercase().as_str() {
            "type" => filter.event_type = Some(value),
            "status" => filter.run_status = Some(value),
            "run" => filter.run_id = Some(value),
            "path" => filter.path_prefix = Some(value),
            "method" => filter.method = Some(value.to_ascii_uppercase()),
            "source" => filter.source = Some(value),
            "is" if value.eq_ignore_ascii_case("drift") => filter.drift = true,
            "is" | "verification" => filter.verification = Some(value),
            "id" | "msg" => filter.msg_id = Some(value),
            "provider" => filter.provider = Some(value.to_ascii_lowercase()),
            "session" => filter.run_session_id = Some(value),
            _ => filter.text.push(word.clone()),
        }
        if filter.text.len() > MAX_SEARCH_WORDS {
            return Err(format!(
                "the search has more than {MAX_SEARCH_WORDS} words; search for fewer"
            ));
        }
    }
    Ok(())
}

/// Whitespace-separated terms, where a double-quoted run (quotes dropped) is one term.
fn search_terms(q: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

impl Store {
    /// Whether stored event `id` matches `filter`: the list's own query, bounded to that one
    /// id (a primary-key lookup, not a scan of the table).
    pub async fn matches(&self, filter: EventFilter, id: i64) -> Result<bool, StoreError> {
        self.read(move |c| {
            let found = read::newest(c, &filter, id.checked_add(1), Some(id), 1)?;
            Ok(found.iter().any(|e| e.id == id))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_box_splits_into_filters_and_words() {
        let mut f = EventFilter::default();
        parse_search(
            "run_complete status:task_failed path:/cyberdesk is:invalid Appointment",
            &mut f,
        )
        .expect("a short search");
        assert_eq!(f.text, vec!["run_complete", "Appointment"]);
        assert_eq!(f.run_status.as_deref(), Some("task_failed"));
        assert_eq!(f.path_prefix.as_deref(), Some("/cyberdesk"));
        assert_eq!(f.verification.as_deref(), Some("invalid"));
        let mut g = EventFilter::default();
        parse_search(
            "method:post http://x \"Confirm appointment\" path:\"/a b\"",
            &mut g,
        )
        .expect("a short search");
        assert_eq!(g.path_prefix.as_deref(), Some("/a b"));
        assert_eq!(g.method.as_deref(), Some("POST"));
        assert_eq!(g.text, vec!["http://x", "Confirm appointment"]);
        let mut r = EventFilter::default();
        parse_search("run:b7e3c1a2 status:success", &mut r).expect("a short search");
        assert_eq!(r.run_id.as_deref(), Some("b7e3c1a2"));
        assert_eq!(r.run_status.as_deref(), Some("success"));
    }
}
