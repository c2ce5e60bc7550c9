//! The multi-tenant rows of `bench/run` (many customer accounts): `CrossAccountPool` next to one independent
//! `CrossAccountSession` per tenant, against a fake STS on 127.0.0.1 (another process) that
//! enforces a token-bucket quota and answers the excess with STS's real `Throttling` error.
//!
//! ```text
//! cross-account-bench-pool quota-sts --rate R --burst B [--lifetime SECS]
//!     serves until stdin closes; prints {"url": ...} first
//! cross-account-bench-pool warm pool|sessions --tenants N --quota R
//!     N cold readers at once; failures, STS calls, time, connections, duplicates, heap, CPU
//! cross-account-bench-pool outage pool|sessions --tenants N --quota R --seconds S
//!     N readers retrying each second through an S-second outage (HTTP 503), then recovery
//! ```
//!
//! Its own binary because it counts live heap bytes with a wrapping global allocator, which
//! the single-read rows of `cross-account-bench` must not pay for.

mod args;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cross_account::{CrossAccountPool, CrossAccountSession, SessionOptions};
use cross_account_test_support::{LiveHeap, QuotaSts};
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: LiveHeap = LiveHeap;

const USAGE: &str = "usage: cross-account-bench-pool quota-sts --rate R --burst B [--lifetime SECS]
       cross-account-bench-pool warm pool|sessions --tenants N --quota R
       cross-account-bench-pool outage pool|sessions --tenants N --quota R --seconds S";

