//! Sequence chaos for bulk replays and `hookpit send --repeat`: the order the messages go out in (original, reverse, or
//! shuffled with a seed so a run can be repeated), a share of them sent twice under the same
//! message id, and how many are in flight at once. Svix promises at-least-once delivery and no
//! order; this is how an app's handling of both is tested.
//!
//! The shuffle uses its own small generator (splitmix64) rather than a library's, so the same
//! seed gives the same order in every build of hookpit.

use serde::{Deserialize, Serialize};

/// The largest seed: the largest integer a JSON number keeps exactly in JavaScript, so a seed
/// copied from the UI or the API repeats the run.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// The largest `concurrency` accepted.
pub const MAX_CONCURRENCY: usize = 64;

/// The order a bulk replay sends its messages in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Oldest first, as they were received.
    #[default]
    Original,
    /// Newest first.
    Reverse,
    /// A seeded random permutation.
    Shuffle,
}

impl Order {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Original => "original",
            Order::Reverse => "reverse",
            Order::Shuffle => "shuffle",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Order> {
        match s {
            "original" => Some(Order::Original),
            "reverse" => Some(Order::Reverse),
            "shuffle" => Some(Order::Shuffle),
            _ => None,
        }
    }
}

/// The chaos options of a bulk replay, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Chaos {
    /// Send order.
    pub order: Order,
    /// The seed of the shuffle and of which messages are duplicated.
    pub seed: u64,
    /// Share of messages sent twice (0–1).
    pub duplicates: f64,
    /// Messages in flight at once (≥ 1).
    pub concurrency: usize,
}

/// Why chaos options were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChaosError {
    /// `duplicates` outside 0–1 (or not a number).
    #[error("duplicates must be a share between 0 and 1, got {0}")]
    Duplicates(f64),
    /// `concurrency` of 0 or too many.
    #[error("concurrency must be between 1 and {MAX_CONCURRENCY}, got {0}")]
    Concurrency(i64),
    /// A negative seed or one past [`MAX_SEED`].
    #[error("seed must be between 0 and {MAX_SEED}, got {0}")]
    Seed(i64),
}

impl Chaos {
    /// Checks the options; a missing seed is drawn from `entropy` (so it can be printed and
    /// given back to repeat the run).
    pub fn new(
        order: Order,
        seed: Option<i64>,
        duplicates: Option<f64>,
        concurrency: Option<i64>,
        entropy: u64,
    ) -> Result<Chaos, ChaosError> {
        let duplicates = duplicates.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&duplicates) {
            return Err(ChaosError::Duplicates(duplicates));
        }
        let concurrency = concurrency.unwrap_or(1);
        let concurrency = usize::try_from(concurrency)
            .ok()
            .filter(|c| (1..=MAX_CONCURRENCY).contains(c))
            .ok_or(ChaosError::Concurrency(concurrency))?;
        let seed = match seed {
            Some(s) => u64::try_from(s)
                .ok()
                .filter(|s| *s <= MAX_SEED)
                .ok_or(ChaosError::Seed(s))?,
            None => splitmix(&mut entropy.clone()) & MAX_SEED,
        };
        Ok(Chaos {
            order,
            seed,
            duplicates,
            concurrency,
        })
    }

    /// The messages in the order they go out: each an index into the selected events and
    /// whether it is the second sending of one already in the plan.
    pub fn plan(&self, n: usize) -> Vec<Step> {
        let mut rng = self.seed;
        let mut order: Vec<usize> = (0..n).collect();
        match self.order {
            Order::Original => {}
            Order::Reverse => order.reverse(),
            Order::Shuffle => shuffle(&mut order, &mut rng),
        }
        let mut steps: Vec<Step> = order
            .into_iter()
            .map(|index| Step {
                index,
                duplicate: false,
            })
            .collect();
        let copies = (self.duplicates * n as f64).round() as usize;
        // Which messages are sent twice: the first `copies` of a seeded permutation.
        let mut pick: Vec<usize> = (0..n).collect();
        shuffle(&mut pick, &mut rng);
        for index in pick.into_iter().take(copies) {
            let first = steps
                .iter()
                .position(|s| s.index == index && !s.duplicate)
                .expect("every index is in the plan once");
            // The second copy goes anywhere after the first, so with concurrency it may race.
            let room = (steps.len() - first) as u64;
            let at = first + 1 + (splitmix(&mut rng) % room) as usize;
            steps.insert(
                at,
                Step {
                    index,
                    duplicate: true,
                },
            );
        }
        steps
    }
}

