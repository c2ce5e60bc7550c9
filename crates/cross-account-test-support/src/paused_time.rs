//! The one hand-written test clock. The aws-smithy-async `test-util` clocks move only when told
//! (`ManualTimeSource::advance`, `TickAdvanceTime::tick`) or when their own sleep ends
//! (`InstantSleep`, `ControlledSleep`). The paused-clock tests need wall time on the same time
//! line as every tokio timer they do not own: the SDK's attempt timeout, the double's answer
//! delay, `tokio::time::timeout` around a read, all of which tokio auto-advances when the
//! runtime idles. That is what this clock follows.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::TimeSource;

/// Wall-clock time that advances exactly as tokio's (possibly paused) clock does.
#[derive(Debug, Clone)]
pub struct PausedTime {
    start_wall: SystemTime,
    start: tokio::time::Instant,
}

impl PausedTime {
    /// Starts at a fixed wall time (2027-01-15), now on tokio's clock.
    pub fn new() -> Self {
        PausedTime {
            start_wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            start: tokio::time::Instant::now(),
        }
    }
}

impl Default for PausedTime {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeSource for PausedTime {
    fn now(&self) -> SystemTime {
        self.start_wall + (tokio::time::Instant::now() - self.start)
    }
}
