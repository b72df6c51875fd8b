//! The bytes of request bodies that all connections hold at once, bounded (`--max-in-flight`):
//! many large uploads held open cannot take the process's memory. A request that would pass
//! the bound gets 503 with `Retry-After`, and nothing of it is stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The shared count of body bytes held (an `Arc`'d atomic, cheap to clone).
#[derive(Clone, Debug)]
pub struct InFlight {
    /// Bytes held now, by every connection together.
    held: Arc<AtomicU64>,
    /// The most they may hold.
    cap: u64,
}

/// One request's share of the bound, given back when dropped.
#[derive(Debug)]
pub struct Hold {
    /// The shared count.
    pool: InFlight,
    /// Bytes this request holds.
    bytes: u64,
}

impl InFlight {
    /// A bound of `cap` bytes.
    pub fn new(cap: u64) -> InFlight {
        InFlight {
            held: Arc::default(),
            cap,
        }
    }

    /// The bound in bytes.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Bytes held now.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    /// An empty share for one request.
    pub fn hold(&self) -> Hold {
        Hold {
            pool: self.clone(),
            bytes: 0,
        }
    }
}

impl Hold {
    /// Grows this share to `total` bytes; `false` (and no change) when that would pass the bound.
    pub fn cover(&mut self, total: u64) -> bool {
        let Some(more) = total.checked_sub(self.bytes).filter(|m| *m > 0) else {
            return true;
        };
        let held = &self.pool.held;
        let mut now = held.load(Ordering::Relaxed);
        loop {
            if now.saturating_add(more) > self.pool.cap {
                return false;
            }
            match held.compare_exchange_weak(now, now + more, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    self.bytes = total;
                    return true;
                }
                Err(actual) => now = actual,
            }
        }
    }

    /// The bound of the pool this share is taken from.
    pub fn pool_cap(&self) -> u64 {
        self.pool.cap
    }

    /// Gives the whole share back.
    pub fn release(&mut self) {
        self.pool.held.fetch_sub(self.bytes, Ordering::AcqRel);
        self.bytes = 0;
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_bound_and_come_back_when_dropped() {
        let pool = InFlight::new(100);
        let mut a = pool.hold();
        assert!(a.cover(60));
        assert!(a.cover(40), "shrinking is a no-op");
        let mut b = pool.hold();
        assert!(!b.cover(41), "60 + 41 > 100");
        assert!(b.cover(40));
        assert_eq!(pool.held(), 100);
        drop(a);
        assert_eq!(pool.held(), 40);
        assert!(b.cover(100));
        b.release();
        assert_eq!(pool.held(), 0);
    }
}
