//! Random delays for spreading refreshes and retries: xorshift64*, because jitter needs spread,
//! not unpredictability, and a lock-free generator keeps it off the read path's locks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

#[derive(Debug)]
pub(crate) struct Jitter(AtomicU64);

impl Jitter {
    /// Seeded from the OS; a time-based seed is good enough when the OS RNG is gone, since
    /// jitter only spreads load.
    pub(crate) fn new() -> Self {
        let mut seed = [0u8; 8];
        if getrandom::fill(&mut seed).is_err() {
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9_7F4A_7C15);
            seed = nanos.to_le_bytes();
        }
        Jitter(AtomicU64::new(u64::from_le_bytes(seed) | 1))
    }

    /// A uniformly spread duration in `[0, upto]`.
    pub(crate) fn up_to(&self, upto: Duration) -> Duration {
        let nanos = upto.as_nanos().min(u128::from(u64::MAX)) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next() % (nanos + 1))
    }

    fn next(&self) -> u64 {
        let step = |mut x: u64| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x
        };
        let prev = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| Some(step(x)))
            .unwrap_or(1);
        step(prev).wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_the_bound_and_spreads() {
        let jitter = Jitter::new();
        let bound = Duration::from_secs(10);
        let draws: Vec<Duration> = (0..1000).map(|_| jitter.up_to(bound)).collect();
        assert!(draws.iter().all(|d| *d <= bound));
        assert!(draws.iter().any(|d| *d < bound / 4));
        assert!(draws.iter().any(|d| *d > bound * 3 / 4));
        assert_eq!(jitter.up_to(Duration::ZERO), Duration::ZERO);
    }
}
