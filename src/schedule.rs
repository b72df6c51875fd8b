//! Retry schedules: when each delivery try happens, counted from the first. `svix` is Svix's
//! own schedule, so a developer sees the retries their app will really get.

use std::time::Duration;

use crate::duration::parse_duration;

/// Svix's schedule: 0s, 5s, 5m, 30m, 2h, 5h, 10h, 10h (delays between tries).
const SVIX: [u64; 8] = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// A fast schedule for local testing: 0s, 1s, 2s, 5s, 10s, 30s.
const FAST: [u64; 6] = [0, 1, 2, 5, 10, 30];

/// Delays before each try; the first is normally zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule::from_secs(&SVIX)
    }
}

impl RetrySchedule {
    fn from_secs(secs: &[u64]) -> RetrySchedule {
        RetrySchedule {
            delays: secs.iter().map(|&s| Duration::from_secs(s)).collect(),
        }
    }

    /// Parses `svix`, `fast`, or a list like `0s,2s,1m`.
    pub fn parse(text: &str) -> Result<RetrySchedule, String> {
        match text.trim() {
            "svix" => Ok(RetrySchedule::from_secs(&SVIX)),
            "fast" => Ok(RetrySchedule::from_secs(&FAST)),
            "" => Err("an empty retry schedule: use svix, fast or a list like 0s,5s,1m".into()),
            list => Ok(RetrySchedule {
                delays: list
                    .split(',')
                    .map(parse_duration)
                    .collect::<Result<_, _>>()?,
            }),
        }
    }

    /// A schedule of one try (no retries).
    pub fn once() -> RetrySchedule {
        RetrySchedule::from_secs(&[0])
    }

    /// How many tries in all.
    pub fn tries(&self) -> usize {
        self.delays.len()
    }

    /// The delay before try number `n` (0-based); `None` past the last try.
    pub fn delay_before(&self, n: usize) -> Option<Duration> {
        self.delays.get(n).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_listed_schedules_parse() {
        let svix = RetrySchedule::parse("svix").expect("svix");
        assert_eq!(svix.tries(), 8);
        assert_eq!(svix.delay_before(2), Some(Duration::from_secs(300)));
        assert_eq!(svix.delay_before(8), None);
        assert_eq!(RetrySchedule::parse("fast").expect("fast").tries(), 6);
        let list = RetrySchedule::parse("0s,2s,1m").expect("list");
        assert_eq!(list.delay_before(2), Some(Duration::from_secs(60)));
        assert!(RetrySchedule::parse("0s,soon").is_err());
        assert!(RetrySchedule::parse("").is_err());
    }
}
