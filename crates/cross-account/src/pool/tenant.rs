//! One tenant: its validated AssumeRole input, the credentials it holds (read without a lock),
//! its quarantine, and the one call in flight for it (a detached job that readers join).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use tokio::sync::watch;

use super::budget::{Transition, Verdict};
use super::events::{Counters, PoolEvent};
use super::lane::Lane;
use super::PoolInner;
use crate::credentials::TemporaryCredentials;
use crate::error::{Error, ErrorKind};
use crate::options::SessionOptions;
use crate::sts::AssumeRoleInput;

pub(crate) type Outcome = Result<TemporaryCredentials, Error>;
type Flight = watch::Receiver<Option<Outcome>>;

#[derive(Debug)]
struct Quarantine {
    until: SystemTime,
    error: Error,
}

pub(crate) struct Tenant {
    pub id: u64,
    pub options: Arc<SessionOptions>,
    pub input: AssumeRoleInput,
    pub lane: Arc<Lane>,
    creds: ArcSwapOption<TemporaryCredentials>,
    /// Milliseconds since the Unix epoch, by the pool's clock.
    last_read: AtomicU64,
    flight: Mutex<Option<Flight>>,
    quarantine: Mutex<Option<Quarantine>>,
    /// Strikes survive a successful-looking quarantine expiry, so a role that keeps refusing
    /// waits longer each time; a success clears them.
    strikes: AtomicU64,
    pub evicted: AtomicBool,
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("role_arn", &self.input.role_arn.as_str())
            .finish_non_exhaustive()
    }
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Tenant {
    pub(crate) fn new(
        id: u64,
        options: Arc<SessionOptions>,
        input: AssumeRoleInput,
        lane: Arc<Lane>,
        now: SystemTime,
    ) -> Self {
        Tenant {
            id,
            options,
            input,
            lane,
            creds: ArcSwapOption::empty(),
            last_read: AtomicU64::new(millis(now)),
            flight: Mutex::new(None),
            quarantine: Mutex::new(None),
            strikes: AtomicU64::new(0),
            evicted: AtomicBool::new(false),
        }
    }

    pub(crate) fn role_arn(&self) -> &str {
        self.input.role_arn.as_str()
    }

    pub(crate) fn touch(&self, now: SystemTime) {
        self.last_read.store(millis(now), Ordering::Relaxed);
    }

    pub(crate) fn idle_for(&self, now: SystemTime) -> Duration {
        Duration::from_millis(millis(now).saturating_sub(self.last_read.load(Ordering::Relaxed)))
    }

    pub(crate) fn last_read_millis(&self) -> u64 {
        self.last_read.load(Ordering::Relaxed)
    }

    /// Held credentials with more than `margin` left: an atomic load, no lock.
    pub(crate) fn fresh(&self, now: SystemTime, margin: Duration) -> Option<TemporaryCredentials> {
        let guard = self.creds.load();
        let creds = guard.as_ref()?;
        (creds.expiration() > now + margin).then(|| TemporaryCredentials::clone(creds))
    }

    fn quarantined(&self, now: SystemTime) -> Option<Error> {
        let q = self.quarantine.lock().unwrap_or_else(|p| p.into_inner());
        q.as_ref()
            .filter(|q| q.until > now)
            .map(|q| q.error.clone())
    }

    pub(crate) fn is_quarantined(&self) -> bool {
        self.quarantine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Leaves quarantine once it has expired (the next read may try again).
    fn lift_expired_quarantine(&self, pool: &PoolInner, now: SystemTime) {
        let mut q = self.quarantine.lock().unwrap_or_else(|p| p.into_inner());
        if q.as_ref().is_some_and(|q| q.until <= now) {
            *q = None;
            pool.counters.quarantined.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The read path below a hit: quarantine, the outage, or join the one call in flight.
    pub(crate) async fn read(self: &Arc<Self>, pool: &Arc<PoolInner>) -> Outcome {
        let now = pool.now();
        self.touch(now);
        if let Some(creds) = self.fresh(now, pool.config.margin) {
            return Ok(creds);
        }
        if let Some(err) = self.quarantined(now) {
            return Err(err);
        }
        let budget = self.lane.budget.clone();
        let outage = budget.outage_started();
        tokio::pin!(outage);
        outage.as_mut().enable();
        let flight = self.start_or_join(pool)?;
        if let Some(err) = budget.outage_error() {
            // The call stays queued for when STS is back; the reader is not held meanwhile.
            return Err(err);
        }
        let waiting = self.wait(pool, flight);
        tokio::select! {
            outcome = waiting => outcome,
            _ = outage => Err(budget
                .outage_error()
                .unwrap_or_else(|| Error::unavailable(self.role_arn(), "STS is failing for every tenant"))),
        }
    }

    async fn wait(&self, pool: &PoolInner, mut flight: Flight) -> Outcome {
        loop {
            if flight.changed().await.is_err() {
                // The job ended; its last word is in the tenant's state.
                return self.settled(pool);
            }
            if let Some(outcome) = flight.borrow_and_update().clone() {
                return outcome;
            }
        }
    }

    fn settled(&self, pool: &PoolInner) -> Outcome {
        if let Some(creds) = self.fresh(pool.now(), pool.config.margin) {
            return Ok(creds);
        }
        let q = self.quarantine.lock().unwrap_or_else(|p| p.into_inner());
        match q.as_ref() {
            Some(q) => Err(q.error.clone()),
            None => Err(Error::unavailable(
                self.role_arn(),
                "the call to STS ended without an answer (its runtime shut down)",
            )),
        }
    }

    /// Joins the call in flight, or starts one (at most one per tenant).
    pub(crate) fn start_or_join(self: &Arc<Self>, pool: &Arc<PoolInner>) -> Result<Flight, Error> {
        let mut slot = self.flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flight) = slot.as_ref() {
            if flight.has_changed().is_ok() {
                return Ok(flight.clone());
            }
        }
        self.lift_expired_quarantine(pool, pool.now());
        let (tx, rx) = watch::channel(None);
        *slot = Some(rx.clone());
        drop(slot);
        let job = run(pool.clone(), self.clone(), tx);
        if let Err(err) = pool.spawn(job) {
            *self.flight.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Err(err);
        }
        Ok(rx)
    }

    fn quarantine(&self, pool: &PoolInner, error: Error, now: SystemTime) -> SystemTime {
        let strikes = self.strikes.fetch_add(1, Ordering::Relaxed) as u32 + 1;
        let ceiling = pool.config.quarantine.ceiling(strikes);
        let until = now + ceiling / 2 + pool.jitter(ceiling / 2);
        let mut q = self.quarantine.lock().unwrap_or_else(|p| p.into_inner());
        if q.is_none() {
            Counters::bump(&pool.counters.quarantined);
        }
        *q = Some(Quarantine { until, error });
        until
    }

    fn store(&self, pool: &PoolInner, creds: &TemporaryCredentials) {
        self.creds.store(Some(Arc::new(creds.clone())));
        self.strikes.store(0, Ordering::Relaxed);
        let mut q = self.quarantine.lock().unwrap_or_else(|p| p.into_inner());
        if q.take().is_some() {
            pool.counters.quarantined.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Forgets the credentials and lifts any quarantine, so the next read calls STS.
    pub(crate) fn clear(&self, pool: &PoolInner) {
        self.creds.store(None);
        let mut q = self.quarantine.lock().unwrap_or_else(|p| p.into_inner());
        if q.take().is_some() {
            pool.counters.quarantined.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// How one call's failure is handled.
pub(crate) fn verdict_of(err: &Error) -> Verdict {
    match err.kind() {
        ErrorKind::Throttled => Verdict::Throttled,
        // Not this tenant's fault: STS, the network, or the source credentials, which every
        // tenant of the lane shares.
        ErrorKind::Unavailable
        | ErrorKind::SourceUnavailable
        | ErrorKind::ExpiredSourceCredentials
        | ErrorKind::NoSourceCredentials => Verdict::Unavailable(err.clone()),
        _ => Verdict::Refused,
    }
}

/// The detached job of one tenant: calls STS through the budget until it gets credentials or
/// a refusal. Throttling is never shown to readers (the call waits its turn again); a failure
/// for everybody is shown, and the job stays queued behind the outage gate.
async fn run(pool: Arc<PoolInner>, tenant: Arc<Tenant>, tx: watch::Sender<Option<Outcome>>) {
    let budget = tenant.lane.budget.clone();
    loop {
        let permit = match budget.acquire().await {
            Ok(p) => p,
            Err(err) => {
                let _ = tx.send(Some(Err(err)));
                break;
            }
        };
        Counters::bump(&pool.counters.sts_calls);
        // Boxed so that a job waiting for the budget stays small: the SDK's future is large.
        let result = Box::pin(call(&pool, &tenant)).await;
        let now = pool.now();
        match result {
            Ok(creds) => {
                let transition = budget.finish(permit, Verdict::Success);
                pool.report(&transition);
                tenant.store(&pool, &creds);
                Counters::bump(&pool.counters.issued);
                pool.emit(|| PoolEvent::Issued {
                    role_arn: tenant.role_arn(),
                    expiration: creds.expiration(),
                });
                pool.schedule_refresh(&tenant, &creds, now);
                let _ = tx.send(Some(Ok(creds)));
                break;
            }
            Err(err) => match verdict_of(&err) {
                Verdict::Throttled => {
                    Counters::bump(&pool.counters.throttled);
                    let transition = budget.finish(permit, Verdict::Throttled);
                    if let Transition::RateLowered { per_second } = transition {
                        pool.emit(|| PoolEvent::Throttled {
                            role_arn: tenant.role_arn(),
                            rate_per_second: per_second,
                        });
                    }
                }
                Verdict::Unavailable(e) => {
                    let transition = budget.finish(permit, Verdict::Unavailable(e));
                    pool.report(&transition);
                    let _ = tx.send(Some(Err(err)));
                }
                Verdict::Refused | Verdict::Success => {
                    let transition = budget.finish(permit, Verdict::Refused);
                    pool.report(&transition);
                    let until = tenant.quarantine(&pool, err.clone(), now);
                    pool.emit(|| PoolEvent::Quarantined {
                        role_arn: tenant.role_arn(),
                        error: &err,
                        until,
                    });
                    let _ = tx.send(Some(Err(err)));
                    break;
                }
            },
        }
    }
    let mut slot = tenant.flight.lock().unwrap_or_else(|p| p.into_inner());
    *slot = None;
}

/// One AssumeRole call; credentials that would not outlive the margin are a refusal (a clock
/// problem), never handed out.
async fn call(pool: &PoolInner, tenant: &Tenant) -> Outcome {
    let assumer = tenant
        .lane
        .assumer(&tenant.input, &pool.config.client_source)
        .await?;
    let creds = assumer.assume().await?;
    let now = pool.now();
    if creds.expiration() <= now + pool.config.margin {
        return Err(Error::CredentialsExpired {
            role_arn: tenant.role_arn().to_string(),
            message: format!(
                "STS returned credentials that expire within the {} s margin by the local clock; check the local clock (NTP)",
                pool.config.margin.as_secs()
            ),
            source: None,
        });
    }
    Ok(creds)
}
