//! What cross-account's tests and benches share: the two STS doubles (in process, and on a
//! loopback socket with a quota), wall time that follows tokio's paused clock, the scenario of
//! `scripts/with-local-sts`, a capture of `tracing` output, tenants for the pool and a heap
//! counter. Not published; the core takes it as a dev-dependency only.

mod concurrently;
mod fixtures;
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
pub use fixtures::{assert_no_sentinel, paused_issuing, pool_builder, session_builder};
pub use live_heap::LiveHeap;
pub use paused_time::PausedTime;
pub use quota_sts::{QuotaStats, QuotaSts};
pub use scenario::{scenario, Scenario};
pub use signing_keys::SigningKeys;
pub use sts_double::{Form, Reply, StsDouble};
pub use tenants::tenant;
pub use trace_capture::TraceCapture;
pub use verify_outcomes::verify_outcomes;

/// The role every in-process session assumes.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/DemoRole";
/// The external ID the in-process sessions send.
pub const EXTERNAL_ID: &str = "ExternalId123";
/// The prefix of every secret access key the in-process double issues.
pub const SENTINEL_SECRET: &str = "SENTINEL-SECRET-7d1f0c2e9b";
/// The prefix of every session token the in-process double issues.
pub const SENTINEL_TOKEN: &str = "SENTINEL-TOKEN-4a8b6c1d3e";
