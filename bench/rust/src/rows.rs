//! Rows 1-5: each measurement runs ours and the anchor over the same in-process STS double
//! (an `SdkConfig` whose HTTP connector answers AssumeRole in process, so neither side pays for
//! sockets), interleaved, once per repeat. Every figure is a list with one sample per repeat.

use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use aws_config::identity::IdentityCache;
use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_async::test_util::tick_advance_sleep::{
    tick_advance_time_and_sleep, TickAdvanceSleep, TickAdvanceTime,
};
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_types::retry::RetryConfig;
use cross_account::{CrossAccountSession, CrossAccountSessionBuilder};
use serde_json::{json, Map, Value};
use tokio::runtime::Runtime;

use cross_account_test_support::runtimes::{current_thread, workers};
use cross_account_test_support::{Reply, StsDouble, EXTERNAL_ID, ROLE_ARN};

use crate::sdk::SdkCache;

/// Session lifetime the double issues in rows 1-3 (reads never come near a refresh).
const LONG: u64 = 3600;
/// Session lifetime of rows 2, 4 and 5.
const SHORT: u64 = 900;

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub repeats: usize,
    /// Runs of row 1 (cheap: a batch per variant per run).
    pub hot_repeats: usize,
    /// Target length of one timed batch of hot reads.
    pub batch: Duration,
    /// Length of one throughput measurement.
    pub throughput_for: Duration,
    pub cold_tasks: usize,
    pub cold_sts_delay: Duration,
    pub refresh_sts_delay: Duration,
    /// How long reads arrive (one a millisecond) once the refresh is due.
    pub refresh_window: Duration,
    pub refresh_repeats: usize,
}

impl Plan {
    pub fn full(repeats: usize) -> Plan {
        Plan {
            repeats,
            hot_repeats: (repeats * 2).max(9),
            batch: Duration::from_millis(40),
            throughput_for: Duration::from_millis(250),
            cold_tasks: 10_000,
            cold_sts_delay: Duration::from_millis(100),
            refresh_sts_delay: Duration::from_secs(2),
            refresh_window: Duration::from_millis(2500),
            refresh_repeats: repeats.min(3),
        }
    }

    pub fn quick() -> Plan {
        Plan {
            repeats: 2,
            hot_repeats: 2,
            batch: Duration::from_millis(5),
            throughput_for: Duration::from_millis(30),
            cold_tasks: 1_000,
            cold_sts_delay: Duration::from_millis(20),
            refresh_sts_delay: Duration::from_millis(300),
            refresh_window: Duration::from_millis(400),
            refresh_repeats: 1,
        }
    }
}

fn log(msg: &str) {
    eprintln!("cross-account-bench: {msg}");
}

/// The double's config, with the SDK's default (standard) retry policy rather than the
/// tests' "retries off": both sides are built from this one config.
fn sdk_config(double: &StsDouble) -> SdkConfig {
    double
        .sdk_config()
        .into_builder()
        .retry_config(RetryConfig::standard())
        .build()
}

fn ours(config: &SdkConfig) -> CrossAccountSessionBuilder {
    CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .external_id(EXTERNAL_ID)
        .session_name("bench-ours")
        .sdk_config(config)
}

async fn assume_role_provider(config: &SdkConfig) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(ROLE_ARN)
        .external_id(EXTERNAL_ID)
        .session_name("bench-sdk")
        .session_length(Duration::from_secs(SHORT))
        .configure(config)
        .build()
        .await
}

/// One side's wall clock and STS double on tick-advance time: the clock moves only when ticked
/// (so "a refresh is due" comes without waiting 15 minutes), while the double's answer delay is
/// tokio's and stays real.
struct Ticking {
    time: TickAdvanceTime,
    sleep: TickAdvanceSleep,
    double: StsDouble,
    config: SdkConfig,
}

impl Ticking {
    fn new(script: impl Fn(u64) -> Reply + Send + Sync + 'static) -> Ticking {
        let (time, sleep) = tick_advance_time_and_sleep();
        let double = StsDouble::new(time.clone(), script);
        let config = sdk_config(&double);
        Ticking {
            time,
            sleep,
            double,
            config,
        }
    }

    /// Ours on this clock, 900 s sessions; its refresh and STS calls run on the runtime that
    /// drives the row (call it inside that runtime).
    fn ours(&self) -> CrossAccountSession {
        ours(&self.config)
            .duration(Duration::from_secs(SHORT))
            .time_source(self.time.clone())
            .sleep_impl(self.sleep.clone())
            .runtime_handle(tokio::runtime::Handle::current())
            .build()
            .unwrap()
    }