/// The sequence flags of `hookpit replay --since` and `hookpit send --repeat`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ChaosArgs {
    /// Send order: original, reverse or shuffle (seeded; the seed is printed).
    #[arg(long, value_name = "ORDER", default_value = "original", value_parser = parse_order)]
    pub order: Order,
    /// Seed of the shuffle and of which messages are sent twice (repeat a run with it).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Share of messages (0–1) sent a second time with the same message id, re-signed.
    #[arg(long, value_name = "SHARE", allow_negative_numbers = true)]
    pub duplicates: Option<f64>,
    /// How many messages are in flight at once.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub concurrency: Option<i64>,
}

impl ChaosArgs {
    /// The flags, checked; a missing seed is drawn from the clock.
    pub fn chaos(&self) -> Result<Chaos, ChaosError> {
        Chaos::new(
            self.order,
            self.seed,
            self.duplicates,
            self.concurrency,
            clock_entropy(),
        )
    }
}

/// Nanoseconds of the wall clock: where a seed nobody gave comes from.
pub fn clock_entropy() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Parses `--order`.
fn parse_order(s: &str) -> Result<Order, String> {
    Order::parse(s).ok_or_else(|| format!("{s:?} is not an order: original, reverse or shuffle"))
}

/// One message of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Index into the selected events (oldest first).
    pub index: usize,
    /// The second sending of this message.
    pub duplicate: bool,
}

/// Fisher–Yates with splitmix64.
fn shuffle(items: &mut [usize], rng: &mut u64) {
    for i in (1..items.len()).rev() {
        let j = (splitmix(rng) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// splitmix64: one step of the generator.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chaos(order: Order, seed: i64, duplicates: f64) -> Chaos {
        Chaos::new(order, Some(seed), Some(duplicates), None, 0).expect("valid")
    }

    fn indexes(steps: &[Step]) -> Vec<usize> {
        steps.iter().map(|s| s.index).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_order_and_another_seed_another() {
        let a = chaos(Order::Shuffle, 42, 0.0).plan(20);
        assert_eq!(a, chaos(Order::Shuffle, 42, 0.0).plan(20));
        assert_ne!(
            indexes(&a),
            indexes(&chaos(Order::Shuffle, 43, 0.0).plan(20))
        );
        let mut sorted = indexes(&a);
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>(), "a permutation");
        assert_ne!(indexes(&a), (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn original_and_reverse_orders() {
        assert_eq!(
            indexes(&chaos(Order::Original, 1, 0.0).plan(4)),
            [0, 1, 2, 3]
        );
        assert_eq!(
            indexes(&chaos(Order::Reverse, 1, 0.0).plan(4)),
            [3, 2, 1, 0]
        );
        assert!(chaos(Order::Shuffle, 1, 1.0).plan(0).is_empty());
    }

    #[test]
    fn a_share_of_duplicates_each_after_its_first_sending() {
        let plan = chaos(Order::Original, 7, 0.3).plan(10);
        assert_eq!(plan.len(), 13);
        let dups: Vec<&Step> = plan.iter().filter(|s| s.duplicate).collect();
        assert_eq!(dups.len(), 3);
        for d in dups {
            let first = plan.iter().position(|s| s.index == d.index).expect("first");
            let second = plan
                .iter()
                .rposition(|s| s.index == d.index)
                .expect("second");
            assert!(first < second && !plan[first].duplicate && plan[second].duplicate);
        }
        assert_eq!(chaos(Order::Original, 7, 1.0).plan(5).len(), 10);
    }

    #[test]
    fn bad_options_are_refused_with_the_reason() {
        let err = |d, c, s| Chaos::new(Order::Original, s, d, c, 0).expect_err("refused");
        assert_eq!(err(Some(1.5), None, None), ChaosError::Duplicates(1.5));
        assert_eq!(err(Some(-0.1), None, None), ChaosError::Duplicates(-0.1));
        assert!(matches!(
            err(Some(f64::NAN), None, None),
            ChaosError::Duplicates(_)
        ));
        assert_eq!(err(None, Some(0), None), ChaosError::Concurrency(0));
        assert_eq!(err(None, Some(65), None), ChaosError::Concurrency(65));
        let past = MAX_SEED as i64 + 1;
        assert_eq!(err(None, None, Some(past)), ChaosError::Seed(past));
        assert_eq!(err(None, None, Some(-1)), ChaosError::Seed(-1));
        assert_eq!(err(None, Some(-2), None), ChaosError::Concurrency(-2));
        let drawn = Chaos::new(Order::Shuffle, None, None, None, 99).expect("valid");
        assert!(drawn.seed <= MAX_SEED);
        assert_eq!(drawn.concurrency, 1);
    }
}
