//! The credentials cache and its refresher.
//!
//! - Reads of fresh credentials are an atomic load, a clock read and an `Arc` clone: no lock, no
//!   await point.
//! - One fetch at a time: a `tokio` mutex around the STS call, re-checked after acquiring, so any
//!   number of waiting readers cause one call.
//! - A background task sleeps until a random point in `[expiry - window, expiry - window/2]` and
//!   refreshes while readers keep reading the held credentials.
//! - After a failure, STS is not called again before the backoff delay has passed, whoever asks.
//!   Held credentials are served until the mandatory margin; after that, readers get the error.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep};
use aws_smithy_async::time::SharedTimeSource;
use tokio::sync::{watch, Notify};
use tracing::instrument::WithSubscriber;
use tracing::Instrument;

use crate::credentials::TemporaryCredentials;
use crate::error::Error;
use crate::jitter::Jitter;

/// The default mandatory margin: credentials with less than this left are never handed out.
///
/// # Examples
///
/// ```
/// assert_eq!(cross_account::DEFAULT_MANDATORY_MARGIN.as_secs(), 30);
/// ```
pub const DEFAULT_MANDATORY_MARGIN: Duration = Duration::from_secs(30);
/// The upper bound of the default refresh window, `min(this, lifetime / 3)`.
///
/// # Examples
///
/// ```
/// assert_eq!(cross_account::DEFAULT_MAX_REFRESH_WINDOW.as_secs(), 300);
/// ```
pub const DEFAULT_MAX_REFRESH_WINDOW: Duration = Duration::from_secs(300);

/// Backoff after a failed AssumeRole call: exponential with full jitter.
///
/// After the n-th consecutive failure, the next call waits a random delay in
/// `[0, min(max_delay, base_delay * 2^(n-1))]`. (Named apart from `aws_config`'s `RetryConfig`,
/// which governs the SDK's retries inside one call.)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cross_account::Backoff;
///
/// let backoff = Backoff::default()
///     .with_base_delay(Duration::from_millis(500))
///     .with_max_delay(Duration::from_secs(30));
/// assert_eq!(backoff.max_delay(), Duration::from_secs(30));
/// assert_eq!(Backoff::default().base_delay(), Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The first delay's upper bound (default 1 s).
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base = delay;
        self
    }

    /// The largest delay (default 60 s).
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.cap = delay;
        self
    }

    /// The configured base delay.
    pub fn base_delay(&self) -> Duration {
        self.base
    }

    /// The configured maximum delay.
    pub fn max_delay(&self) -> Duration {
        self.cap
    }

    /// The upper bound of the delay after `failures` consecutive failures.
    pub(crate) fn ceiling(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << exp)
            .unwrap_or(self.cap)
            .min(self.cap)
    }
}

/// A snapshot of a session's refresh state, for health checks and metrics.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(session: cross_account::CrossAccountSession) {
/// let status = session.status();
/// println!("expires {:?}, {} STS calls, last error: {:?}", status.expiration, status.sts_calls, status.last_error);
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionStatus {
    /// When the held credentials expire, if any are held.
    pub expiration: Option<SystemTime>,
    /// When the held credentials were obtained.
    pub last_refresh: Option<SystemTime>,
    /// When the background refresh is planned.
    pub next_refresh: Option<SystemTime>,
    /// The most recent failure, cleared by the next success.
    pub last_error: Option<Error>,
    /// Consecutive failures since the last success.
    pub consecutive_failures: u32,
    /// Successful fetches that replaced held credentials (the first fetch is not a refresh).
    pub refresh_count: u64,
    /// AssumeRole calls made, successful or not.
    pub sts_calls: u64,
    /// Whether the background refresh task is running.
    pub background_task_running: bool,
}

pub(crate) type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<TemporaryCredentials, Error>> + Send + 'a>>;

