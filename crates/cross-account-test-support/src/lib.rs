//! What cross-account's tests and benches share: the two STS doubles (in process, and on a
//! loopback socket with a quota), wall time that follows tokio's paused clock, the scenario of
//! `scripts/with-local-sts`, a capture of `tracing` output, tenants for the pool and a heap
//! counter. Not published; the core takes it as a dev-dependency only.

mod concurrently;
mod live_heap;
mod paused_time;
mod quota_sts;
pub mod runtimes;
mod scenario;
mod signing_keys;
mod sts_double;
mod tenants;
mod trace_capture;
mod verify_outcomes;
pub mod wire;

pub use concurrently::concurrently;
pub use live_heap::LiveHeap;
pub use paused_time::PausedTime;
pub use quota_sts::{QuotaStats, QuotaSts};
pub use scenario::{scenario, Scenario};
pub use signing_keys::SigningKeys;
pub use sts_double::{Form, Reply, StsDouble};
pub use tenants::tenant;
pub use trace_capture::TraceCapture;
pub use verify_outcomes::verify_outcomes;

use aws_smithy_async::rt::sleep::TokioSleep;
use cross_account::{
    CrossAccountPool, CrossAccountPoolBuilder, CrossAccountSession, CrossAccountSessionBuilder,
};

/// The role every in-process session assumes.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/DemoRole";
/// The external ID the in-process sessions send.
pub const EXTERNAL_ID: &str = "ExternalId123";
/// The prefix of every secret access key the in-process double issues.
pub const SENTINEL_SECRET: &str = "SENTINEL-SECRET-7d1f0c2e9b";
/// The prefix of every session token the in-process double issues.
pub const SENTINEL_TOKEN: &str = "SENTINEL-TOKEN-4a8b6c1d3e";

/// Fails if `text` (what `what` shows) holds any part of the double's credentials' secrets.
pub fn assert_no_sentinel(what: &str, text: &str) {
    for secret in [SENTINEL_SECRET, SENTINEL_TOKEN] {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
}

/// Wall time on tokio's clock, and a double on it that always issues credentials of this
/// lifetime: the start of most paused-clock tests.
pub fn paused_issuing(lifetime_secs: u64) -> (PausedTime, StsDouble) {
    let time = PausedTime::new();
    let double = StsDouble::issuing(time.clone(), lifetime_secs);
    (time, double)
}

/// A session over the double with the paused clock, on the test's runtime when there is one.
pub fn session_builder(double: &StsDouble, time: &PausedTime) -> CrossAccountSessionBuilder {
    let builder = CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .external_id(EXTERNAL_ID)
        .session_name("test-session")
        .sdk_config(&double.sdk_config())
        .time_source(time.clone())
        .sleep_impl(TokioSleep::new());
    // A paused clock belongs to the test's runtime, so the STS calls must run there too.
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => builder.runtime_handle(handle),
        Err(_) => builder,
    }
}

/// A pool over the double with the paused clock, on the test's runtime (call it inside one).
pub fn pool_builder(double: &StsDouble, time: &PausedTime) -> CrossAccountPoolBuilder {
    CrossAccountPool::builder()
        .sdk_config(&double.sdk_config())
        .time_source(time.clone())
        .sleep_impl(TokioSleep::new())
        .runtime_handle(tokio::runtime::Handle::current())
}
