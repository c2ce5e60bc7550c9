//! The pool's budget against a fake STS on 127.0.0.1 that enforces a token-bucket quota and
//! answers excess calls with STS's real `Throttling` error (HTTP 400). Real sockets, real time;
//! each test is bounded to a few seconds.

use std::time::{Duration, Instant};

use cross_account::{CrossAccountPool, SessionOptions};
use cross_account_test_support::{concurrently, QuotaSts};

fn tenant(i: usize) -> SessionOptions {
    cross_account_test_support::tenant(200_000_000_000, "quota", i)
}

fn pool(sts: &QuotaSts, rate: f64, burst: u32, in_flight: u32) -> CrossAccountPool {
    CrossAccountPool::builder()
        .sdk_config(&sts.sdk_config())
        .sts_rate_limit(rate, burst)
        .max_in_flight(in_flight)
        .runtime_handle(tokio::runtime::Handle::current())
        .build()
        .unwrap()
}

/// What both tests hold: one issue per tenant, never more requests at once than the pool's
/// cap, and connections bounded by the cap. hyper races a new connection against waiting for
/// an idle one, so a connection can be opened just as another is being returned: a few over
/// the cap (`slack`), never one per tenant.
fn assert_one_issue_per_tenant_within(sts: &QuotaSts, n: usize, in_flight: u64, slack: u64) {
    let seen = sts.stats();
    assert_eq!((seen.duplicates, seen.issued_roles), (0, n), "{seen:?}");
    assert!(seen.max_in_flight <= in_flight, "{seen:?}");
    assert!(seen.connections <= in_flight + slack, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_quota_every_tenant_costs_one_call_on_few_connections() {
    let sts = QuotaSts::start(
        100.0,
        10,
        Duration::from_secs(3600),
        Duration::from_millis(2),
    )
    .await;
    let pool = pool(&sts, 80.0, 5, 8);
    let n = 160;
    let start = Instant::now();
    let results = pool.prefetch((0..n).map(tenant)).await;
    let took = start.elapsed();
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    // Paced below the quota, a throttle can only come from requests bunching on the wire.
    let calls = sts.stats().calls;
    assert!(
        calls * 100 <= n as u64 * 101,
        "{calls} calls for {n} tenants"
    );
    assert_one_issue_per_tenant_within(&sts, n, 8, 2);
    // (160 - 5) / 80 = 1.94 s at the budget's pace; 1.1 x N / rate = 2.2 s.
    assert!(took >= Duration::from_millis(1_700), "{took:?}");
    assert!(took <= Duration::from_millis(2_900), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_quota_throttling_is_absorbed_with_no_duplicates() {
    // The pool is told 200/s but STS allows 50/s: AIMD has to find the real rate.
    let sts = QuotaSts::start(50.0, 5, Duration::from_secs(3600), Duration::from_millis(2)).await;
    let pool = pool(&sts, 200.0, 20, 16);
    let n = 120;
    let failures = concurrently(n, |i| {
        let pool = pool.clone();
        async move { pool.credentials(&tenant(i)).await }
    })
    .await
    .iter()
    .filter(|r| r.is_err())
    .count();
    assert_eq!(failures, 0, "first reads failed under the quota");
    assert_one_issue_per_tenant_within(&sts, n, 16, 4);
    let stats = pool.stats();
    let seen = sts.stats();
    assert!(seen.throttled > 0, "the quota never bit");
    assert_eq!(stats.throttled, seen.throttled);
    assert!(stats.rate_per_second < 200.0, "{stats:?}");
    // AIMD keeps the waste bounded: at most one throttled call per tenant on average.
    assert!(
        seen.calls <= 2 * n as u64,
        "{} calls for {n} tenants",
        seen.calls
    );
}
