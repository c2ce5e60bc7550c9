//! The STS budget of one (source identity, STS region): a token bucket whose rate backs off
//! on throttling (additive increase, multiplicative decrease), a cap on calls in flight, and
//! the outage gate that lets one probe through at a time while STS fails for everybody.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep};
use aws_smithy_async::time::SharedTimeSource;
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

use crate::error::Error;
use crate::refresh::Backoff;

/// Consecutive failures for everybody (5xx, timeouts, source trouble) that mean an outage.
const OUTAGE_AFTER_FAILURES: u32 = 3;
/// The slowest the bucket goes after repeated throttling, as a fraction of the configured rate.
const MIN_RATE_FRACTION: f64 = 1.0 / 32.0;
/// Successes needed to climb back from the floor to the configured rate, roughly.
const RECOVERY_STEPS: f64 = 200.0;

/// How fast and how many at once STS may be called for one budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BudgetLimits {
    pub per_second: f64,
    pub burst: u32,
    pub max_in_flight: u32,
    pub probe_backoff: Backoff,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    rate: f64,
    last: SystemTime,
    /// Consecutive calls that failed for reasons not the tenant's, outside an outage.
    unavailable_run: u32,
    outage: Option<Outage>,
}

#[derive(Debug, Clone)]
struct Outage {
    failures: u32,
    since: SystemTime,
    next_probe: SystemTime,
    probing: bool,
    last_error: Error,
}

enum Step {
    Go {
        probe: bool,
    },
    /// A token is reserved; it is due after this wait.
    Paced(Duration),
    /// The outage gate is shut; look again after this wait or when a probe ends.
    Gated(Duration),
}

/// What a finished call tells the budget.
pub(crate) enum Verdict {
    Success,
    Throttled,
    /// STS (or the source credentials) failed for reasons that are not the tenant's.
    Unavailable(Error),
    /// The tenant's own problem: nothing to learn about STS.
    Refused,
}

/// What the budget's state changed into, for events.
#[derive(Debug, PartialEq)]
pub(crate) enum Transition {
    None,
    OutageStarted,
    OutageEnded { after: Duration },
    RateLowered { per_second: f64 },
}

/// Permission to make one STS call: an in-flight slot, a token, and (in an outage) the probe.
/// Dropped without [`Budget::finish`] (a cancelled call), it still frees the probe.
pub(crate) struct CallPermit<'a> {
    _slot: SemaphorePermit<'a>,
    budget: &'a Budget,
    probe: bool,
    finished: bool,
}

impl Drop for CallPermit<'_> {
    fn drop(&mut self) {
        self.budget.in_flight.fetch_sub(1, Ordering::Relaxed);
        if self.probe && !self.finished {
            if let Some(o) = self.budget.lock().outage.as_mut() {
                o.probing = false;
            }
            self.budget.gate.notify_waiters();
        }
    }
}

