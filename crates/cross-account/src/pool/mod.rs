//! `CrossAccountPool`: credentials for many tenant roles (a vendor's customers) within one STS
//! budget, and the vendor-side onboarding check.

mod budget;
mod driver;
mod events;
mod lane;
mod tenant;
mod verify;

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use aws_config::SdkConfig;
use aws_credential_types::provider::{self, ProvideCredentials};
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource, TimeSource};

use crate::credentials::TemporaryCredentials;
use crate::error::Error;
use crate::jitter::Jitter;
use crate::options::SessionOptions;
use crate::refresh::{refresh_point, Backoff, DEFAULT_MANDATORY_MARGIN};
use crate::session::CrossAccountSession;
use crate::sts::AssumeRoleInput;

use budget::{Budget, BudgetLimits, Transition};
use events::Counters;
pub use events::{EvictReason, PoolEvent, PoolStats};
use lane::{BudgetKey, ClientSource, Lane, LaneKey};
use tenant::Tenant;
pub use verify::{
    ActionProbe, ProbeFuture, VerifyCheck, VerifyCheckKind, VerifyOutcome, VerifyReport,
    VerifyVerdict,
};

/// Default calls per second per budget: a tenth of STS's usual 600 per account and Region, so
/// a few hosts and the account's other STS users fit beside one pool.
pub const DEFAULT_STS_RATE: f64 = 50.0;
/// Default burst of the token bucket.
pub const DEFAULT_STS_BURST: u32 = 10;
/// Default cap on calls in flight (and so on connections) per budget.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 16;
/// Default bound on the tenants held.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;
/// Default idle timeout: a tenant not read for this long is evicted instead of refreshed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(3600);

const SHARDS: usize = 64;

type Hook = Arc<dyn Fn(&PoolEvent<'_>) + Send + Sync>;
type Map = HashMap<Arc<SessionOptions>, Arc<Tenant>>;

/// Credentials for many tenant roles, each keyed by its [`SessionOptions`], sharing one STS
/// client and one budget per source identity and STS region.
///
/// - **One STS client** (and HTTP connection pool) per source identity and STS endpoint,
///   whatever the number of tenants.
/// - **One budget** per source identity and STS region: a token bucket
///   ([`sts_rate_limit`](CrossAccountPoolBuilder::sts_rate_limit)) that halves its rate when
///   STS throttles and climbs back additively, and a cap on calls in flight
///   ([`max_in_flight`](CrossAccountPoolBuilder::max_in_flight)); connections never exceed it.
///   Throttled calls wait their turn again and are never shown to readers.
/// - **Quarantine**: a tenant STS refuses (AccessDenied, malformed, invalid) gets its error
///   back at once and waits out its own long backoff; it does not spend the budget in a loop.
/// - **Outages**: after three failures in a row for everybody (5xx, timeouts, source
///   credentials), one probe at a time; readers get the error at once instead of waiting; a
///   successful probe releases the queued tenants at the budget's pace.
/// - **Refresh**: one timer task plans every tenant's refresh at a random point of its
///   refresh window; reads of fresh credentials take no lock; at most one call per tenant.
///
/// # Examples
///
/// ```no_run
/// use cross_account::{CrossAccountPool, SessionOptions};
///
/// # async fn demo() -> Result<(), cross_account::Error> {
/// let pool = CrossAccountPool::builder()
///     .sts_rate_limit(50.0, 10)
///     .max_in_flight(16)
///     .build()?;
/// let tenant = SessionOptions {
///     external_id: Some("customer-7-external-id".into()),
///     ..SessionOptions::new("arn:aws:iam::123456789012:role/VendorReadOnly")
/// };
/// let creds = pool.credentials(&tenant).await?;
/// // Or an SDK credentials provider for that tenant:
/// let provider = pool.provider(&tenant)?;
/// # let _ = (creds, provider);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CrossAccountPool {
    inner: Arc<PoolInner>,
}

impl fmt::Debug for CrossAccountPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossAccountPool")
            .field("sessions", &self.inner.sessions.load(Ordering::Relaxed))
            .field("limits", &self.inner.config.limits)
            .finish_non_exhaustive()
    }
}

