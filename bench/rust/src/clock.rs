//! A wall clock the harness can move forward, shared by both sides (the STS double, the SDK's
//! identity cache through its runtime components, and the session), so "a refresh is due" can
//! be reached without waiting 15 minutes while the STS double's 2 s delay stays real.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_async::rt::sleep::{AsyncSleep, Sleep};
use aws_smithy_async::time::TimeSource;

/// System time plus an offset in seconds that only grows.
#[derive(Debug, Clone, Default)]
pub struct Jumpable(Arc<AtomicU64>);

impl Jumpable {
    /// Sets the offset: the clock reads `SystemTime::now() + secs`.
    pub fn jump_to(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

impl TimeSource for Jumpable {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

/// Sleeps until the jumpable clock reaches the target, looking every millisecond, so a jump
/// wakes the session's background task at once.
#[derive(Debug, Clone)]
pub struct JumpableSleep(pub Jumpable);

impl AsyncSleep for JumpableSleep {
    fn sleep(&self, d: Duration) -> Sleep {
        let clock = self.0.clone();
        let target = clock.now() + d;
        Sleep::new(async move {
            while clock.now() < target {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    }
}