pub(crate) struct Budget {
    limits: BudgetLimits,
    bucket: Mutex<Bucket>,
    slots: Semaphore,
    /// Wakes callers waiting at the outage gate when a probe ends.
    gate: Notify,
    /// Wakes readers when an outage starts, so none keeps waiting on a queued call.
    outage_started: Notify,
    time: SharedTimeSource,
    sleep: SharedAsyncSleep,
    pub(crate) in_flight: AtomicU64,
    pub(crate) queued: AtomicU64,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Budget {
    pub(crate) fn new(
        limits: BudgetLimits,
        time: SharedTimeSource,
        sleep: SharedAsyncSleep,
    ) -> Self {
        let now = time.now();
        Budget {
            bucket: Mutex::new(Bucket {
                tokens: f64::from(limits.burst),
                rate: limits.per_second,
                last: now,
                unavailable_run: 0,
                outage: None,
            }),
            slots: Semaphore::new(limits.max_in_flight as usize),
            gate: Notify::new(),
            outage_started: Notify::new(),
            limits,
            time,
            sleep,
            in_flight: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.bucket.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The error of the outage in progress, if STS is failing for everybody.
    pub(crate) fn outage_error(&self) -> Option<Error> {
        self.lock().outage.as_ref().map(|o| o.last_error.clone())
    }

    /// Resolves when an outage starts (register before checking [`outage_error`]).
    pub(crate) fn outage_started(&self) -> tokio::sync::futures::Notified<'_> {
        self.outage_started.notified()
    }

    /// The current (possibly lowered) rate, calls per second.
    pub(crate) fn rate(&self) -> f64 {
        self.lock().rate
    }

    /// Waits for a slot, then for the outage gate, then for a token.
    pub(crate) async fn acquire(&self) -> Result<CallPermit<'_>, Error> {
        let queued = Gauge::up(&self.queued);
        let Ok(slot) = self.slots.acquire().await else {
            // Only close() fails an acquire, and nothing calls it; said rather than assumed.
            return Err(Error::other("", "the pool's STS budget was shut down"));
        };
        let probe = loop {
            let gate = self.gate.notified();
            let step = self.step();
            match step {
                Step::Go { probe } => break probe,
                Step::Paced(wait) => {
                    self.sleep.sleep(wait).await;
                    break false;
                }
                Step::Gated(wait) => {
                    tokio::select! {
                        _ = self.sleep.sleep(wait) => {}
                        _ = gate => {}
                    }
                }
            }
        };
        drop(queued);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok(CallPermit {
            _slot: slot,
            budget: self,
            probe,
            finished: false,
        })
    }

    /// One look at the bucket and the gate, under the lock (never held across an await).
    fn step(&self) -> Step {
        let mut b = self.lock();
        let now = self.time.now();
        match b.outage.as_mut() {
            Some(o) if o.probing => Step::Gated(self.limits.probe_backoff.base_delay()),
            Some(o) if now < o.next_probe => Step::Gated(
                o.next_probe
                    .duration_since(now)
                    .unwrap_or_default()
                    .max(Duration::from_millis(1)),
            ),
            Some(o) => {
                o.probing = true;
                Step::Go { probe: true }
            }
            None => {
                refill(&mut b, now, self.limits.burst);
                b.tokens -= 1.0;
                if b.tokens >= 0.0 {
                    Step::Go { probe: false }
                } else {
                    Step::Paced(Duration::from_secs_f64(-b.tokens / b.rate))
                }
            }
        }
    }

    /// Records how a call ended and returns its slot.
    pub(crate) fn finish(&self, mut permit: CallPermit<'_>, verdict: Verdict) -> Transition {
        permit.finished = true;
        let now = self.time.now();
        let mut b = self.lock();
        let probe = permit.probe;
        let transition = match verdict {
            Verdict::Success | Verdict::Refused => {
                b.unavailable_run = 0;
                let ended = b.outage.take();
                if matches!(verdict, Verdict::Success) {
                    let step = (self.limits.per_second / RECOVERY_STEPS).max(0.05);
                    b.rate = (b.rate + step).min(self.limits.per_second);
                }
                match ended {
                    Some(o) => {
                        // Release the waiting tenants at the budget's pace, not as a burst.
                        b.tokens = b.tokens.min(1.0);
                        b.last = now;
                        Transition::OutageEnded {
                            after: now.duration_since(o.since).unwrap_or_default(),
                        }
                    }
                    None => Transition::None,
                }
            }
            Verdict::Throttled => {
                b.unavailable_run = 0;
                if let Some(o) = b.outage.as_mut() {
                    // STS answered: it is up, only busy.
                    o.probing = false;
                }
                refill(&mut b, now, self.limits.burst);
                b.tokens = b.tokens.min(0.0);
                let floor = self.limits.per_second * MIN_RATE_FRACTION;
                b.rate = (b.rate / 2.0).max(floor);
                Transition::RateLowered { per_second: b.rate }
            }
            Verdict::Unavailable(err) => match b.outage.as_mut() {
                Some(o) => {
                    o.failures += 1;
                    o.last_error = err;
                    if probe {
                        o.probing = false;
                        o.next_probe = now + self.limits.probe_backoff.ceiling(o.failures);
                    }
                    Transition::None
                }
                None => {
                    b.tokens = b.tokens.min(0.0);
                    b.unavailable_run += 1;
                    if b.unavailable_run >= OUTAGE_AFTER_FAILURES {
                        b.unavailable_run = 0;
                        b.outage = Some(Outage {
                            failures: 1,
                            since: now,
                            next_probe: now + self.limits.probe_backoff.ceiling(1),
                            probing: false,
                            last_error: err,
                        });
                        Transition::OutageStarted
                    } else {
                        Transition::None
                    }
                }
            },
        };
        if !matches!(transition, Transition::None) || probe {
            self.gate.notify_waiters();
        }
        drop(b);
        drop(permit);
        if transition == Transition::OutageStarted {
            self.outage_started.notify_waiters();
        }
        transition
    }
}

fn refill(b: &mut Bucket, now: SystemTime, burst: u32) {
    let elapsed = now.duration_since(b.last).unwrap_or_default().as_secs_f64();
    b.tokens = (b.tokens + elapsed * b.rate).min(f64::from(burst));
    b.last = now;
}

/// Counts a waiter for as long as it waits, even if its future is dropped.
struct Gauge<'a>(&'a AtomicU64);

impl<'a> Gauge<'a> {
    fn up(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Gauge(counter)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