    /// The anchor on this clock: its identity cache reads the config's time source.
    async fn sdk(&self) -> SdkCache {
        SdkCache::new(&self.config, assume_role_provider(&self.config).await).await
    }
}

/// One reader of either side, for the rows where both run the same loop. Built once per
/// measurement and read in place, so the size difference costs nothing.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Side {
    Ours(CrossAccountSession),
    Sdk(SdkCache),
}

impl Side {
    async fn read(&self) {
        match self {
            Side::Ours(s) => {
                black_box(s.credentials().await.expect("credentials"));
            }
            Side::Sdk(c) => {
                black_box(c.read().await.expect("identity"));
            }
        }
    }
}

/// The runtime of an async service on this machine: 2 worker threads.
pub fn two_workers() -> Runtime {
    workers(2)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn push(map: &mut Map<String, Value>, key: &str, sample: Value) {
    match map
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(vec![]))
    {
        Value::Array(v) => v.push(sample),
        _ => unreachable!(),
    }
}

// --- row 1: hot reads -------------------------------------------------------------------

/// Nanoseconds per call of `read`, over a batch of `n`, after a tenth as warm-up.
fn ns_per_read<F, Fut, T>(rt: &Runtime, n: u64, read: F) -> f64
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    rt.block_on(async {
        for _ in 0..n / 10 {
            black_box(read().await);
        }
        let start = Instant::now();
        for _ in 0..n {
            black_box(read().await);
        }
        start.elapsed().as_nanos() as f64 / n as f64
    })
}

