//! When a cached entry is still handed out: the reuse window.

use std::time::{Duration, SystemTime};

use cross_account::DEFAULT_MANDATORY_MARGIN;

/// The default of `--window`: fetch anew when less than this is left. botocore refreshes
/// credentials with less than 15 minutes left (its advisory window), so credentials handed
/// over with more than that keep it from running `credential-process` again until then.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How far an entry's fetch time may lie in the future (clock adjustments) and still be trusted.
const CLOCK_TOLERANCE: Duration = Duration::from_secs(60);

/// Whether credentials fetched at `fetched_at` and expiring at `expiration` are still handed out
/// at `now`: while more than the window is left, the window being `window` clamped to a third
/// of the lifetime (so a short session is reused for two thirds of it, as the core's own
/// refresh window does) and never under the core's mandatory margin. An entry from the future
/// (the clock was set back) is not trusted.
pub fn reusable(
    expiration: SystemTime,
    fetched_at: SystemTime,
    now: SystemTime,
    window: Duration,
) -> bool {
    if fetched_at > now + CLOCK_TOLERANCE {
        return false;
    }
    let lifetime = expiration.duration_since(fetched_at).unwrap_or_default();
    let window = window.min(lifetime / 3).max(DEFAULT_MANDATORY_MARGIN);
    now + window < expiration
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000 + secs)
    }

    #[test]
    fn an_hour_is_reused_until_the_window() {
        let w = DEFAULT_WINDOW;
        assert!(reusable(at(3600), at(0), at(0), w));
        assert!(reusable(at(3600), at(0), at(3600 - 15 * MIN - 1), w));
        assert!(!reusable(at(3600), at(0), at(3600 - 15 * MIN), w));
        let twenty = Duration::from_secs(20 * MIN);
        assert!(!reusable(at(3600), at(0), at(3600 - 16 * MIN), twenty));
        let five = Duration::from_secs(5 * MIN);
        assert!(reusable(at(3600), at(0), at(3600 - 6 * MIN), five));
    }

    #[test]
    fn the_window_is_clamped_to_a_third_of_the_lifetime_and_the_margin() {
        // 15 minutes: a third is 300 s.
        assert!(reusable(at(900), at(0), at(599), DEFAULT_WINDOW));
        assert!(!reusable(at(900), at(0), at(600), DEFAULT_WINDOW));
        // A window longer than the session still leaves two thirds of it.
        let long = Duration::from_secs(7200);
        assert!(reusable(at(3600), at(0), at(2399), long));
        assert!(!reusable(at(3600), at(0), at(2400), long));
        // Short lifetimes and tiny windows keep the margin.
        assert!(reusable(at(60), at(0), at(29), DEFAULT_WINDOW));
        assert!(!reusable(at(60), at(0), at(30), DEFAULT_WINDOW));
        assert!(!reusable(at(3600), at(0), at(3600 - 30), Duration::ZERO));
        assert!(reusable(at(3600), at(0), at(3600 - 31), Duration::ZERO));
    }

    #[test]
    fn entries_from_the_future_or_expired_are_not_reused() {
        assert!(!reusable(at(3600), at(120), at(0), DEFAULT_WINDOW));
        assert!(reusable(at(3600), at(30), at(0), DEFAULT_WINDOW));
        assert!(!reusable(at(0), at(0), at(10), DEFAULT_WINDOW));
    }
}
