//! The pool's one timer driver: a single task that starts each tenant's refresh at its planned
//! point and evicts idle tenants, instead of a sleeping task per tenant.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use aws_smithy_async::rt::sleep::AsyncSleep;
use tokio::sync::Notify;

use super::events::EvictReason;
use super::tenant::Tenant;
use super::PoolInner;

/// Planned refreshes, earliest first; a tenant appears at most once.
#[derive(Default)]
pub(crate) struct Timers {
    due: Mutex<BTreeMap<(SystemTime, u64), Weak<Tenant>>>,
    /// Wakes the driver when a refresh is planned earlier than the one it sleeps for.
    wake: Notify,
}

impl Timers {
    pub(crate) fn plan(&self, at: SystemTime, tenant: &Arc<Tenant>) {
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = due.keys().next().map(|(t, _)| *t);
        due.insert((at, tenant.id), Arc::downgrade(tenant));
        drop(due);
        if earliest.is_none_or(|e| at < e) {
            self.wake.notify_one();
        }
    }

    fn take_due(&self, now: SystemTime) -> (Vec<Weak<Tenant>>, Option<SystemTime>) {
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        let later = due.split_off(&(now, u64::MAX));
        let ready = std::mem::replace(&mut *due, later);
        let next = due.keys().next().map(|(t, _)| *t);
        (ready.into_values().collect(), next)
    }

    pub(crate) fn notify_driver(&self) {
        self.wake.notify_one();
    }
}

/// How often idle tenants are looked for when nothing else wakes the driver.
fn sweep_every(idle_timeout: Option<Duration>) -> Duration {
    idle_timeout
        .map(|d| (d / 4).clamp(Duration::from_secs(1), Duration::from_secs(60)))
        .unwrap_or(Duration::from_secs(60))
}

/// Runs until the pool is dropped. Holds only a weak reference between wake-ups.
pub(crate) async fn run(pool: Weak<PoolInner>) {
    let mut next_sweep = None;
    loop {
        let (sleep, sleep_for, timers) = {
            let Some(pool) = pool.upgrade() else { return };
            let now = pool.now();
            let (ready, next) = pool.timers.take_due(now);
            for tenant in ready.iter().filter_map(Weak::upgrade) {
                if tenant.evicted.load(std::sync::atomic::Ordering::Relaxed) {
                    continue;
                }
                match pool.config.idle_timeout {
                    Some(idle) if tenant.idle_for(now) >= idle => {
                        pool.evict(&tenant, EvictReason::Idle);
                    }
                    // Its job reports failures to nobody; the next read sees the state.
                    _ => {
                        let _ = tenant.start_or_join(&pool);
                    }
                }
            }
            let sweep_at = *next_sweep.get_or_insert(now + sweep_every(pool.config.idle_timeout));
            if now >= sweep_at {
                pool.sweep_idle(now);
                next_sweep = Some(now + sweep_every(pool.config.idle_timeout));
            }
            let until = next.map_or(sweep_at, |n| n.min(sweep_at));
            let sleep_for = until.duration_since(now).unwrap_or_default();
            (pool.config.sleep.clone(), sleep_for, pool.timers_handle())
        };
        tokio::select! {
            _ = sleep.sleep(sleep_for.max(Duration::from_millis(1))) => {}
            _ = timers.wake.notified() => {}
        }
    }
}