/// Nanoseconds per call of a synchronous `read`, over a batch of `n`, after a tenth as warm-up.
fn ns_per_sync_read<T>(n: u64, read: impl Fn() -> T) -> f64 {
    for _ in 0..n / 10 {
        black_box(read());
    }
    let start = Instant::now();
    for _ in 0..n {
        black_box(read());
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// A named way to read, timed over a batch of `n`: nanoseconds per read.
type Timed<'a> = Box<dyn Fn(u64) -> f64 + 'a>;

pub fn hot_read(plan: &Plan) -> Value {
    log("row 1: hot reads (ns/read)");
    let runtime = current_thread();
    let rt = &runtime;
    let double = StsDouble::issuing(SystemTimeSource::new(), LONG);
    let config = sdk_config(&double);
    let (session, sdk, ours_in_sdk, ours_no_cache) = rt.block_on(async {
        let session = ours(&config).build().unwrap();
        session.credentials().await.unwrap();
        let sdk = SdkCache::new(&config, assume_role_provider(&config).await).await;
        sdk.read().await.unwrap();
        let ours_in_sdk = SdkCache::new(&config, session.clone()).await;
        ours_in_sdk.read().await.unwrap();
        let no_cache = IdentityCache::no_cache();
        let ours_no_cache = SdkCache::with_cache(&config, session.clone(), no_cache).await;
        ours_no_cache.read().await.unwrap();
        (session, sdk, ours_in_sdk, ours_no_cache)
    });
    let calls_before = double.calls();

    let (s, sdk, ours_in_sdk, ours_no_cache) = (&session, &sdk, &ours_in_sdk, &ours_no_cache);
    let variants: Vec<(&str, Timed<'_>)> = vec![
        (
            "baseline: SystemTime::now() (one wall-clock read)",
            Box::new(|n| ns_per_sync_read(n, std::time::SystemTime::now)),
        ),
        (
            "ours: cached_credentials() (sync)",
            Box::new(move |n| ns_per_sync_read(n, || s.cached_credentials())),
        ),
        (
            "ours: credentials().await",
            Box::new(move |n| ns_per_read(rt, n, || s.credentials())),
        ),
        (
            "ours: provide_credentials().await",
            Box::new(move |n| ns_per_read(rt, n, || s.provide_credentials())),
        ),
        (
            "SDK: AssumeRoleProvider behind IdentityCache::lazy()",
            Box::new(move |n| ns_per_read(rt, n, || sdk.read())),
        ),
        (
            "ours behind IdentityCache::lazy() (ours in an SDK client)",
            Box::new(move |n| ns_per_read(rt, n, || ours_in_sdk.read())),
        ),
        (
            "ours behind IdentityCache::no_cache() (SDK client, cache off)",
            Box::new(move |n| ns_per_read(rt, n, || ours_no_cache.read())),
        ),
    ];
    let sizes: Vec<u64> = variants
        .iter()
        .map(|(_, f)| {
            let ns = f(20_000).max(1.0);
            ((plan.batch.as_nanos() as f64 / ns) as u64).clamp(1_000, 50_000_000)
        })
        .collect();
    let mut out = Map::new();
    for _ in 0..plan.hot_repeats {
        for ((name, f), n) in variants.iter().zip(&sizes) {
            push(&mut out, name, json!(f(*n)));
        }
    }
    assert_eq!(
        double.calls(),
        calls_before,
        "every timed read came from a cache"
    );
    Value::Object(out)
}

// --- row 2: STS calls ---------------------------------------------------------------------

/// The calls `double` answered while `read` ran 100 times, one after another.
async fn calls_per_100<Fut: Future<Output = ()>>(
    double: &StsDouble,
    read: impl Fn() -> Fut,
) -> u64 {
    let before = double.calls();
    for _ in 0..100 {
        read().await;
    }
    double.calls() - before
}

pub fn sts_calls(plan: &Plan) -> Value {
    log("row 2: STS calls per 100 reads");
    let rt = two_workers();
    let mut burst = Map::new();
    let mut spread = Map::new();
    for _ in 0..plan.repeats.min(3) {
        rt.block_on(async {
            // 100 reads back to back, 900 s sessions.
            let double = StsDouble::issuing(SystemTimeSource::new(), SHORT);
            let config = sdk_config(&double);
            let session = ours(&config)
                .duration(Duration::from_secs(SHORT))
                .build()
                .unwrap();
            let calls = calls_per_100(&double, || async {
                session.credentials().await.unwrap();
            });
            push(&mut burst, "ours: credentials()", json!(calls.await));
            let sdk = SdkCache::new(&config, assume_role_provider(&config).await).await;
            let calls = calls_per_100(&double, || async {
                sdk.read().await.unwrap();
            });
            push(
                &mut burst,
                "SDK: AssumeRoleProvider behind IdentityCache::lazy()",
                json!(calls.await),
            );
            let direct = assume_role_provider(&config).await;
            let calls = calls_per_100(&double, || async {
                direct.provide_credentials().await.unwrap();
            });
            push(
                &mut burst,
                "SDK: AssumeRoleProvider::provide_credentials() (uncached)",
                json!(calls.await),
            );
        });

        // 100 reads one simulated minute apart (100 minutes, 6.7 lifetimes of 900 s). Each side
        // has its own tick-advance clock; a tick releases the sleeps that come due on the way.
        rt.block_on(async {
            let ours_side = Ticking::new(|_| Reply::ok(SHORT));
            let session = ours_side.ours();
            let sdk_side = Ticking::new(|_| Reply::ok(SHORT));
            let sdk = sdk_side.sdk().await;
            for minute in 0..100u64 {
                if minute > 0 {
                    ours_side.time.tick(Duration::from_secs(60)).await;
                    sdk_side.time.tick(Duration::from_secs(60)).await;
                }
                // Lets the session's background task act on the new time.
                tokio::time::sleep(Duration::from_millis(3)).await;
                session.credentials().await.unwrap();
                sdk.read().await.unwrap();
            }
            push(
                &mut spread,
                "ours: credentials()",
                json!(session.status().sts_calls),
            );
            push(
                &mut spread,
                "SDK: AssumeRoleProvider behind IdentityCache::lazy()",
                json!(sdk_side.double.calls()),
            );
        });
    }
    json!({ "burst_100_reads": burst, "one_read_a_minute_100_minutes": spread })
}

// --- row 3: throughput ------------------------------------------------------------------------

/// Reads/s of `readers` OS threads, each driving its own current-thread runtime. The threads
/// are started and parked first; the clock starts when they are let go.
fn threads_throughput(side: &Side, readers: usize, for_: Duration) -> f64 {
    let stop = AtomicBool::new(false);
    let total = AtomicU64::new(0);
    let gate = (Mutex::new(false), Condvar::new());
    let ready = Barrier::new(readers + 1);
    let mut start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..readers {
            scope.spawn(|| {
                let rt = current_thread();
                ready.wait();
                let mut open = gate.0.lock().unwrap();
                while !*open {
                    open = gate.1.wait(open).unwrap();
                }
                drop(open);
                let n = rt.block_on(async {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..64 {
                            side.read().await;
                        }
                        n += 64;
                    }
                    n
                });
                total.fetch_add(n, Ordering::Relaxed);
            });
        }
        ready.wait();
        start = Instant::now();
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        std::thread::sleep(for_);
        stop.store(true, Ordering::Relaxed);
    });
    total.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Reads/s of `readers` tasks on a 2-worker runtime; each yields every 64 reads.
