//! A real exchange with the local STS, logged at TRACE by this crate and the AWS SDK, holds no
//! secret. Alone in its test binary: `tracing`'s per-callsite interest cache is shared by the
//! whole process, so a scoped subscriber is only reliable when no other test runs beside it.

use aws_config::BehaviorVersion;
use cross_account_test_support::{scenario, Scenario, TraceCapture};
use secrecy::ExposeSecret;

#[tokio::test]
async fn trace_logs_of_a_real_exchange_hold_no_secret() {
    let Some(sc) = scenario() else { return };
    let trace = TraceCapture::start();
    let session = sc.session().build().unwrap();
    let creds = session.credentials().await.unwrap();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(session.clone())
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(Scenario::s3_config(&config).build());
    s3.get_object()
        .bucket(&sc.bucket)
        .key(&sc.key)
        .send()
        .await
        .unwrap();
    let log = trace.text();
    assert!(log.contains("assumed role"), "events were captured");
    assert!(
        log.len() > 10_000,
        "TRACE output from the SDK was captured ({} bytes)",
        log.len()
    );
    assert!(
        !log.contains(creds.secret_access_key().expose_secret()),
        "secret key in TRACE logs"
    );
    assert!(
        !log.contains(creds.session_token().expose_secret()),
        "session token in TRACE logs"
    );
}
