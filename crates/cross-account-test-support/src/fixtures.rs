//! The start of most in-process tests: paused-clock time, a double, and a session or pool over
//! them; and the check that nothing shows the double's secrets.

use aws_smithy_async::rt::sleep::TokioSleep;
use cross_account::{
    CrossAccountPool, CrossAccountPoolBuilder, CrossAccountSession, CrossAccountSessionBuilder,
};

use crate::{PausedTime, StsDouble, EXTERNAL_ID, ROLE_ARN, SENTINEL_SECRET, SENTINEL_TOKEN};

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
