//! Read latency while a background refresh is in flight and STS takes 2 s to answer.
//! `cargo bench -p cross-account --bench read_during_refresh`
//!
//! The session's clock is moved into the refresh window; the background task starts the
//! AssumeRole call (2 s); readers meanwhile keep reading. Prints p50 / p99 / max per read.

use std::time::{Duration, Instant};

use aws_smithy_async::test_util::tick_advance_sleep::tick_advance_time_and_sleep;
use cross_account::CrossAccountSession;
use cross_account_test_support::{Reply, StsDouble, EXTERNAL_ID, ROLE_ARN};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rt = cross_account_test_support::runtimes::workers(2);
    rt.block_on(async {
        // Wall time moves only when ticked; the double's 2 s delay is tokio's, so it stays real.
        let (time, sleep) = tick_advance_time_and_sleep();
        let double = StsDouble::new(time.clone(), |n| {
            if n == 0 {
                Reply::ok(900)
            } else {
                Reply::ok_after(900, Duration::from_secs(2))
            }
        });
        let sdk_config = double.sdk_config();
        let session = CrossAccountSession::builder()
            .role_arn(ROLE_ARN)
            .external_id(EXTERNAL_ID)
            .sdk_config(&sdk_config)
            .time_source(time.clone())
            .sleep_impl(sleep)
            .build()
            .unwrap();
        let first = session.credentials().await.unwrap();
        // Into the refresh window (it opens at most 300 s before expiry), outside the margin.
        time.tick(Duration::from_secs(900 - 140)).await;
        let start = Instant::now();
        while double.calls() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut lat = Vec::with_capacity(2_000_000);
        let mut served_old = 0u64;
        // Read for 1.5 s of the 2 s the refresh takes.
        while start.elapsed() < Duration::from_millis(1500) {
            let t = Instant::now();
            let c = session.credentials().await.unwrap();
            lat.push(t.elapsed());
            if c.access_key_id() == first.access_key_id() {
                served_old += 1;
            }
        }
        assert_eq!(
            session.status().refresh_count,
            0,
            "the refresh was still in flight"
        );
        lat.sort();
        println!(
            "read_during_refresh: {} reads while AssumeRole was in flight (STS delay 2 s)",
            lat.len()
        );
        println!(
            "  p50 {:?}  p99 {:?}  p99.9 {:?}  max {:?}  (served held credentials: {})",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            percentile(&lat, 0.999),
            lat[lat.len() - 1],
            served_old
        );
        // Let the refresh land.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let after = session.credentials().await.unwrap();
        assert_ne!(after.access_key_id(), first.access_key_id(), "refreshed");
        println!("  refreshed: {} STS calls in all", double.calls());
    });
}
