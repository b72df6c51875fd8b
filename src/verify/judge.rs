//! Shared by the schemes: judging a timestamp against the receive time, and turning what a scheme
//! found into a [`Verdict`] with its reason and its one sentence for the UI.

use super::provider::Provider;
use super::{Key, Reason, Status, TOLERANCE_S, Verdict};

impl Verdict {
    /// A signed verdict of `provider` with timestamp facts filled in and everything else empty;
    /// a scheme completes it with [`Verdict::conclude`] or [`Verdict::unverified`].
    pub(super) fn signed(
        provider: &Provider,
        msg_id: Option<String>,
        ts: Option<&TimestampCheck>,
    ) -> Verdict {
        Verdict {
            status: Status::Invalid,
            reason: None,
            provider: Some(provider.name.to_string()),
            scheme: Some(provider.algorithm),
            msg_id,
            timestamp: ts.and_then(|t| t.value),
            skew_s: ts.and_then(|t| t.skew_s),
            signature_ok: None,
            timestamp_ok: ts.and_then(|t| t.ok()),
            matched_key: None,
            message: String::new(),
        }
    }

    /// Completes a verdict when no key in `keys` can verify this scheme.
    pub(super) fn unverified(mut self, keys: &[Key], wanted: &str) -> Verdict {
        let name = (self.provider.as_deref())
            .and_then(super::registry::find)
            .map_or("an unknown scheme", |p| p.title);
        self.status = Status::Unverified;
        self.message = match keys.len() {
            0 => format!("Signed with {name}, but no key is configured: add one to verify."),
            n => format!(
                "Signed with {name}, but none of the {n} configured keys can verify it: add {wanted} to verify."
            ),
        };
        self
    }

    /// Fails a verdict before any key was tried (missing or malformed header).
    pub(super) fn fail(mut self, reason: Reason, message: String) -> Verdict {
        self.status = Status::Invalid;
        self.reason = Some(reason);
        self.message = message;
        self
    }

    /// Completes a verdict once signatures were compared: picks the reason (a bad timestamp first,
    /// then the signature, then the tolerance) and writes the sentence. `mismatch` is the message
    /// to use when nothing matched; `verifier` names who would reject an out-of-tolerance timestamp.
    pub(super) fn conclude(
        mut self,
        ts: Option<&TimestampCheck>,
        matched: Option<&Key>,
        mismatch: String,
        verifier: &str,
    ) -> Verdict {
        self.signature_ok = Some(matched.is_some());
        self.matched_key = matched.map(|k| k.label().to_string());
        let problem = ts.and_then(|t| t.problem.map(|p| (t, p)));
        let (reason, message) = match (matched, problem) {
            (_, Some((t, Reason::BadTimestamp))) => (Some(Reason::BadTimestamp), t.bad_message()),
            (None, _) => (Some(Reason::SignatureMismatch), mismatch),
            (Some(key), Some((t, reason))) => (
                Some(reason),
                format!(
                    "Signature matches key \"{}\", but the timestamp is {}: a {verifier} verifier would reject it (limit {}).",
                    key.label(),
                    age_phrase(t.skew_s.unwrap_or_default()),
                    format_limit(t.limit.unwrap_or(TOLERANCE_S)),
                ),
            ),
            (Some(key), None) => (
                None,
                match ts.and_then(|t| t.skew_s) {
                    Some(skew) => format!(
                        "Signature matches key \"{}\"; timestamp {}.",
                        key.label(),
                        age_phrase(skew)
                    ),
                    None => format!("Signature matches key \"{}\".", key.label()),
                },
            ),
        };
        self.status = if reason.is_none() {
            Status::Valid
        } else {
            Status::Invalid
        };
        self.reason = reason;
        self.message = message;
        self
    }
}