pub(crate) struct PoolConfig {
    pub limits: BudgetLimits,
    pub max_sessions: usize,
    pub idle_timeout: Option<Duration>,
    pub margin: Duration,
    pub quarantine: Backoff,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub client_source: ClientSource,
    pub time: SharedTimeSource,
    pub sleep: SharedAsyncSleep,
    pub runtime: Option<tokio::runtime::Handle>,
    pub hook: Option<Hook>,
}

struct Shard {
    map: ArcSwap<Map>,
    write: Mutex<()>,
}

pub(crate) struct PoolInner {
    pub config: PoolConfig,
    shards: Box<[Shard]>,
    hasher: RandomState,
    lanes: Mutex<HashMap<LaneKey, Arc<Lane>>>,
    budgets: Mutex<HashMap<BudgetKey, Arc<Budget>>>,
    sessions: AtomicU64,
    next_id: AtomicU64,
    pub counters: Counters,
    timers: Arc<driver::Timers>,
    driver_started: AtomicBool,
    jitter: Jitter,
    weak: std::sync::Weak<PoolInner>,
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // Ends the timer task now rather than at its next wake-up.
        self.timers_handle().notify_driver();
    }
}

impl CrossAccountPool {
    /// Starts a builder.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cross_account::CrossAccountPool::builder()
    ///     .sts_rate_limit(100.0, 20)
    ///     .max_in_flight(32)
    ///     .max_sessions(20_000)
    ///     .idle_timeout(std::time::Duration::from_secs(1800))
    ///     .build()?;
    /// assert_eq!(pool.stats().sessions, 0);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn builder() -> CrossAccountPoolBuilder {
        CrossAccountPoolBuilder::default()
    }

    /// The tenant's current credentials: from its cache when fresh (no lock, no await),
    /// otherwise after its one call in flight, which waits for the budget. Bad options are
    /// refused before any network call, naming the field.
    pub async fn credentials(
        &self,
        options: &SessionOptions,
    ) -> Result<TemporaryCredentials, Error> {
        let tenant = self.inner.tenant(options)?;
        let now = self.inner.now();
        if let Some(creds) = tenant.fresh(now, self.inner.config.margin) {
            tenant.touch(now);
            return Ok(creds);
        }
        tenant.read(&self.inner).await
    }

    /// The tenant's credentials if the pool holds fresh ones, without waiting or locking;
    /// `None` when a call is needed (then use [`credentials`](Self::credentials)). Creates
    /// nothing: an unknown tenant is `None`.
    pub fn cached_credentials(&self, options: &SessionOptions) -> Option<TemporaryCredentials> {
        let tenant = self.inner.lookup(options)?;
        let now = self.inner.now();
        let creds = tenant.fresh(now, self.inner.config.margin)?;
        tenant.touch(now);
        Some(creds)
    }

    /// An SDK credentials provider for one tenant, sharing the pool's cache and budget. Its
    /// reads skip the pool's lookup; an evicted tenant comes back on the next read.
    pub fn provider(&self, options: &SessionOptions) -> Result<PoolProvider, Error> {
        let tenant = self.inner.tenant(options)?;
        Ok(PoolProvider {
            pool: self.inner.clone(),
            tenant: ArcSwap::new(tenant),
        })
    }

    /// Warms many tenants at the budget's pace and returns one result per tenant, in order.
    /// Invalid options fail alone; the others are still fetched.
    pub async fn prefetch<I>(&self, keys: I) -> Vec<Result<TemporaryCredentials, Error>>
    where
        I: IntoIterator<Item = SessionOptions>,
    {
        let tenants = self.inner.tenants(keys.into_iter().collect());
        let now = self.inner.now();
        let mut flights = Vec::with_capacity(tenants.len());
        for tenant in &tenants {
            flights.push(match tenant {
                Ok(t) if t.fresh(now, self.inner.config.margin).is_some() => None,
                Ok(t) => Some(t.start_or_join(&self.inner)),
                Err(_) => None,
            });
        }
        let mut out = Vec::with_capacity(tenants.len());
        for (tenant, flight) in tenants.into_iter().zip(flights) {
            out.push(match (tenant, flight) {
                (Err(err), _) => Err(err),
                (Ok(t), Some(Err(err))) => {
                    drop(t);
                    Err(err)
                }
                (Ok(t), _) => t.read(&self.inner).await,
            });
        }
        out
    }

    /// Marks one tenant's credentials stale (after `ExpiredToken` from a service) and lifts
    /// its quarantine (after the customer fixed the trust policy), so the next read calls STS
    /// (through the budget).
    pub fn invalidate(&self, options: &SessionOptions) {
        if let Some(tenant) = self.inner.lookup(options) {
            tenant.clear(&self.inner);
        }
    }

    /// Counters and gauges.
    pub fn stats(&self) -> PoolStats {
        let inner = &self.inner;
        let c = &inner.counters;
        let budgets: Vec<Arc<Budget>> = inner
            .budgets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        PoolStats {
            sts_calls: c.sts_calls.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            issued: c.issued.load(Ordering::Relaxed),
            queued: budgets
                .iter()
                .map(|b| b.queued.load(Ordering::Relaxed))
                .sum(),
            in_flight: budgets
                .iter()
                .map(|b| b.in_flight.load(Ordering::Relaxed))
                .sum(),
            sessions: inner.sessions.load(Ordering::Relaxed),
            quarantined: c.quarantined.load(Ordering::Relaxed),
            evicted: c.evicted.load(Ordering::Relaxed),
            outages: c.outages.load(Ordering::Relaxed),
            in_outage: budgets.iter().any(|b| b.outage_error().is_some()),
            rate_per_second: budgets
                .iter()
                .map(|b| b.rate())
                .fold(inner.config.limits.per_second, f64::min),
        }
    }

    /// The onboarding check of a customer's role; see [`VerifyReport`].
    pub async fn verify(&self, options: &SessionOptions) -> Result<VerifyReport, Error> {
        verify::verify(&self.inner, options, &[]).await
    }

    /// [`verify`](Self::verify), then each probe with the assumed credentials (the actions the
    /// vendor needs, called with the vendor's own SDK clients).
    pub async fn verify_with_probes(
        &self,
        options: &SessionOptions,
        probes: &[&dyn ActionProbe],
    ) -> Result<VerifyReport, Error> {
        verify::verify(&self.inner, options, probes).await
    }
}