fn tasks_throughput(rt: &Runtime, side: &Arc<Side>, readers: usize, for_: Duration) -> f64 {
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..readers {
            let (side, stop) = (side.clone(), stop.clone());
            set.spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        side.read().await;
                    }
                    n += 64;
                    tokio::task::yield_now().await;
                }
                n
            });
        }
        tokio::time::sleep(for_).await;
        stop.store(true, Ordering::Relaxed);
        let mut total = 0u64;
        while let Some(n) = set.join_next().await {
            total += n.unwrap();
        }
        total as f64 / start.elapsed().as_secs_f64()
    })
}

pub fn throughput(plan: &Plan) -> Value {
    log("row 3: reads/s with 1, 2, 8, 64 threads and tasks");
    let rt = two_workers();
    let double = StsDouble::issuing(SystemTimeSource::new(), LONG);
    let config = sdk_config(&double);
    let (ours_side, sdk_side) = rt.block_on(async {
        let session = ours(&config).build().unwrap();
        session.credentials().await.unwrap();
        let sdk = SdkCache::new(&config, assume_role_provider(&config).await).await;
        sdk.read().await.unwrap();
        (Arc::new(Side::Ours(session)), Arc::new(Side::Sdk(sdk)))
    });
    let calls_before = double.calls();
    let sides = [
        ("ours: credentials().await", &ours_side),
        (
            "SDK: AssumeRoleProvider behind IdentityCache::lazy()",
            &sdk_side,
        ),
    ];
    let mut out = Map::new();
    for _ in 0..plan.repeats {
        for readers in [1usize, 2, 8, 64] {
            for (name, side) in &sides {
                let t = threads_throughput(side, readers, plan.throughput_for);
                push(&mut out, &format!("{name} | {readers} threads"), json!(t));
                let t = tasks_throughput(&rt, side, readers, plan.throughput_for);
                push(&mut out, &format!("{name} | {readers} tasks"), json!(t));
            }
        }
    }
    assert_eq!(double.calls(), calls_before, "every read came from a cache");
    Value::Object(out)
}

// --- row 4: cold start herd -----------------------------------------------------------------

/// `tasks` tasks released at once on a cold cache; waits are from the release to each task
/// holding credentials.
async fn herd(side: Arc<Side>, tasks: usize) -> (Vec<Duration>, Duration) {
    let (go, gate) = tokio::sync::watch::channel(false);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (side, mut gate) = (side.clone(), gate.clone());
        set.spawn(async move {
            gate.wait_for(|go| *go).await.unwrap();
            side.read().await;
            Instant::now()
        });
    }
    // Every task parked at the gate.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now();
    go.send(true).unwrap();
    let mut waits = Vec::with_capacity(tasks);
    while let Some(done) = set.join_next().await {
        waits.push(done.unwrap() - start);
    }
    let all = start.elapsed();
    waits.sort();
    (waits, all)
}

pub fn cold_start(plan: &Plan) -> Value {
    log(&format!(
        "row 4: cold start, {} concurrent tasks",
        plan.cold_tasks
    ));
    let rt = two_workers();
    let delay = plan.cold_sts_delay;
    let script = move |_| Reply::ok_after(SHORT, delay);
    let mut out = Map::new();
    for _ in 0..plan.repeats.min(3) {
        for which in [
            "ours: credentials().await",
            "SDK: AssumeRoleProvider behind IdentityCache::lazy()",
        ] {
            rt.block_on(async {
                let double = StsDouble::new(SystemTimeSource::new(), script);
                let config = sdk_config(&double);
                let side = if which.starts_with("ours") {
                    Side::Ours(
                        ours(&config)
                            .duration(Duration::from_secs(SHORT))
                            .build()
                            .unwrap(),
                    )
                } else {
                    Side::Sdk(SdkCache::new(&config, assume_role_provider(&config).await).await)
                };
                let (waits, all) = herd(Arc::new(side), plan.cold_tasks).await;
                push(
                    &mut out,
                    &format!("{which} | sts_calls"),
                    json!(double.calls()),
                );
                push(
                    &mut out,
                    &format!("{which} | p50_ms"),
                    json!(ms(percentile(&waits, 0.5))),
                );
                push(
                    &mut out,
                    &format!("{which} | p99_ms"),
                    json!(ms(percentile(&waits, 0.99))),
                );
                push(
                    &mut out,
                    &format!("{which} | max_ms"),
                    json!(ms(waits[waits.len() - 1])),
                );
                push(&mut out, &format!("{which} | all_done_ms"), json!(ms(all)));
            });
        }
    }
    json!({
        "tasks": plan.cold_tasks,
        "sts_delay_ms": ms(delay),
        "figures": out,
    })
}