/// A header value for a message, lossy and cut short, since headers are attacker-controlled.
fn shown(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// What a timestamp header says, judged against the receive time.
pub(super) struct TimestampCheck {
    /// Where it came from, for messages, e.g. "svix-timestamp header".
    what: String,
    /// The raw header value, for messages.
    raw: String,
    /// The parsed unix seconds, when the value is a strict integer.
    value: Option<i64>,
    /// Receive time minus timestamp.
    skew_s: Option<i64>,
    /// `BadTimestamp`, `TimestampTooOld`, `TimestampTooNew`, or `None` when within tolerance.
    problem: Option<Reason>,
    /// The tolerance judged against; `None` when the provider sets none.
    limit: Option<i64>,
    /// The form a good value has, for the message when it has not.
    form: &'static str,
}

impl TimestampCheck {
    /// Parses `raw` (found in `what`) strictly and compares it with `now`.
    pub(super) fn new(what: String, raw: &[u8], now: i64) -> TimestampCheck {
        TimestampCheck::parsed(what, raw, parse_strict_i64(raw), now, Some(TOLERANCE_S))
    }

    /// A timestamp already parsed (`value`, unix seconds) from `raw`, judged against `now` with
    /// `limit` seconds either way, or not judged when the provider sets no limit.
    pub(super) fn parsed(
        what: String,
        raw: &[u8],
        value: Option<i64>,
        now: i64,
        limit: Option<i64>,
    ) -> TimestampCheck {
        let skew_s = value.map(|ts| now.saturating_sub(ts));
        let problem = match (skew_s, limit) {
            (None, _) => Some(Reason::BadTimestamp),
            (Some(s), Some(l)) if s > l => Some(Reason::TimestampTooOld),
            (Some(s), Some(l)) if s < -l => Some(Reason::TimestampTooNew),
            _ => None,
        };
        TimestampCheck {
            what,
            raw: shown(raw),
            value,
            skew_s,
            problem,
            limit,
            form: "a whole number of unix seconds",
        }
    }

    /// Judges only age, as verifiers that accept any future timestamp do: a timestamp ahead of
    /// the receive time is within tolerance however far ahead.
    pub(super) fn past_only(mut self, yes: bool) -> TimestampCheck {
        if yes && self.problem == Some(Reason::TimestampTooNew) {
            self.problem = None;
        }
        self
    }

    /// Names the form a good value has ("an RFC 3339 time"), for the message when it has not.
    pub(super) fn with_form(mut self, form: &'static str) -> TimestampCheck {
        self.form = form;
        self
    }

    /// Whether the timestamp is within tolerance; `None` when it does not parse or no
    /// tolerance applies.
    fn ok(&self) -> Option<bool> {
        self.value.and(self.limit).map(|_| self.problem.is_none())
    }

    /// The sentence for a timestamp that is not an integer.
    fn bad_message(&self) -> String {
        format!("The {} \"{}\" is not {}.", self.what, self.raw, self.form)
    }
}

/// An optional `-` and 1 to 19 ASCII digits, in range for `i64`; nothing else (no `+`, spaces).
pub(super) fn parse_strict_i64(raw: &[u8]) -> Option<i64> {
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(raw).ok()?.parse().ok()
}

/// A duration for people: "42 s", "12 min", "3 h", "2 d" (seconds up to 10 min, so "301 s" stays
/// distinguishable from the 5 min limit).
fn format_age(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    match s {
        0..600 => format!("{s} s"),
        600..7_200 => format!("{} min", s / 60),
        7_200..172_800 => format!("{} h", s / 3_600),
        _ => format!("{} d", s / 86_400),
    }
}

/// A tolerance for people: "5 min".
fn format_limit(limit: i64) -> String {
    match limit % 60 {
        0 => format!("{} min", limit / 60),
        _ => format!("{limit} s"),
    }
}

/// "12 min old" or "5 s in the future", for a skew of receive time minus timestamp.
fn age_phrase(skew_s: i64) -> String {
    if skew_s >= 0 {
        format!("{} old", format_age(skew_s))
    } else {
        format!("{} in the future", format_age(skew_s))
    }
}

/// The sentence when no signature matched, naming every key tried (a route's own and the
/// global ones), so a user can see which one they expected is missing.
pub(super) fn mismatch_message(keys: &[&Key], what_changed: &str) -> String {
    match keys {
        [key] => format!(
            "Signature does not match the configured key \"{}\": {what_changed}, or the key is wrong.",
            key.label()
        ),
        _ => format!(
            "Signature does not match any of the {} configured keys ({}): {what_changed}, or the key is wrong.",
            keys.len(),
            tried(keys)
        ),
    }
}

/// Most key labels a message lists before saying how many more there are.
const LISTED_KEYS: usize = 5;

/// `"prod", "old" and 2 more`: the labels of the keys tried, in order.
fn tried(keys: &[&Key]) -> String {
    let mut text = keys
        .iter()
        .take(LISTED_KEYS)
        .map(|k| format!("\"{}\"", k.label()))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > LISTED_KEYS {
        text.push_str(&format!(" and {} more", keys.len() - LISTED_KEYS));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_humanely() {
        assert_eq!(age_phrase(2), "2 s old");
        assert_eq!(age_phrase(-301), "301 s in the future");
        assert_eq!(age_phrase(720), "12 min old");
        assert_eq!(age_phrase(3 * 3_600 + 59), "3 h old");
        assert_eq!(age_phrase(5 * 86_400), "5 d old");
        assert_eq!(format_age(i64::MIN), "106751991167300 d");
    }

    #[test]
    fn timestamps_are_strict_integers() {
        assert_eq!(parse_strict_i64(b"1614265330"), Some(1614265330));
        assert_eq!(parse_strict_i64(b"-1"), Some(-1));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"1.0",
            b"1e9",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_strict_i64(bad), None, "{bad:?}");
        }
        let far = TimestampCheck::new("t".to_string(), b"-9223372036854775808", i64::MAX);
        assert_eq!(
            (far.skew_s, far.problem),
            (Some(i64::MAX), Some(Reason::TimestampTooOld))
        );
    }
}
