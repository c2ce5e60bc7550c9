//! The clock of the lock-free read path.
//!
//! A fresh read compares the time with the held credentials' usable-until instant. The precise
//! wall clock costs about half of such a read (some 24 ns on a VM), while the comparison is
//! against a margin of tens of seconds, so the system clock is read through
//! `CLOCK_REALTIME_COARSE` where the kernel has it (a vDSO read of the last tick: a few ns,
//! 1 to 4 ms behind). The lag is made up for by [`COARSE_SLACK`], so a coarse read can only make
//! credentials leave service earlier, never later. An injected `TimeSource` (tests, simulations)
//! is always read as given.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;

/// More than a coarse clock's lag (one scheduler tick, at most 10 ms at HZ=100).
const COARSE_SLACK: Duration = Duration::from_millis(20);

#[derive(Clone, Debug)]
pub(crate) enum ReadClock {
    /// The system clock, read coarsely on the hot path.
    System,
    /// A time source given to the session.
    Injected(SharedTimeSource),
}

impl ReadClock {
    /// Now, or a little later: for deciding whether held credentials may still be handed out.
    #[inline]
    pub(crate) fn now_for_reads(&self) -> SystemTime {
        match self {
            ReadClock::System => coarse_now() + COARSE_SLACK,
            ReadClock::Injected(time) => time.now(),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
#[inline]
fn coarse_now() -> SystemTime {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    match (u64::try_from(t.tv_sec), u32::try_from(t.tv_nsec)) {
        (Ok(secs), Ok(nanos)) => SystemTime::UNIX_EPOCH + Duration::new(secs, nanos),
        _ => SystemTime::now(),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
#[inline]
fn coarse_now() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coarse_read_is_never_earlier_than_the_precise_clock() {
        for _ in 0..1000 {
            let precise = SystemTime::now();
            let read = ReadClock::System.now_for_reads();
            assert!(read >= precise, "{read:?} < {precise:?}");
            assert!(read <= SystemTime::now() + COARSE_SLACK);
        }
    }
}