/// One tenant of a [`CrossAccountPool`] as an SDK credentials provider.
pub struct PoolProvider {
    pool: Arc<PoolInner>,
    tenant: ArcSwap<Tenant>,
}

impl fmt::Debug for PoolProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolProvider")
            .field("role_arn", &self.tenant.load().role_arn())
            .finish_non_exhaustive()
    }
}

impl PoolProvider {
    /// The tenant's credentials, as [`CrossAccountPool::credentials`] gives them.
    pub async fn credentials(&self) -> Result<TemporaryCredentials, Error> {
        let mut tenant = self.tenant.load_full();
        if tenant.evicted.load(Ordering::Relaxed) {
            tenant = self.pool.tenant(&tenant.options)?;
            self.tenant.store(tenant.clone());
        }
        tenant.read(&self.pool).await
    }

    fn cached(&self) -> Option<TemporaryCredentials> {
        let tenant = self.tenant.load();
        let now = self.pool.now();
        let creds = tenant.fresh(now, self.pool.config.margin)?;
        tenant.touch(now);
        Some(creds)
    }
}

impl ProvideCredentials for PoolProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        if let Some(creds) = self.cached() {
            return provider::future::ProvideCredentials::ready(Ok(creds.into()));
        }
        provider::future::ProvideCredentials::new(async move {
            self.credentials()
                .await
                .map(Into::into)
                .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)
        })
    }
}

impl PoolInner {
    pub(crate) fn now(&self) -> SystemTime {
        self.config.time.now()
    }

    pub(crate) fn timers_handle(&self) -> Arc<driver::Timers> {
        self.timers.clone()
    }