/// What the refresher calls to get new credentials.
pub(crate) trait Fetch: Send + Sync + 'static {
    fn fetch(&self) -> FetchFuture<'_>;
    fn role_arn(&self) -> &str;
    fn session_name(&self) -> &str;
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshConfig {
    pub auto_refresh: bool,
    pub window: Option<Duration>,
    pub margin: Duration,
    pub retry: Backoff,
    pub time: SharedTimeSource,
    pub sleep: SharedAsyncSleep,
    /// Where fetches and the background refresh run: the given runtime, else the driver.
    pub runtime: Option<tokio::runtime::Handle>,
    /// The clock of the lock-free read path (`time`, or the coarse system clock).
    pub read_clock: crate::clock::ReadClock,
}

struct Held {
    creds: TemporaryCredentials,
    fetched_at: SystemTime,
    refresh_at: SystemTime,
    usable_until: SystemTime,
}

#[derive(Default)]
struct State {
    held: Option<Arc<Held>>,
    invalidated: bool,
}

#[derive(Default)]
struct Gate {
    failures: u32,
    next_attempt_at: Option<SystemTime>,
    last_error: Option<Error>,
}

/// The outcome of one fetch, as every reader that waited for it sees it.
type Outcome = Result<TemporaryCredentials, Error>;
type FlightRx = watch::Receiver<Option<Outcome>>;

#[derive(Default)]
pub(crate) struct TaskSignals {
    shutdown: Notify,
    running: AtomicBool,
    /// A runtime given to the session has shut down: from then on the driver is used.
    runtime_gone: AtomicBool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Need {
    /// The caller has nothing usable: fetch unless someone just did.
    Usable,
    /// A refresh is due: fetch unless the held credentials are no longer due.
    Refresh,
}

/// What a reader that needs a fetch gets.
enum Join {
    /// Usable credentials turned up meanwhile, or a backoff holds the call back.
    Now(Outcome),
    /// The fetch in flight, to wait for.
    Wait(FlightRx),
}

pub(crate) struct Refresher {
    state: ArcSwap<State>,
    /// The fetch in flight, if any. Held only to look or to start one, never across an await.
    flight: Mutex<Option<FlightRx>>,
    gate: Mutex<Gate>,
    fetcher: Box<dyn Fetch>,
    config: RefreshConfig,
    sts_calls: AtomicU64,
    refreshes: AtomicU64,
    jitter: Jitter,
    task_spawn: Mutex<()>,
    signals: Arc<TaskSignals>,
}

impl Drop for Refresher {
    fn drop(&mut self) {
        // Wakes the background task so it ends now rather than at its next planned refresh.
        self.signals.shutdown.notify_one();
    }
}

/// When to refresh credentials that expire at `expiry`: a random instant in
/// `[expiry - window, expiry - window / 2]`, the window being `min(5 min, lifetime / 3)` unless
/// given, so sessions fetched together do not come back together. Never inside the `margin`,
/// nor sooner than `floor` (at most a quarter of the lifetime), so a short-lived answer does
/// not loop. The one rule for sessions and pool tenants.
pub(crate) fn refresh_point(
    expiry: SystemTime,
    now: SystemTime,
    window: Option<Duration>,
    margin: Duration,
    floor: Duration,
    jitter: &Jitter,
) -> SystemTime {
    let lifetime = expiry.duration_since(now).unwrap_or_default();
    let window = window
        .unwrap_or_else(|| DEFAULT_MAX_REFRESH_WINDOW.min(lifetime / 3))
        .min(lifetime / 2);
    let start = expiry.checked_sub(window).unwrap_or(now);
    let latest = expiry.checked_sub(margin).unwrap_or(now);
    (start + jitter.up_to(window / 2))
        .min(latest)
        .max(now + floor.min(lifetime / 4))
}

impl Refresher {
    pub(crate) fn new(fetcher: Box<dyn Fetch>, config: RefreshConfig) -> Self {
        Refresher {
            state: ArcSwap::from_pointee(State::default()),
            flight: Mutex::new(None),
            gate: Mutex::new(Gate::default()),
            fetcher,
            config,
            sts_calls: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            jitter: Jitter::new(),
            task_spawn: Mutex::new(()),
            signals: Arc::new(TaskSignals::default()),
        }
    }