fn main() -> ExitCode {
    let args = args::Args::from_env();
    let num = |name: &str, default: f64| args.number(name, default);
    let rt = cross_account_test_support::runtimes::workers(2);
    let out = match (args.word(0), args.word(1)) {
        (Some("quota-sts"), _) => {
            let rate = num("--rate", 60.0);
            let burst = num("--burst", 10.0) as u32;
            let lifetime = Duration::from_secs(num("--lifetime", 3600.0) as u64);
            rt.block_on(serve_quota(rate, burst, lifetime));
            return ExitCode::SUCCESS;
        }
        (Some("warm"), Some(side @ ("pool" | "sessions"))) => {
            let n = num("--tenants", 1000.0) as usize;
            let quota = num("--quota", 60.0);
            rt.block_on(warm(side, n, quota, rt.handle().clone()))
        }
        (Some("outage"), Some(side @ ("pool" | "sessions"))) => {
            let n = num("--tenants", 500.0) as usize;
            let quota = num("--quota", 60.0);
            let seconds = num("--seconds", 120.0);
            rt.block_on(outage(side, n, quota, seconds, rt.handle().clone()))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!("{out}");
    ExitCode::SUCCESS
}

async fn serve_quota(rate: f64, burst: u32, lifetime: Duration) {
    let sts = QuotaSts::start(rate, burst, lifetime, Duration::from_millis(2)).await;
    println!("{}", json!({ "url": sts.url }));
    let _ = std::io::stdout().flush();
    // Until the parent closes our stdin (or dies).
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await
    .unwrap();
}

/// The fake STS in a child process, so its CPU and memory are not counted as ours.
struct Fake {
    child: Child,
    url: String,
}

impl Fake {
    fn start(quota: f64) -> Fake {
        let burst = (quota / 6.0).ceil().max(2.0);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "quota-sts",
                "--rate",
                &quota.to_string(),
                "--burst",
                &burst.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the quota STS");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).expect("quota-sts prints its URL");
        Fake {
            child,
            url: v["url"].as_str().unwrap().to_string(),
        }
    }

    fn control(&self, path: &str) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\n\r\n"
        )
        .unwrap();
        let mut buf = [0u8; 4096];
        let mut text = String::new();
        loop {
            let n = s.read(&mut buf).unwrap();
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if n == 0 || text.trim_end().ends_with('}') {
                break;
            }
        }
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("{}");
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn tenant(i: usize) -> SessionOptions {
    cross_account_test_support::tenant(300_000_000_000, "bench", i)
}

/// Process CPU time (user + system), from /proc/self/stat.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = after
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // Fields 14 and 15 of the file (utime, stime) are 12 and 13 after the name.
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One read path per tenant, whichever side is measured.
#[derive(Clone)]
enum Side {
    Pool(CrossAccountPool),
    Sessions(Arc<Vec<CrossAccountSession>>),
}

impl Side {
    fn build(side: &str, n: usize, quota: f64, url: &str, rt: tokio::runtime::Handle) -> Side {
        if side == "pool" {
            // Below the quota by 5 %, burst at most half the quota's: room for jitter on the wire.
            let pool = CrossAccountPool::builder()
                .sdk_config(&QuotaSts::sdk_config_at(url))
                .sts_rate_limit(quota * 0.95, ((quota / 12.0).ceil() as u32).max(1))
                .max_in_flight(16)
                .runtime_handle(rt)
                .build()
                .unwrap();
            Side::Pool(pool)
        } else {
            // What a program does without the pool: a session per tenant, each with its own
            // SDK config (source credentials, HTTP client) as `aws_config::defaults()` gives.
            let sessions = (0..n)
                .map(|i| {
                    CrossAccountSession::builder()
                        .options(tenant(i))
                        .sdk_config(&QuotaSts::sdk_config_at(url))
                        .runtime_handle(rt.clone())
                        .build()
                        .unwrap()
                })
                .collect();
            Side::Sessions(Arc::new(sessions))
        }
    }

    async fn read(&self, i: usize) -> Result<(), cross_account::Error> {
        match self {
            Side::Pool(pool) => pool.credentials(&tenant(i)).await.map(drop),
            Side::Sessions(s) => s[i].credentials().await.map(drop),
        }
    }
}

async fn warm(side: &str, n: usize, quota: f64, rt: tokio::runtime::Handle) -> Value {
    let fake = Fake::start(quota);
    let heap_before = LiveHeap::live();
    let rss_before = rss_kib();
    let cpu_before = cpu();
    let start = Instant::now();
    let reader = Side::build(side, n, quota, &fake.url, rt);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let r = reader.clone();
        tasks.spawn(async move { r.read(i).await });
    }
    let mut failures = 0u64;
    while let Some(r) = tasks.join_next().await {
        failures += u64::from(!matches!(r, Ok(Ok(()))));
    }
    let warm_secs = start.elapsed().as_secs_f64();
    let cpu_ms = (cpu() - cpu_before).as_secs_f64() * 1000.0;
    // Idle: nothing in flight, the transient per-call state gone.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heap_idle = LiveHeap::live() - heap_before;
    let rss_idle = rss_kib().saturating_sub(rss_before);
    let sts = fake.control("/_stats");
    let calls = sts["calls"].as_u64().unwrap_or(0);
    let stats = match &reader {
        Side::Pool(p) => format!("{:?}", p.stats()),
        Side::Sessions(_) => String::new(),
    };
    json!({
        "side": side,
        "tenants": n,
        "quota_per_second": quota,
        "first_read_failures": failures,
        "sts_calls": calls,
        "sts_calls_per_tenant": calls as f64 / n as f64,
        "throttled": sts["throttled"],
        "duplicates": sts["duplicates"],
        "issued_roles": sts["issued_roles"],
        "connections": sts["connections"],
        "max_connections_open": sts["max_open"],
        "max_requests_in_flight": sts["max_in_flight"],
        "warm_seconds": warm_secs,
        "ideal_seconds": n as f64 / quota,
        "warm_over_ideal": warm_secs / (n as f64 / quota),
        "heap_bytes_per_idle_tenant": heap_idle as f64 / n as f64,
        "rss_kib_per_idle_tenant": rss_idle as f64 / n as f64,
        "cpu_ms_per_tenant": cpu_ms / n as f64,
        "pool_stats": stats,
    })
}

async fn outage(
    side: &str,
    n: usize,
    quota: f64,
    seconds: f64,
    rt: tokio::runtime::Handle,
) -> Value {
    let fake = Fake::start(quota);
    fake.control("/_outage/on");
    let reader = Side::build(side, n, quota, &fake.url, rt);
    let done = Arc::new(AtomicU64::new(0));
    let recovered_at = Arc::new(std::sync::Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (r, done, at) = (reader.clone(), done.clone(), recovered_at.clone());
        // A caller that needs the tenant tries once a second until it works.
        tasks.spawn(async move {
            let deadline = Instant::now() + Duration::from_secs_f64(seconds + 300.0);
            while Instant::now() < deadline {
                if r.read(i).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                    at.lock().unwrap().push(Instant::now());
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let during = fake.control("/_stats");
    fake.control("/_outage/off");
    let back = Instant::now();
    while tasks.join_next().await.is_some() {}
    let all_recovered = recovered_at.lock().unwrap().iter().max().copied();
    let recovery = all_recovered.map(|t| t.duration_since(back).as_secs_f64());
    let attempts = during["unavailable"].as_u64().unwrap_or(0);
    json!({
        "side": side,
        "tenants": n,
        "outage_seconds": seconds,
        "failed_attempts_during_outage": attempts,
        "attempts_per_second": attempts as f64 / seconds,
        "peak_attempts_in_one_second": during["peak_outage_calls_per_second"],
        "recovered": done.load(Ordering::Relaxed),
        "recovery_seconds": recovery,
        "recovery_target_seconds": 5.0 + n as f64 / quota,
        "total_seconds": start.elapsed().as_secs_f64(),
    })
}