    pub(crate) fn spawn<F>(&self, future: F) -> Result<(), Error>
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        crate::driver::spawn(self.config.runtime.as_ref(), future).map_err(|e| {
            Error::other(
                "",
                format!("could not start the cross-account-refresh thread: {e}"),
            )
        })
    }

    pub(crate) fn emit<'a>(&self, event: impl FnOnce() -> PoolEvent<'a>) {
        if let Some(hook) = &self.config.hook {
            hook(&event());
        }
    }

    pub(crate) fn report(&self, transition: &Transition) {
        match transition {
            Transition::OutageStarted => {
                Counters::bump(&self.counters.outages);
                tracing::warn!(target: "cross_account::pool", "STS is failing for every tenant; probing one call at a time");
            }
            Transition::OutageEnded { after } => {
                tracing::info!(target: "cross_account::pool", after_secs = after.as_secs(), "STS answers again; releasing queued tenants at the budget's pace");
                self.emit(|| PoolEvent::OutageEnded { after: *after });
            }
            Transition::None | Transition::RateLowered { .. } => {}
        }
        if let Transition::OutageStarted = transition {
            let error = self.budgets_outage_error();
            if let Some(error) = error {
                self.emit(|| PoolEvent::OutageStarted { error: &error });
            }
        }
    }

    fn budgets_outage_error(&self) -> Option<Error> {
        let budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        budgets.values().find_map(|b| b.outage_error())
    }

    pub(crate) fn jitter(&self, upto: Duration) -> Duration {
        self.jitter.up_to(upto)
    }

    /// Plans the tenant's refresh by the sessions' rule, with a 1 s floor.
    pub(crate) fn schedule_refresh(
        &self,
        tenant: &Arc<Tenant>,
        creds: &TemporaryCredentials,
        now: SystemTime,
    ) {
        let at = refresh_point(
            creds.expiration(),
            now,
            None,
            self.config.margin,
            Duration::from_secs(1),
            &self.jitter,
        );
        self.timers.plan(at, tenant);
        self.ensure_driver();
    }

    fn ensure_driver(self: &PoolInner) {
        if self.driver_started.swap(true, Ordering::AcqRel) {
            return;
        }
        // The driver holds the pool weakly; `self` is always behind an Arc here.
        let weak = self.weak_self();
        if self.spawn(driver::run(weak)).is_err() {
            self.driver_started.store(false, Ordering::Release);
        }
    }

    fn weak_self(&self) -> std::sync::Weak<PoolInner> {
        self.weak.clone()
    }

    fn shard(&self, options: &SessionOptions) -> &Shard {
        let hash = self.hasher.hash_one(options);
        &self.shards[(hash as usize) % SHARDS]
    }

    /// Tenants are keyed by the options' canonical form: the same tags in another order are
    /// the same tenant.
    pub(crate) fn lookup(&self, options: &SessionOptions) -> Option<Arc<Tenant>> {
        let options = options.canonical();
        self.shard(&options).map.load().get(&*options).cloned()
    }

    /// The tenant for `options`, created (validated, no I/O) if the pool has none.
    pub(crate) fn tenant(&self, options: &SessionOptions) -> Result<Arc<Tenant>, Error> {
        if let Some(t) = self.lookup(options) {
            return Ok(t);
        }
        let mut out = self.tenants(vec![options.clone()]);
        out.pop()
            .unwrap_or_else(|| Err(Error::invalid("options", "no tenant was created")))
    }

    /// Creates the missing tenants in one copy of each shard's map.
    fn tenants(&self, keys: Vec<SessionOptions>) -> Vec<Result<Arc<Tenant>, Error>> {
        let now = self.now();
        let mut out: Vec<Option<Result<Arc<Tenant>, Error>>> = Vec::with_capacity(keys.len());
        let mut by_shard: Vec<Vec<(usize, SessionOptions)>> =
            (0..SHARDS).map(|_| Vec::new()).collect();
        for (i, key) in keys.into_iter().enumerate() {
            let key = key.into_canonical();
            match self.lookup(&key) {
                Some(t) => out.push(Some(Ok(t))),
                None => {
                    out.push(None);
                    let shard = (self.hasher.hash_one(&key) as usize) % SHARDS;
                    by_shard[shard].push((i, key));
                }
            }
        }
        let mut created = 0u64;
        for (shard_no, keys) in by_shard.into_iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let shard = &self.shards[shard_no];
            let _write = shard.write.lock().unwrap_or_else(|p| p.into_inner());
            let mut map: Map = (**shard.map.load()).clone();
            for (i, key) in keys {
                if let Some(t) = map.get(&key) {
                    out[i] = Some(Ok(t.clone()));
                    continue;
                }
                match self.new_tenant(key, now) {
                    Ok(t) => {
                        map.insert(t.options.clone(), t.clone());
                        created += 1;
                        out[i] = Some(Ok(t));
                    }
                    Err(e) => out[i] = Some(Err(e)),
                }
            }
            shard.map.store(Arc::new(map));
        }
        let total = self.sessions.fetch_add(created, Ordering::Relaxed) + created;
        if total > self.config.max_sessions as u64 {
            self.evict_over_capacity(total - self.config.max_sessions as u64);
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Err(Error::invalid("options", "no tenant was created"))))
            .collect()
    }

    /// Validates a tenant's options (no I/O) and finds its lane.
    pub(crate) fn prepare(
        &self,
        options: &SessionOptions,
    ) -> Result<(AssumeRoleInput, Arc<Lane>), Error> {
        if options.source_role.is_some() {
            return Err(Error::invalid(
                "source_role",
                "is not supported by CrossAccountPool: a pool tenant is assumed directly with the pool's source credentials; use a CrossAccountSession for role chains",
            ));
        }
        if options.credential_source.is_some() {
            return Err(Error::invalid(
                "credential_source",
                "is not supported by CrossAccountPool, whose tenants share the pool's source credentials (its sdk_config, or a profile); give the pool an sdk_config loaded from that source",
            ));
        }
        if options.mfa_serial.is_some() {
            return Err(Error::invalid(
                "mfa_serial",
                "is not supported by CrossAccountPool, whose refreshes run unattended; use a CrossAccountSession with an MFA token provider",
            ));
        }
        let effective = SessionOptions {
            region: options
                .region
                .clone()
                .or_else(|| self.config.region.clone()),
            endpoint_url: options
                .endpoint_url
                .clone()
                .or_else(|| self.config.endpoint_url.clone()),
            ..options.clone()
        };
        // The session's builder is the one place the options are validated.
        let validated = CrossAccountSession::builder()
            .options(effective.clone())
            .auto_refresh(false)
            .time_source(self.config.time.clone())
            .build()?;
        let input = validated.assume_input().clone();
        let lane = self.lane(LaneKey {
            profile: effective.profile,
            region: effective.region,
            endpoint_url: effective.endpoint_url,
        });
        Ok((input, lane))
    }

    fn new_tenant(&self, options: SessionOptions, now: SystemTime) -> Result<Arc<Tenant>, Error> {
        let (input, lane) = self.prepare(&options)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(Tenant::new(
            id,
            Arc::new(options),
            input,
            lane,
            now,
        )))
    }

    fn lane(&self, key: LaneKey) -> Arc<Lane> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lane) = lanes.get(&key) {
            return lane.clone();
        }
        let budget = self
            .budgets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.budget_key())
            .or_insert_with(|| {
                Arc::new(Budget::new(
                    self.config.limits,
                    self.config.time.clone(),
                    self.config.sleep.clone(),
                ))
            })
            .clone();
        let lane = Arc::new(Lane::new(key.clone(), budget));
        lanes.insert(key, lane.clone());
        lane
    }

    fn remove(&self, tenant: &Arc<Tenant>) -> bool {
        let shard = self.shard(&tenant.options);
        let _write = shard.write.lock().unwrap_or_else(|p| p.into_inner());
        let current = shard.map.load();
        match current.get(&*tenant.options) {
            Some(t) if Arc::ptr_eq(t, tenant) => {
                let mut map: Map = (**current).clone();
                map.remove(&*tenant.options);
                shard.map.store(Arc::new(map));
                tenant.evicted.store(true, Ordering::Relaxed);
                self.sessions.fetch_sub(1, Ordering::Relaxed);
                if tenant.is_quarantined() {
                    self.counters.quarantined.fetch_sub(1, Ordering::Relaxed);
                }
                true
            }
            _ => false,
        }
    }

    pub(crate) fn evict(&self, tenant: &Arc<Tenant>, reason: EvictReason) {
        if self.remove(tenant) {
            Counters::bump(&self.counters.evicted);
            self.emit(|| PoolEvent::Evicted {
                role_arn: tenant.role_arn(),
                reason,
            });
        }
    }

    fn all_tenants(&self) -> Vec<Arc<Tenant>> {
        self.shards
            .iter()
            .flat_map(|s| s.map.load().values().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// Evicts the `count` least recently read tenants.
    fn evict_over_capacity(&self, count: u64) {
        let mut all = self.all_tenants();
        all.sort_by_key(|t| t.last_read_millis());
        for tenant in all.iter().take(count as usize) {
            self.evict(tenant, EvictReason::Capacity);
        }
    }

    /// Evicts tenants not read for `idle_timeout` that no planned refresh would catch
    /// (quarantined or never fetched).
    pub(crate) fn sweep_idle(&self, now: SystemTime) {
        let Some(idle) = self.config.idle_timeout else {
            return;
        };
        for tenant in self.all_tenants() {
            if tenant.idle_for(now) >= idle {
                self.evict(&tenant, EvictReason::Idle);
            }
        }
    }
}

/// Builds a [`CrossAccountPool`]. Setters take plain values; [`build`](Self::build) validates
/// them and does no I/O.
///
/// # Sizing the budget
///
/// STS allows about 600 calls per second per account and Region, shared by every STS caller
/// of the account. A fleet of `H` hosts sharing one source account gives each pool
/// `sts_rate_limit(quota_left / H, ..)`; tenants that call a regional endpoint
/// (`SessionOptions::region`) draw on that Region's quota, so each region gets its own budget.
#[derive(Default)]
pub struct CrossAccountPoolBuilder {
    rate: Option<(f64, u32)>,
    max_in_flight: Option<u32>,
    max_sessions: Option<usize>,
    idle_timeout: Option<Option<Duration>>,
    mandatory_margin: Option<Duration>,
    quarantine: Option<Backoff>,
    probe_backoff: Option<Backoff>,
    sdk_config: Option<SdkConfig>,
    region: Option<String>,
    endpoint_url: Option<String>,
    time_source: Option<SharedTimeSource>,
    sleep_impl: Option<SharedAsyncSleep>,
    runtime: Option<tokio::runtime::Handle>,
    hook: Option<Hook>,
}

impl fmt::Debug for CrossAccountPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossAccountPoolBuilder")
            .field("rate", &self.rate)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_sessions", &self.max_sessions)
            .finish_non_exhaustive()
    }
}

