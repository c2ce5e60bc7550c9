//! Soak: 10,000 refresh cycles under tokio's paused clock, through the real SDK and the `sts`
//! adapter over the in-process STS double, with 1% of AssumeRole calls failing with a fault
//! drawn from a fixed-seed xorshift.
//!
//! Asserts that no read fails while valid credentials are held, that no read returns credentials
//! inside the margin, and that the runtime's task count and this process's live heap stay flat
//! (measured by a counting global allocator, at a checkpoint every 1,000 cycles). Prints the
//! figures; run with `--nocapture` to see them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_async::time::TimeSource;
use cross_account_test_support::{session_builder, LiveHeap, PausedTime, Reply, StsDouble};

#[global_allocator]
static ALLOCATOR: LiveHeap = LiveHeap;

const CYCLES: u64 = 10_000;
const CHECKPOINT_EVERY: u64 = 1_000;
const LIFETIME: u64 = 900;
const MARGIN: Duration = Duration::from_secs(30);
const READ_EVERY: Duration = Duration::from_secs(30);
/// Live heap may move by this much between checkpoints (a buffer that grew once); a leak of one
/// small allocation per cycle (9,000 cycles between the compared checkpoints) or per injected
/// fault would be above it.
const HEAP_SLACK: i64 = 2 * 1024;

/// xorshift64: a fixed, reproducible sequence of fault decisions.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn fault(pick: u64) -> Reply {
    match pick % 10 {
        0 => Reply::Status(500),
        1 => Reply::Status(503),
        2 => Reply::throttle(),
        3 => Reply::Refused,
        4 => Reply::ResetMidBody,
        5 => Reply::Hang,
        6 => Reply::Malformed,
        7 => Reply::Empty200,
        8 => Reply::access_denied(),
        _ => Reply::Expired,
    }
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_refresh_cycles_with_one_percent_faults() {
    let wall = std::time::Instant::now();
    let time = PausedTime::new();
    let t0 = time.now();
    let rng = Mutex::new(XorShift(0x9E37_79B9_7F4A_7C15));
    let injected = Arc::new(AtomicU64::new(0));
    let counter = injected.clone();
    let double = StsDouble::new(time.clone(), move |n| {
        let mut rng = rng.lock().unwrap();
        // The first call succeeds: a cold start has no credentials to fall back on.
        if n > 0 && rng.next().is_multiple_of(100) {
            counter.fetch_add(1, Ordering::Relaxed);
            fault(rng.next())
        } else {
            Reply::ok(LIFETIME)
        }
    });
    double.set_recording(false);
    let session = session_builder(&double, &time).build().unwrap();
    let mut held = session.credentials().await.expect("the first read");

    let metrics = tokio::runtime::Handle::current().metrics();
    let (mut reads, mut failed_while_valid, mut failed_after_expiry) = (0u64, 0u64, 0u64);
    // Allocated up front, so the measurements do not measure their own vector growing.
    let mut checkpoints: Vec<(u64, usize, i64)> =
        Vec::with_capacity((CYCLES / CHECKPOINT_EVERY + 2) as usize);
    let mut next_checkpoint = 0;
    loop {
        let refreshes = session.status().refresh_count;
        if refreshes >= next_checkpoint {
            // Let the refresh task settle in its sleep before measuring.
            tokio::task::yield_now().await;
            checkpoints.push((refreshes, metrics.num_alive_tasks(), LiveHeap::live()));
            if refreshes >= CYCLES {
                break;
            }
            next_checkpoint += CHECKPOINT_EVERY;
        }
        tokio::time::sleep(READ_EVERY).await;
        let now = time.now();
        match session.credentials().await {
            Ok(c) => {
                assert!(
                    c.expiration() > now + MARGIN,
                    "credentials inside the margin at read {reads}"
                );
                held = c;
            }
            Err(e) if held.expiration() > now + MARGIN => {
                failed_while_valid += 1;
                eprintln!("read {reads} failed while valid credentials were held: {e}");
            }
            Err(_) => failed_after_expiry += 1,
        }
        reads += 1;
    }
    // Let a call still in flight (a hanging one takes 5 s) finish before counting.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let status = session.status();
    let elapsed = wall.elapsed();
    let simulated_days = time.now().duration_since(t0).unwrap().as_secs_f64() / 86_400.0;
    eprintln!(
        "soak: {} refresh cycles, {} AssumeRole calls ({} faults injected), {reads} reads, {failed_while_valid} failed while valid, {failed_after_expiry} failed after expiry; {simulated_days:.0} days simulated in {:.1} s of wall time",
        status.refresh_count,
        status.sts_calls,
        injected.load(Ordering::Relaxed),
        elapsed.as_secs_f64()
    );
    eprintln!("  refreshes  alive tasks  live heap (bytes)");
    for (refreshes, tasks, heap) in &checkpoints {
        eprintln!("  {refreshes:>9}  {tasks:>11}  {heap:>17}");
    }

    assert_eq!(
        failed_while_valid, 0,
        "no read may fail while valid credentials are held"
    );
    assert!(status.refresh_count >= CYCLES);
    let injected = injected.load(Ordering::Relaxed);
    assert!(
        (50..=200).contains(&injected),
        "about 1% of ~{CYCLES} calls faulted: {injected}"
    );
    assert_eq!(
        status.sts_calls,
        status.refresh_count + 1 + injected,
        "one call per lifetime plus one retry per fault"
    );
    // Flat: compare every checkpoint after the warm-up (the first 1,000 cycles) with the first.
    let (_, base_tasks, base_heap) = checkpoints[1];
    for (refreshes, tasks, heap) in &checkpoints[1..] {
        assert_eq!(
            *tasks, base_tasks,
            "alive tasks at {refreshes} refreshes: {tasks}, at {}: {base_tasks}",
            checkpoints[1].0
        );
        assert!(
            (heap - base_heap).abs() <= HEAP_SLACK,
            "live heap at {refreshes} refreshes: {heap} bytes, at {}: {base_heap} bytes",
            checkpoints[1].0
        );
    }
}
