//! What the pool reports: a [`PoolStats`] snapshot and the [`PoolEvent`]s given to a hook.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::error::Error;

/// A snapshot of a pool's counters and gauges, for health checks and metrics.
///
/// # Examples
///
/// ```
/// let pool = cross_account::CrossAccountPool::builder().build()?;
/// let stats = pool.stats();
/// assert_eq!((stats.sts_calls, stats.sessions, stats.in_flight), (0, 0, 0));
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct PoolStats {
    /// AssumeRole calls sent to STS (the onboarding check's included).
    pub sts_calls: u64,
    /// Calls STS answered with `Throttling`.
    pub throttled: u64,
    /// Credentials issued to tenants.
    pub issued: u64,
    /// Calls waiting for the budget (a slot, a token, or the outage gate).
    pub queued: u64,
    /// Calls in flight now; never above `max_in_flight` per budget.
    pub in_flight: u64,
    /// Tenants held by the pool now.
    pub sessions: u64,
    /// Tenants quarantined now after STS refused them.
    pub quarantined: u64,
    /// Tenants evicted so far (idle, or over `max_sessions`).
    pub evicted: u64,
    /// Outages seen so far (STS failing for everybody).
    pub outages: u64,
    /// Whether a budget is in an outage now (one probe at a time).
    pub in_outage: bool,
    /// The lowest current call rate over the budgets, calls per second (below the configured
    /// rate after throttling).
    pub rate_per_second: f64,
}

/// Why a tenant left the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvictReason {
    /// Not read for `idle_timeout`.
    Idle,
    /// The pool held `max_sessions` and a new tenant came; the least recently read one left.
    Capacity,
}

/// Something the pool did, for metrics and logs. Never holds a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum PoolEvent<'a> {
    /// A tenant got credentials.
    Issued {
        /// The tenant's role.
        role_arn: &'a str,
        /// When they expire.
        expiration: SystemTime,
    },
    /// STS throttled a call; the budget slowed down and the call waits its turn again.
    Throttled {
        /// The tenant whose call was throttled.
        role_arn: &'a str,
        /// The budget's new rate.
        rate_per_second: f64,
    },
    /// STS refused a tenant; it is quarantined until `until`.
    Quarantined {
        /// The refused role.
        role_arn: &'a str,
        /// What STS said.
        error: &'a Error,
        /// When the next attempt may be made.
        until: SystemTime,
    },
    /// STS fails for everybody: from now on one probe at a time.
    OutageStarted {
        /// The last failure.
        error: &'a Error,
    },
    /// A probe succeeded; waiting tenants are released at the budget's pace.
    OutageEnded {
        /// How long the outage lasted.
        after: Duration,
    },
    /// A tenant left the pool.
    Evicted {
        /// The tenant's role.
        role_arn: &'a str,
        /// Why.
        reason: EvictReason,
    },
}

/// The pool's counters (gauges live where they are kept: budgets, tenant map).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub sts_calls: AtomicU64,
    pub throttled: AtomicU64,
    pub issued: AtomicU64,
    pub quarantined: AtomicU64,
    pub evicted: AtomicU64,
    pub outages: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