// --- row 5: reads while a refresh is due --------------------------------------------------------

/// Reads arriving one a millisecond for `window`, each in its own task; the latency of each.
async fn open_loop(side: &Arc<Side>, window: Duration) -> Vec<Duration> {
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    while start.elapsed() < window {
        ticker.tick().await;
        let side = side.clone();
        set.spawn(async move {
            let t = Instant::now();
            side.read().await;
            t.elapsed()
        });
    }
    let mut lat = Vec::with_capacity(set.len());
    while let Some(d) = set.join_next().await {
        lat.push(d.unwrap());
    }
    lat.sort();
    lat
}

fn latency_figures(out: &mut Map<String, Value>, which: &str, lat: &[Duration], sts_calls: u64) {
    let waited = lat
        .iter()
        .filter(|d| **d > Duration::from_millis(1))
        .count();
    push(out, &format!("{which} | reads"), json!(lat.len()));
    push(
        out,
        &format!("{which} | p50_us"),
        json!(us(percentile(lat, 0.5))),
    );
    push(
        out,
        &format!("{which} | p99_us"),
        json!(us(percentile(lat, 0.99))),
    );
    push(
        out,
        &format!("{which} | max_us"),
        json!(us(lat[lat.len() - 1])),
    );
    push(out, &format!("{which} | reads_over_1ms"), json!(waited));
    push(out, &format!("{which} | sts_calls"), json!(sts_calls));
}

pub fn during_refresh(plan: &Plan) -> Value {
    log(&format!(
        "row 5: reads while a refresh is due and STS answers after {:?}",
        plan.refresh_sts_delay
    ));
    let rt = two_workers();
    let delay = plan.refresh_sts_delay;
    let script = move |n| {
        if n == 0 {
            Reply::ok(SHORT)
        } else {
            Reply::ok_after(SHORT, delay)
        }
    };
    let mut out = Map::new();
    for _ in 0..plan.refresh_repeats {
        // Ours: the clock moves into the refresh window (it opens at most 300 s before expiry
        // and the refresh point lies in its first half), outside the 30 s margin. The background
        // task starts the 2 s AssumeRole call; reads go on.
        rt.block_on(async {
            let side = Ticking::new(script);
            let session = side.ours();
            session.credentials().await.unwrap();
            side.time.tick(Duration::from_secs(SHORT - 140)).await;
            let lat = open_loop(&Arc::new(Side::Ours(session.clone())), plan.refresh_window).await;
            wait_for(|| session.status().refresh_count == 1).await;
            let which = "ours: credentials().await (background refresh)";
            latency_figures(&mut out, which, &lat, side.double.calls());
        });
        // The SDK cache: the clock moves to 4 s before expiry, inside its 10 s buffer (less up to
        // 50 % jitter), so the next read loads in the request path.
        rt.block_on(async {
            let side = Ticking::new(script);
            let sdk = side.sdk().await;
            sdk.read().await.unwrap();
            side.time.tick(Duration::from_secs(SHORT - 4)).await;
            let lat = open_loop(&Arc::new(Side::Sdk(sdk)), plan.refresh_window).await;
            let which = "SDK: AssumeRoleProvider behind IdentityCache::lazy()";
            latency_figures(&mut out, which, &lat, side.double.calls());
        });
        // Ours in an SDK client: the SDK cache holds the session's credentials; the session has
        // already refreshed in the background when the cache's buffer is reached, so the cache's
        // load is a cached read of the session.
        rt.block_on(async {
            let side = Ticking::new(script);
            let session = side.ours();
            let sdk = SdkCache::new(&side.config, session.clone()).await;
            sdk.read().await.unwrap();
            side.time.tick(Duration::from_secs(SHORT - 140)).await;
            wait_for(|| session.status().refresh_count == 1).await;
            side.time.tick(Duration::from_secs(136)).await;
            let lat = open_loop(&Arc::new(Side::Sdk(sdk)), plan.refresh_window).await;
            let which = "ours behind IdentityCache::lazy() (ours in an SDK client)";
            latency_figures(&mut out, which, &lat, side.double.calls());
        });
    }
    json!({
        "sts_delay_ms": ms(delay),
        "window_ms": ms(plan.refresh_window),
        "reads_per_second": 1000,
        "figures": out,
    })
}

async fn wait_for(cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "condition not met in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
