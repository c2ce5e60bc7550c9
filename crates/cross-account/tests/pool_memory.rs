//! Memory per idle tenant, asserted loosely (the exact figure is a `bench/run` row): live heap
//! bytes counted by a wrapping allocator, 2000 warmed tenants over the in-process double.

use cross_account_test_support::{paused_issuing, pool_builder, tenant, LiveHeap};

#[global_allocator]
static ALLOCATOR: LiveHeap = LiveHeap;

/// This suite's tenants' accounts.
const ACCOUNTS: u64 = 500_000_000_000;

#[tokio::test(start_paused = true)]
async fn an_idle_tenant_costs_a_few_kib() {
    let (time, double) = paused_issuing(3600);
    double.set_recording(false);
    let pool = pool_builder(&double, &time)
        .sts_rate_limit(1000.0, 1000)
        .build()
        .unwrap();
    // The lane's STS client is built by the first call: not a per-tenant cost.
    pool.credentials(&tenant(ACCOUNTS, "memory", 0))
        .await
        .unwrap();
    let n = 2000;
    let keys: Vec<_> = (1..=n).map(|i| tenant(ACCOUNTS, "memory", i)).collect();
    let before = LiveHeap::live();
    let results = pool.prefetch(keys).await;
    assert!(results.iter().all(Result::is_ok));
    drop(results);
    let per_tenant = (LiveHeap::live() - before) / n as i64;
    // The bound is 16 KiB; the bench measures about 2 KiB.
    assert!(per_tenant < 16 * 1024, "{per_tenant} bytes per idle tenant");
    assert!(
        per_tenant > 256,
        "{per_tenant} bytes per tenant: the counter is not counting"
    );
    assert_eq!(pool.stats().sessions, n as u64 + 1);
}
