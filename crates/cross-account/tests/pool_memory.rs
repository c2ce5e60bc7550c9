//! Memory per idle tenant, asserted loosely (the exact figure is a `bench/run` row): live heap
//! bytes counted by a wrapping allocator, 2000 warmed tenants over the in-process double.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

use aws_smithy_async::rt::sleep::TokioSleep;
use common::{PausedTime, StsDouble};
use cross_account::{CrossAccountPool, SessionOptions};

struct Counting;
static LIVE: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn tenant(i: usize) -> SessionOptions {
    SessionOptions {
        external_id: Some(format!("external-id-{i:05}")),
        session_name: Some("memory".into()),
        ..SessionOptions::new(format!(
            "arn:aws:iam::{:012}:role/Tenant{i}",
            500_000_000_000u64 + i as u64
        ))
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_tenant_costs_a_few_kib() {
    let time = PausedTime::new();
    let double = StsDouble::issuing(time.clone(), 3600);
    double.set_recording(false);
    let pool = CrossAccountPool::builder()
        .sdk_config(&double.sdk_config())
        .time_source(time.clone())
        .sleep_impl(TokioSleep::new())
        .runtime_handle(tokio::runtime::Handle::current())
        .sts_rate_limit(1000.0, 1000)
        .build()
        .unwrap();
    // The lane's STS client is built by the first call: not a per-tenant cost.
    pool.credentials(&tenant(0)).await.unwrap();
    let n = 2000;
    let keys: Vec<_> = (1..=n).map(tenant).collect();
    let before = LIVE.load(Ordering::Relaxed);
    let results = pool.prefetch(keys).await;
    assert!(results.iter().all(Result::is_ok));
    drop(results);
    let per_tenant = (LIVE.load(Ordering::Relaxed) - before) / n as i64;
    // The bound is 16 KiB; the bench measures about 2 KiB.
    assert!(per_tenant < 16 * 1024, "{per_tenant} bytes per idle tenant");
    assert!(
        per_tenant > 256,
        "{per_tenant} bytes per tenant: the counter is not counting"
    );
    assert_eq!(pool.stats().sessions, n as u64 + 1);
}