impl CrossAccountPoolBuilder {
    /// Calls per second and burst of each budget (default 50/s, burst 10). The rate halves
    /// when STS throttles (down to 1/32 of this) and climbs back as calls succeed.
    pub fn sts_rate_limit(mut self, per_second: f64, burst: u32) -> Self {
        self.rate = Some((per_second, burst));
        self
    }

    /// Calls in flight per budget, and so connections per STS client (default 16).
    pub fn max_in_flight(mut self, n: u32) -> Self {
        self.max_in_flight = Some(n);
        self
    }

    /// Tenants held at most (default 100,000); over it the least recently read leave.
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = Some(n);
        self
    }

    /// A tenant not read for this long is evicted instead of refreshed (default 1 hour).
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = Some(Some(idle));
        self
    }

    /// Never evict idle tenants (`max_sessions` still applies).
    pub fn no_idle_timeout(mut self) -> Self {
        self.idle_timeout = Some(None);
        self
    }

    /// Credentials with less than this left are never handed out (default 30 s).
    pub fn mandatory_margin(mut self, margin: Duration) -> Self {
        self.mandatory_margin = Some(margin);
        self
    }

    /// How long a refused tenant waits before its next call (default 5 min doubling to 1 h,
    /// each wait drawn from its upper half).
    pub fn quarantine_backoff(mut self, backoff: Backoff) -> Self {
        self.quarantine = Some(backoff);
        self
    }

    /// The pause between probes during an outage (default 1 s doubling to 4 s).
    pub fn probe_backoff(mut self, backoff: Backoff) -> Self {
        self.probe_backoff = Some(backoff);
        self
    }

    /// Source credentials, region, endpoint and HTTP client for tenants without a `profile`
    /// (default: `aws_config::defaults(..).load()` at the first call). Its retry setting is
    /// replaced: the pool retries through its budget.
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.sdk_config = Some(config.clone());
        self
    }

    /// The STS region of tenants whose options name none.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The STS endpoint of tenants whose options name none.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Called for each [`PoolEvent`], on the thread that caused it: keep it quick.
    pub fn on_event(mut self, hook: impl Fn(&PoolEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The clock (default: the system clock).
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time));
        self
    }

    /// How to sleep (default: tokio's timer).
    pub fn sleep_impl(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep_impl = Some(SharedAsyncSleep::new(sleep));
        self
    }

    /// The runtime the calls and the timer task run on (default: the process-wide
    /// `cross-account-refresh` thread).
    pub fn runtime_handle(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Validates the settings. No I/O.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = cross_account::CrossAccountPool::builder()
    ///     .sts_rate_limit(0.0, 10)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.field(), Some("sts_rate_limit"));
    /// ```
    pub fn build(self) -> Result<CrossAccountPool, Error> {
        let (per_second, burst) = self.rate.unwrap_or((DEFAULT_STS_RATE, DEFAULT_STS_BURST));
        if !(per_second.is_finite() && per_second > 0.0 && per_second <= 100_000.0) {
            return Err(Error::invalid(
                "sts_rate_limit",
                format!("per_second must be above 0 and at most 100000 (STS allows about 600 per account and Region), but it is {per_second}"),
            ));
        }
        if burst == 0 {
            return Err(Error::invalid("sts_rate_limit", "burst must be at least 1"));
        }
        let max_in_flight = self.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        if max_in_flight == 0 || max_in_flight > 4096 {
            return Err(Error::invalid(
                "max_in_flight",
                format!("must be between 1 and 4096, but it is {max_in_flight}"),
            ));
        }
        let max_sessions = self.max_sessions.unwrap_or(DEFAULT_MAX_SESSIONS);
        if max_sessions == 0 {
            return Err(Error::invalid("max_sessions", "must be at least 1"));
        }
        let idle_timeout = self.idle_timeout.unwrap_or(Some(DEFAULT_IDLE_TIMEOUT));
        if idle_timeout.is_some_and(|d| d < Duration::from_secs(1)) {
            return Err(Error::invalid("idle_timeout", "must be at least 1 second"));
        }
        let margin = self.mandatory_margin.unwrap_or(DEFAULT_MANDATORY_MARGIN);
        if margin > Duration::from_secs(300) {
            return Err(Error::invalid(
                "mandatory_margin",
                format!("must be at most 300 seconds so that 15-minute sessions stay usable, but it is {} s", margin.as_secs()),
            ));
        }
        let quarantine = self.quarantine.unwrap_or(
            Backoff::default()
                .with_base_delay(Duration::from_secs(300))
                .with_max_delay(Duration::from_secs(3600)),
        );
        let probe_backoff = self.probe_backoff.unwrap_or(
            Backoff::default()
                .with_base_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(4)),
        );
        for (field, b) in [
            ("quarantine_backoff", quarantine),
            ("probe_backoff", probe_backoff),
        ] {
            if b.base_delay().is_zero() || b.max_delay() < b.base_delay() {
                return Err(Error::invalid(
                    field,
                    "base delay must be above zero and the maximum delay at least the base delay",
                ));
            }
        }
        // Validated the way sessions validate them, so a bad default fails here, not per tenant.
        if self.region.is_some() || self.endpoint_url.is_some() {
            let mut probe = CrossAccountSession::builder()
                .role_arn("arn:aws:iam::000000000000:role/PoolDefaults");
            if let Some(r) = &self.region {
                probe = probe.region(r.clone());
            }
            if let Some(u) = &self.endpoint_url {
                probe = probe.endpoint_url(u.clone());
            }
            probe.auto_refresh(false).build()?;
        }
        let time = self
            .time_source
            .unwrap_or_else(|| SharedTimeSource::new(SystemTimeSource::new()));
        let sleep = self
            .sleep_impl
            .unwrap_or_else(|| SharedAsyncSleep::new(TokioSleep::new()));
        let config = PoolConfig {
            limits: BudgetLimits {
                per_second,
                burst,
                max_in_flight,
                probe_backoff,
            },
            max_sessions,
            idle_timeout,
            margin,
            quarantine,
            region: self.region,
            endpoint_url: self.endpoint_url,
            client_source: ClientSource {
                sdk_config: self.sdk_config,
                time_source: time.clone(),
                sleep_impl: sleep.clone(),
            },
            time,
            sleep,
            runtime: self.runtime,
            hook: self.hook,
        };
        let inner = Arc::new_cyclic(|weak| PoolInner {
            config,
            shards: (0..SHARDS)
                .map(|_| Shard {
                    map: ArcSwap::from_pointee(Map::new()),
                    write: Mutex::new(()),
                })
                .collect(),
            hasher: RandomState::new(),
            lanes: Mutex::new(HashMap::new()),
            budgets: Mutex::new(HashMap::new()),
            sessions: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            counters: Counters::default(),
            timers: Arc::new(driver::Timers::default()),
            driver_started: AtomicBool::new(false),
            jitter: Jitter::new(),
            weak: weak.clone(),
        });
        Ok(CrossAccountPool { inner })
    }
}
