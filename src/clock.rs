//! Where hookpit reads the time when it stamps what it will judge or schedule by: the time a
//! webhook arrived (its signature's timestamp is checked against it), the timestamp of a
//! re-signed replay or a sent event, and when a failed delivery is retried. The system clock in
//! production; a test hands `App` a manual clock and moves it, instead of racing the wall clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// A cheap-to-clone clock: the system's, or a manual one shared by its clones.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// The manual time; `None` reads the system clock.
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// A clock that stands at `at` until [`Clock::advance`] moves it.
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
            None => Utc::now(),
        }
    }

    /// Moves a manual clock forward (every clone sees it); the system clock moves by itself, so
    /// this does nothing to it.
    pub fn advance(&self, by: chrono::Duration) {
        if let Some(at) = &self.manual {
            let mut at = at.lock().unwrap_or_else(|p| p.into_inner());
            *at += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_for_every_clone() {
        let start = DateTime::from_timestamp(1_900_000_000, 0).expect("in range");
        let clock = Clock::manual(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(chrono::Duration::seconds(90));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
        let system = Clock::default();
        assert!((system.now() - Utc::now()).num_seconds().abs() < 5);
    }
}