    /// The read path. Fresh credentials are returned without locking or awaiting; otherwise
    /// the reader waits for the one fetch in flight, which it never owns: a reader that is
    /// cancelled or times out leaves the fetch running, and its result is recorded.
    pub(crate) async fn credentials(self: &Arc<Self>) -> Result<TemporaryCredentials, Error> {
        if let Some(creds) = self.fresh_or_prefetch() {
            return Ok(creds);
        }
        let result = match self.join(Need::Usable) {
            Join::Now(outcome) => outcome,
            Join::Wait(rx) => self.wait(rx).await,
        };
        if self.config.auto_refresh {
            self.ensure_task();
        }
        result
    }

    /// Like [`credentials`](Self::credentials), blocking the calling thread (not a runtime's)
    /// while a fetch runs on the refresh runtime.
    pub(crate) fn credentials_blocking(self: &Arc<Self>) -> Result<TemporaryCredentials, Error> {
        if let Some(creds) = self.fresh_or_prefetch() {
            return Ok(creds);
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::invalid_parameter(
                "credentials_blocking",
                "was called on a thread that runs an async runtime, where blocking would stall it; use `credentials().await` there",
            ));
        }
        let result = match self.join(Need::Usable) {
            Join::Now(outcome) => outcome,
            Join::Wait(rx) => {
                let handle = self.runtime_for_spawn().map_or_else(
                    || crate::driver::handle().map_err(|e| self.driver_error(e)),
                    Ok,
                )?;
                handle.block_on(self.wait(rx))
            }
        };
        if self.config.auto_refresh {
            self.ensure_task();
        }
        result
    }

    /// The lock-free part of a read: held credentials that may be handed out now. Also keeps
    /// the background task alive, and starts an on-demand refresh (detached) inside the window.
    fn fresh_or_prefetch(self: &Arc<Self>) -> Option<TemporaryCredentials> {
        let now = self.config.read_clock.now_for_reads();
        let state = self.state.load();
        let held = state.held.as_ref().filter(|_| !state.invalidated)?;
        if now >= held.usable_until {
            return None;
        }
        if self.config.auto_refresh {
            if !self.signals.running.load(Ordering::Relaxed) {
                self.ensure_task();
            }
        } else if now >= held.refresh_at {
            // On demand: one fetch starts in the background, every reader reads on.
            self.start_refresh_if_idle();
        }
        Some(held.creds.clone())
    }

