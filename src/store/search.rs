//! Text search through the trigram index (`events_fts`, migration 0009): the words become an
//! FTS5 query that narrows the events to candidates, and each candidate is checked again by the
//! very conditions of a scan ([`read::where_clause`]), so a search through the index finds
//! exactly what a scan finds. The events the background indexer has not reached yet are
//! scanned, so a search is complete and in order while the index catches up.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use super::StoreError;
use super::codec::json_escaped;
use super::model::{EventFilter, EventSummary, ListQuery, Page};
use super::read::{self, MAX_LIMIT};
use super::rows::{self, LAST_ATTEMPT_JOIN, SUMMARY_COLUMNS};

/// The trigram tokenizer indexes runs of three characters: a shorter word has none to look up.
const TRIGRAM: usize = 3;

/// Most trigrams one word looks up; a longer word's candidates are narrowed by an even spread
/// of them (its remaining letters are checked on the candidates anyway).
const MAX_TRIGRAMS: usize = 16;

/// How far the index got, for `/api/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexProgress {
    /// Stored events the text index covers.
    pub indexed: u64,
    /// Stored events.
    pub total: u64,
}

/// The FTS5 query for the words of `filter` the index can look up, or `None` when it can
/// look up none (no word, or only words under three characters): such a search scans.
pub(crate) fn match_expr(filter: &EventFilter) -> Option<String> {
    let words: Vec<String> = filter
        .text
        .iter()
        .map(|w| w.trim())
        .filter(|w| indexable(w))
        .map(word_expr)
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

/// Whether the index can narrow a search for `word`. A NUL ends a LIKE pattern early, so
/// such a word means something else to a scan than its letters: it is left to the scan.
fn indexable(word: &str) -> bool {
    word.chars().count() >= TRIGRAM && !word.contains('\0')
}

/// The query for one word: its trigrams as they appear in the path, query or body, or as the
/// stored headers' JSON spells them (the two differ when the word has a quote, a backslash or
/// a control character).
fn word_expr(word: &str) -> String {
    let plain = all_trigrams(word);
    let json = json_escaped(word);
    if json == word {
        plain
    } else {
        format!("({plain} OR {})", all_trigrams(&json))
    }
}

/// `("abc" AND "bcd" AND …)`: rows holding every (sampled) trigram of `word`. The index keeps
/// no positions (detail=none), so this is a superset of the rows holding the word.
fn all_trigrams(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut grams: Vec<String> = Vec::new();
    for w in chars.windows(TRIGRAM) {
        let gram: String = w.iter().collect();
        if !grams.contains(&gram) {
            grams.push(gram);
        }
    }
    if grams.len() > MAX_TRIGRAMS {
        let n = grams.len();
        grams = (0..MAX_TRIGRAMS)
            .map(|i| grams[i * (n - 1) / (MAX_TRIGRAMS - 1)].clone())
            .collect();
    }
    let terms: Vec<String> = grams
        .iter()
        .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
        .collect();
    format!("({})", terms.join(" AND "))
}

/// Every event id up to this one is in the index, none above it.
pub(crate) fn indexed_upto(conn: &Connection) -> Result<i64, StoreError> {
    let upto = conn.query_row(
        "SELECT upto FROM events_fts_progress WHERE one = 1",
        [],
        |r| r.get(0),
    )?;
    Ok(upto)
}

/// One page of a text search whose words `fts` looks up: the events above the index's reach
/// scanned, then the indexed ones looked up, all in one snapshot.
pub(crate) fn list(conn: &Connection, q: &ListQuery, fts: &str) -> Result<Page, StoreError> {
    let limit = q.limit.clamp(1, MAX_LIMIT);
    let tx = conn.unchecked_transaction()?;
    let upto = indexed_upto(&tx)?;
    let mut events = read::newest(&tx, &q.filter, q.before, Some(upto + 1), limit)?;
    if events.len() <= limit as usize {
        let wanted = limit - events.len() as u32;
        let below = q.before.map_or(upto + 1, |b| b.min(upto + 1));
        events.extend(newest_indexed(&tx, &q.filter, fts, below, wanted)?);
    }
    tx.commit()?;
    Ok(read::page(events, limit))
}

/// Up to `limit + 1` events below `below` that the index offers for `fts` and that pass every
/// condition of `filter`, newest first.
fn newest_indexed(
    conn: &Connection,
    filter: &EventFilter,
    fts: &str,
    below: i64,
    limit: u32,
) -> Result<Vec<EventSummary>, StoreError> {
    let (conds, mut params) = read::where_clause(filter, Some(below), None);
    params.push(Value::Text(fts.to_owned()));
    let m = params.len();
    params.push(Value::Integer(below));
    let b = params.len();
    params.push(Value::Integer(i64::from(limit) + 1));
    let l = params.len();
    // The index drives (CROSS JOIN keeps it the outer loop) and yields ids newest first; each
    // candidate's row is then checked by the scan's own conditions.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM events_fts f CROSS JOIN events e ON e.id = f.rowid \
         {LAST_ATTEMPT_JOIN} {conds} AND f.events_fts MATCH ?{m} AND f.rowid < ?{b} \
         ORDER BY f.rowid DESC LIMIT ?{l}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let events = stmt
        .query_map(params_from_iter(params), rows::summary)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(events)
}

/// How many stored events the index covers, of how many.
pub(crate) fn progress(conn: &Connection) -> Result<IndexProgress, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let upto = indexed_upto(&tx)?;
    let (total, behind): (i64, i64) = tx.query_row(
        "SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM events WHERE id > ?1)",
        [upto],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    tx.commit()?;
    let total = u64::try_from(total).unwrap_or(0);
    let behind = u64::try_from(behind).unwrap_or(0);
    Ok(IndexProgress {
        indexed: total.saturating_sub(behind),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &[&str]) -> EventFilter {
        EventFilter {
            text: text.iter().map(|w| (*w).to_owned()).collect(),
            ..EventFilter::default()
        }
    }

    #[test]
    fn short_words_and_nul_are_left_to_the_scan() {
        assert_eq!(match_expr(&words(&["ab", " x "])), None);
        assert_eq!(match_expr(&words(&["a\0bc"])), None);
        assert_eq!(
            match_expr(&words(&["ab", " abcd "])).as_deref(),
            Some(r#"("abc" AND "bcd")"#)
        );
    }

    #[test]
    fn quotes_are_doubled_and_the_header_spelling_is_offered_too() {
        assert_eq!(
            match_expr(&words(&["a\"b"])).as_deref(),
            Some(r#"(("a""b") OR ("a\""" AND "\""b"))"#)
        );
    }

    #[test]
    fn a_long_word_looks_up_a_spread_of_its_trigrams() {
        let word: String = ('a'..='z').collect();
        let expr = match_expr(&words(&[&word])).expect("indexable");
        assert_eq!(expr.matches(" AND ").count(), MAX_TRIGRAMS - 1);
        assert!(
            expr.starts_with("(\"abc\"") && expr.ends_with("\"xyz\")"),
            "{expr}"
        );
    }
}