    async fn wait(self: &Arc<Self>, mut rx: FlightRx) -> Outcome {
        let first = rx
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone());
        match first {
            Ok(outcome) => outcome.unwrap_or_else(|| Err(self.lost_fetch())),
            // The fetch task was dropped unfinished: its runtime shut down.
            Err(_) => {
                self.signals.runtime_gone.store(true, Ordering::Release);
                {
                    let mut slot = self.flight.lock().unwrap_or_else(|p| p.into_inner());
                    if slot.as_ref().is_some_and(|f| f.same_channel(&rx)) {
                        *slot = None;
                    }
                }
                match self.join(Need::Usable) {
                    Join::Now(outcome) => outcome,
                    Join::Wait(mut rx) => {
                        let second = rx
                            .wait_for(Option::is_some)
                            .await
                            .map(|outcome| outcome.clone());
                        match second {
                            Ok(outcome) => outcome.unwrap_or_else(|| Err(self.lost_fetch())),
                            Err(_) => Err(self.lost_fetch()),
                        }
                    }
                }
            }
        }
    }

    fn lost_fetch(&self) -> Error {
        Error::unavailable(
            self.fetcher.role_arn(),
            "the runtime running the AssumeRole call shut down before it finished",
        )
    }

    fn driver_error(&self, err: std::io::Error) -> Error {
        Error::other(
            self.fetcher.role_arn(),
            format!("could not start the cross-account-refresh thread: {err}"),
        )
        .with_source(Arc::new(err))
    }

    fn runtime_for_spawn(&self) -> Option<tokio::runtime::Handle> {
        self.config
            .runtime
            .clone()
            .filter(|_| !self.signals.runtime_gone.load(Ordering::Acquire))
    }

    /// Joins the fetch in flight, or starts one if it is still needed.
    fn join(self: &Arc<Self>, need: Need) -> Join {
        let slot = self.flight.lock().unwrap_or_else(|p| p.into_inner());
        self.join_locked(slot, need)
    }

    /// Starts the refresh unless a fetch is in flight or another reader is starting one: for
    /// the read path, which must never wait on the lock.
    fn start_refresh_if_idle(self: &Arc<Self>) {
        if let Ok(slot) = self.flight.try_lock() {
            if slot.is_none() {
                let _ = self.join_locked(slot, Need::Refresh);
            }
        }
    }

    fn join_locked(
        self: &Arc<Self>,
        mut slot: std::sync::MutexGuard<'_, Option<FlightRx>>,
        need: Need,
    ) -> Join {
        if let Some(rx) = slot.as_ref() {
            return Join::Wait(rx.clone());
        }
        let now = self.config.time.now();
        let state = self.state.load();
        let usable = state
            .held
            .as_ref()
            .filter(|h| !state.invalidated && now < h.usable_until);
        // Someone else may have fetched since this caller looked.
        if let Some(held) = usable {
            if need == Need::Usable || now < held.refresh_at {
                return Join::Now(Ok(held.creds.clone()));
            }
        }
        {
            let gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(next) = gate.next_attempt_at.filter(|next| now < *next) {
                if let Some(held) = usable {
                    return Join::Now(Ok(held.creds.clone()));
                }
                // Invalidated again while an outage holds calls back: what is still valid stays
                // in service, as after the first failed refetch.
                let outage = gate.last_error.as_ref().is_some_and(Error::is_retryable);
                if let Some(held) = state
                    .held
                    .as_ref()
                    .filter(|h| outage && now < h.usable_until)
                {
                    return Join::Now(Ok(held.creds.clone()));
                }
                tracing::debug!(
                    role_arn = self.fetcher.role_arn(),
                    retry_in_ms = next.duration_since(now).unwrap_or_default().as_millis() as u64,
                    "STS call held back by backoff"
                );
                return Join::Now(Err(gate.last_error.clone().unwrap_or_else(|| {
                    Error::other(self.fetcher.role_arn(), "waiting for the retry backoff")
                })));
            }
        }
        let (tx, rx) = watch::channel(None);
        *slot = Some(rx.clone());
        drop(slot);
        let this = self.clone();
        // The call runs in its own task but is reported where it was asked for: under the
        // reader's span, to the reader's subscriber.
        let fetch = async move {
            let outcome = this.fetch_and_record().await;
            *this.flight.lock().unwrap_or_else(|p| p.into_inner()) = None;
            let _ = tx.send(Some(outcome));
        }
        .instrument(tracing::Span::current())
        .with_current_subscriber();
        let spawned = crate::driver::spawn(self.runtime_for_spawn().as_ref(), fetch);
        if let Err(err) = spawned {
            let err = self.driver_error(err);
            *self.flight.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Join::Now(Err(err));
        }
        Join::Wait(rx)
    }

    /// The session's clock (the injected time source).
    pub(crate) fn now(&self) -> SystemTime {
        self.config.time.now()
    }

    /// The held credentials if they can be handed out now without any fetch: synchronous, for
    /// callers outside an async runtime (language bindings) that fall back to `credentials`.
    pub(crate) fn fresh(self: &Arc<Self>) -> Option<TemporaryCredentials> {
        self.fresh_or_prefetch()
    }

    /// Marks the held credentials stale: the next read fetches, once, however many readers.
    pub(crate) fn invalidate(&self) {
        self.state.rcu(|cur| State {
            held: cur.held.clone(),
            invalidated: true,
        });
        tracing::debug!(
            role_arn = self.fetcher.role_arn(),
            "credentials invalidated"
        );
    }

    pub(crate) fn status(&self) -> SessionStatus {
        let state = self.state.load();
        let gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let held = state.held.as_ref();
        SessionStatus {
            expiration: held.map(|h| h.creds.expiration()),
            last_refresh: held.map(|h| h.fetched_at),
            next_refresh: held.map(|h| {
                gate.next_attempt_at
                    .map_or(h.refresh_at, |next| next.max(h.refresh_at))
            }),
            last_error: gate.last_error.clone(),
            consecutive_failures: gate.failures,
            refresh_count: self.refreshes.load(Ordering::Relaxed),
            sts_calls: self.sts_calls.load(Ordering::Relaxed),
            background_task_running: self.signals.running.load(Ordering::Acquire),
        }
    }

    /// One STS call and its bookkeeping; runs in its own task, never in a reader.
    async fn fetch_and_record(&self) -> Outcome {
        let state = self.state.load_full();
        let attempt = self.gate.lock().map(|g| g.failures).unwrap_or(0) + 1;
        let calls = self.sts_calls.fetch_add(1, Ordering::Relaxed) + 1;
        let span = tracing::info_span!(
            "cross_account.fetch",
            role_arn = self.fetcher.role_arn(),
            session_name = self.fetcher.session_name(),
            attempt,
            sts_calls = calls,
            refresh = state.held.is_some(),
        );
        let result = self.fetcher.fetch().instrument(span.clone()).await;
        let now = self.config.time.now();
        let _enter = span.enter();
        let result = result.and_then(|creds| self.check_usable(creds, now));
        match result {
            Ok(creds) => {
                let held = self.schedule(creds.clone(), now);
                tracing::info!(
                    expiration = ?creds.expiration(),
                    refresh_at = ?held.refresh_at,
                    access_key_id = creds.access_key_id(),
                    "assumed role"
                );
                if state.held.is_some() {
                    self.refreshes.fetch_add(1, Ordering::Relaxed);
                }
                self.state.store(Arc::new(State {
                    held: Some(Arc::new(held)),
                    invalidated: false,
                }));
                let mut gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
                *gate = Gate::default();
                Ok(creds)
            }
            Err(err) => {
                // Read again: an invalidate() during the call must not be undone here.
                let current = self.state.load();
                let mut gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
                gate.failures = gate.failures.saturating_add(1);
                let ceiling = self.config.retry.ceiling(gate.failures);
                // After invalidate(), only an outage keeps the held credentials in service: a
                // refusal means they should not be trusted any more.
                let still_usable = current
                    .held
                    .as_ref()
                    .filter(|h| now < h.usable_until)
                    .filter(|_| !current.invalidated || err.is_retryable());
                let mut delay = self.jitter.up_to(ceiling);
                // One more attempt is always made just before the held credentials become
                // unusable, so a backoff never outlasts them by itself.
                if let Some(held) = still_usable {
                    delay = delay.min(held.usable_until.duration_since(now).unwrap_or_default());
                }
                gate.next_attempt_at = Some(now + delay);
                gate.last_error = Some(err.clone());
                let serving_held = still_usable.is_some();
                if err.is_retryable() {
                    tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, serving_held, "AssumeRole failed, will retry");
                } else {
                    tracing::error!(error = %err, retry_in_ms = delay.as_millis() as u64, serving_held, "AssumeRole refused");
                }
                match still_usable {
                    // A failed refresh (also after invalidate()) keeps serving what is still
                    // valid: a retryable outage must not turn into failed requests.
                    Some(held) => {
                        if current.invalidated {
                            self.state.store(Arc::new(State {
                                held: current.held.clone(),
                                invalidated: false,
                            }));
                        }
                        Ok(held.creds.clone())
                    }
                    None => Err(err),
                }
            }
        }
    }

    /// Credentials that are already inside the margin on arrival are useless (clock skew).
    fn check_usable(
        &self,
        creds: TemporaryCredentials,
        now: SystemTime,
    ) -> Result<TemporaryCredentials, Error> {
        if creds.expiration() <= now + self.config.margin {
            return Err(Error::CredentialsExpired {
                role_arn: self.fetcher.role_arn().to_string(),
                message: format!(
                    "STS returned credentials that expire at {} but the local clock says {}, within the {} s margin; check the local clock (NTP)",
                    fmt_time(creds.expiration()),
                    fmt_time(now),
                    self.config.margin.as_secs()
                ),
                source: None,
            });
        }
        Ok(creds)
    }

    fn schedule(&self, creds: TemporaryCredentials, now: SystemTime) -> Held {
        let expiry = creds.expiration();
        let refresh_at = refresh_point(
            expiry,
            now,
            self.config.window,
            self.config.margin,
            self.config.retry.base,
            &self.jitter,
        );
        Held {
            creds,
            fetched_at: now,
            refresh_at,
            usable_until: expiry - self.config.margin,
        }
    }

    /// Starts the background refresh task unless one is alive: the flag is cleared when the
    /// task ends for any reason (its runtime shut down included), so a later read restarts it.
    fn ensure_task(self: &Arc<Self>) {
        if self.signals.running.load(Ordering::Acquire) {
            return;
        }
        let Ok(_guard) = self.task_spawn.try_lock() else {
            return; // another reader is starting it
        };
        if self.signals.running.load(Ordering::Acquire) {
            return;
        }
        let weak = Arc::downgrade(self);
        let signals = self.signals.clone();
        signals.running.store(true, Ordering::Release);
        let span = tracing::debug_span!(
            "cross_account.refresh_task",
            role_arn = self.fetcher.role_arn()
        );
        let task =
            // It lives as long as the session: its events go to whatever subscriber is the
            // process's default when they happen, not to the one of the read that started it.
            run_background(weak, signals.clone(), self.config.sleep.clone()).instrument(span);
        if let Err(err) = crate::driver::spawn(self.runtime_for_spawn().as_ref(), task) {
            signals.running.store(false, Ordering::Release);
            tracing::warn!(error = %err, "could not start the background refresh; refreshing on demand");
        }
    }

    /// When the background task should next look: the planned refresh, or later if backing off.
    fn next_wake(&self) -> SystemTime {
        let now = self.config.time.now();
        let state = self.state.load();
        let gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let planned = match &state.held {
            Some(h) if !state.invalidated => h.refresh_at,
            _ => now,
        };
        gate.next_attempt_at
            .map_or(planned, |next| next.max(planned))
    }

    async fn refresh_if_due(self: &Arc<Self>) {
        let now = self.config.time.now();
        if self.next_wake() > now {
            return;
        }
        if let Join::Wait(rx) = self.join(Need::Refresh) {
            if let Err(err) = self.wait(rx).await {
                tracing::debug!(error = %err, "background refresh found no usable credentials");
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn task_signals(&self) -> Arc<TaskSignals> {
        self.signals.clone()
    }
}

/// Clears the running flag however the task ends. Dropped without `finished` set, the task was
/// cancelled from outside, which only happens when its runtime shuts down.
struct RunningFlag {
    signals: Arc<TaskSignals>,
    finished: bool,
}

impl Drop for RunningFlag {
    fn drop(&mut self) {
        if !self.finished {
            self.signals.runtime_gone.store(true, Ordering::Release);
            tracing::debug!(
                "background refresh task dropped with its runtime; moving to the refresh driver"
            );
        } else {
            tracing::debug!("background refresh task ended");
        }
        self.signals.running.store(false, Ordering::Release);
    }
}

async fn run_background(weak: Weak<Refresher>, signals: Arc<TaskSignals>, sleep: SharedAsyncSleep) {
    let mut flag = RunningFlag {
        signals: signals.clone(),
        finished: false,
    };
    loop {
        // Hold a strong reference only while deciding and refreshing, never across the sleep.
        let (delay, wake_at, time) = {
            let Some(refresher) = weak.upgrade() else {
                break;
            };
            let now = refresher.config.time.now();
            let wake_at = refresher.next_wake();
            let delay = wake_at.duration_since(now).unwrap_or_default();
            (delay, wake_at, refresher.config.time.clone())
        };
        if !delay.is_zero() {
            tracing::trace!(sleep_ms = delay.as_millis() as u64, "refresh task sleeping");
            let sleeping = sleep.sleep(delay);
            // The clock may have moved on between reading it and registering the sleep (an
            // injected clock ticked from another thread, a host resumed from suspend): then the
            // sleep would end that much late, so look once more now that it is registered.
            if time.now() < wake_at {
                tokio::select! {
                    _ = sleeping => {}
                    _ = signals.shutdown.notified() => break,
                }
            } else {
                tokio::task::yield_now().await;
            }
        } else {
            tokio::task::yield_now().await;
        }
        let Some(refresher) = weak.upgrade() else {
            break;
        };
        refresher.refresh_if_due().await;
    }
    flag.finished = true;
}

fn fmt_time(t: SystemTime) -> String {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => aws_smithy_types::DateTime::from_secs(d.as_secs() as i64)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_else(|_| format!("{} s after the epoch", d.as_secs())),
        Err(_) => "before 1970".into(),
    }
}

/// The flag a test can watch after the session is gone.
#[cfg(test)]
impl TaskSignals {
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_async::test_util::tick_advance_sleep::{
        tick_advance_time_and_sleep, TickAdvanceTime,
    };
    use aws_smithy_async::time::TimeSource;

    /// Moves the injected clock on by `by`, a `step` at a time, and lets every task act on
    /// each step: under tokio's paused clock a sleep returns only once every other task is idle.
    async fn pass(time: &TickAdvanceTime, by: Duration, step: Duration) {
        let mut passed = Duration::ZERO;
        while passed < by {
            time.tick(step).await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            passed += step;
        }
    }

    /// A fetcher without any SDK: counts calls and issues credentials of a fixed lifetime.
    struct Counting {
        calls: Arc<AtomicU64>,
        time: SharedTimeSource,
        lifetime: Duration,
    }
    impl Fetch for Counting {
        fn fetch(&self) -> FetchFuture<'_> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let expiry = self.time.now() + self.lifetime;
            Box::pin(async move {
                Ok(TemporaryCredentials::new(
                    format!("ASIA{n}"),
                    "s".into(),
                    "t".into(),
                    expiry,
                    "",
                ))
            })
        }
        fn role_arn(&self) -> &str {
            "arn:aws:iam::123456789012:role/R"
        }
        fn session_name(&self) -> &str {
            "s"
        }
    }

    /// A refresher on the current runtime with `time` and `sleep`, fetching through a
    /// [`Counting`] fetcher of `lifetime`; and its call counter.
    fn counting_refresher(
        time: impl TimeSource + 'static,
        sleep: impl AsyncSleep + 'static,
        lifetime: Duration,
    ) -> (Arc<Refresher>, Arc<AtomicU64>) {
        let time = SharedTimeSource::new(time);
        let calls = Arc::new(AtomicU64::new(0));
        let fetch = Counting {
            calls: calls.clone(),
            time: time.clone(),
            lifetime,
        };
        let config = RefreshConfig {
            auto_refresh: true,
            window: None,
            margin: DEFAULT_MANDATORY_MARGIN,
            retry: Backoff::default(),
            time: time.clone(),
            sleep: SharedAsyncSleep::new(sleep),
            runtime: Some(tokio::runtime::Handle::current()),
            read_clock: crate::clock::ReadClock::Injected(time),
        };
        (Arc::new(Refresher::new(Box::new(fetch), config)), calls)
    }

    fn refresher(lifetime: Duration) -> (Arc<Refresher>, Arc<AtomicU64>, TickAdvanceTime) {
        let (ticking, sleep) = tick_advance_time_and_sleep();
        let (r, calls) = counting_refresher(ticking.clone(), sleep, lifetime);
        (r, calls, ticking)
    }

    /// Sleeps that never end by themselves; registering the first is where the clock jumps
    /// past its deadline: what happens when another thread ticks an injected clock (or a host
    /// resumes) between the task reading the clock and going to sleep.
    #[derive(Debug)]
    struct JumpWhileRegistering(aws_smithy_async::test_util::ManualTimeSource, AtomicBool);
    impl AsyncSleep for JumpWhileRegistering {
        fn sleep(&self, duration: Duration) -> aws_smithy_async::rt::sleep::Sleep {
            if !self.1.swap(true, Ordering::SeqCst) {
                self.0.advance(duration + Duration::from_secs(1));
            }
            aws_smithy_async::rt::sleep::Sleep::new(std::future::pending())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_clock_that_jumps_while_the_task_goes_to_sleep_does_not_delay_the_refresh() {
        let manual = aws_smithy_async::test_util::ManualTimeSource::new(SystemTime::UNIX_EPOCH);
        let jumping = JumpWhileRegistering(manual.clone(), AtomicBool::new(false));
        let (r, calls) = counting_refresher(manual, jumping, Duration::from_secs(900));
        r.credentials().await.unwrap();
        // No sleep ever ends: only seeing the clock past the deadline once the first sleep is
        // registered makes the refresh happen.
        for _ in 0..100 {
            if calls.load(Ordering::SeqCst) >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            calls.load(Ordering::SeqCst) >= 2,
            "refreshed after the jump"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_last_handle_ends_the_task_and_stops_calls() {
        let (r, calls, time) = refresher(Duration::from_secs(900));
        r.credentials().await.unwrap();
        let signals = r.task_signals();
        tokio::task::yield_now().await;
        assert!(signals.is_running());
        pass(&time, Duration::from_secs(3600), Duration::from_secs(1)).await;
        let before = calls.load(Ordering::SeqCst);
        assert!(before >= 5, "refreshing while alive: {before}");
        drop(r);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!signals.is_running(), "task ended");
        pass(
            &time,
            Duration::from_secs(24 * 3600),
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            before,
            "no STS call after the drop"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_point_lies_in_the_jittered_window() {
        for lifetime in [900u64, 3600, 43200] {
            let (r, _, time) = refresher(Duration::from_secs(lifetime));
            let mut points = Vec::new();
            for _ in 0..200 {
                let now = time.now();
                let creds = TemporaryCredentials::new(
                    "A",
                    "s".into(),
                    "t".into(),
                    now + Duration::from_secs(lifetime),
                    "",
                );
                let held = r.schedule(creds, now);
                let before_expiry = (now + Duration::from_secs(lifetime))
                    .duration_since(held.refresh_at)
                    .unwrap();
                points.push(before_expiry.as_secs_f64());
            }
            let window = (lifetime as f64 / 3.0).min(300.0);
            let (lo, hi) = points
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(*p), hi.max(*p)));
            assert!(
                lo >= window / 2.0 - 0.001 && hi <= window + 0.001,
                "{lifetime}: [{lo}, {hi}] outside [{}, {window}]",
                window / 2.0
            );
            // The jitter actually spreads: a fleet does not refresh in lockstep.
            assert!(hi - lo > window / 4.0, "{lifetime}: spread {}", hi - lo);
        }
    }

    #[test]
    fn backoff_ceiling_doubles_up_to_the_cap() {
        let r = Backoff::default();
        let secs: Vec<u64> = (1..=9).map(|n| r.ceiling(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(r.ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn cached_read_is_synchronous_and_respects_the_margin() {
        let (r, _, _) = refresher(Duration::from_secs(900));
        assert!(r.fresh().is_none());
        r.credentials().await.unwrap();
        assert!(r.fresh().is_some());
        r.invalidate();
        assert!(r.fresh().is_none());
    }
}
