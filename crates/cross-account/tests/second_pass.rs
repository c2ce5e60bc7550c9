//! The second pass of the refresh engine, one test per defect it fixes: refresh that no
//! caller's runtime can stop, fetches no cancelled reader can abandon, one cache with the SDK,
//! errors that keep their cause, refused combinations, and MFA providers off the runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_async::test_util::tick_advance_sleep::{
    tick_advance_time_and_sleep, TickAdvanceSleep, TickAdvanceTime,
};
use aws_smithy_async::time::TimeSource;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use cross_account::{
    CrossAccountSession, CrossAccountSessionBuilder, Error, ErrorKind, MfaTokenFuture,
    ProvideMfaToken, SessionOptions,
};
use cross_account_test_support::runtimes::{current_thread, workers};
use cross_account_test_support::{
    concurrently, paused_issuing, session_builder, PausedTime, Reply, SigningKeys, StsDouble,
    ROLE_ARN,
};

/// A session over the double on tick-advance time: nothing runs on any caller's runtime, so
/// the STS calls and the refresh go to the refresh driver thread.
fn driver_session(
    double: &StsDouble,
    time: &TickAdvanceTime,
    sleep: &TickAdvanceSleep,
) -> CrossAccountSessionBuilder {
    CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .external_id("ExternalId123")
        .session_name("driver-test")
        .sdk_config(&double.sdk_config())
        .time_source(time.clone())
        .sleep_impl(sleep.clone())
}

/// Waits, bounded, for work on the refresh driver thread (cross-thread synchronisation only:
/// the tests' notion of time is the injected clock).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..5_000 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("timed out waiting for: {what}");
}

/// Moves the injected clock on by `by`, then keeps releasing the sleeps that come due at the
/// same instant (a task on the driver may register its sleep after the tick) until `done`.
fn tick_until(time: &TickAdvanceTime, by: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let rt = current_thread();
    rt.block_on(time.tick(by));
    eventually(what, || {
        rt.block_on(time.tick(Duration::ZERO));
        done()
    });
}

#[test]
fn prefetch_outlives_the_runtime_that_read_first() {
    let (time, sleep) = tick_advance_time_and_sleep();
    let double = StsDouble::issuing(time.clone(), 900);
    let session = driver_session(&double, &time, &sleep).build().unwrap();
    let first = {
        let rt = current_thread();
        let creds = rt.block_on(session.credentials()).unwrap();
        drop(rt); // a runtime per request, a #[tokio::test], a Lambda-style handler
        creds
    };
    assert_eq!(double.calls(), 1);
    eventually("the background task is alive", || {
        session.status().background_task_running
    });
    // Past the latest refresh point (expiry - window/2 = 750 s), before the margin (870 s).
    tick_until(
        &time,
        Duration::from_secs(800),
        "prefetch ran with no caller runtime",
        // Counted when stored, so the cache holds the new credentials (the call count moves
        // when the request goes out).
        || session.status().refresh_count == 1,
    );
    let held = session
        .cached_credentials()
        .expect("a fresh read needs no fetch");
    assert_ne!(held.access_key_id(), first.access_key_id());
    assert!(
        held.expiration() > first.expiration(),
        "fetched at the refresh point"
    );
    assert!(session.status().background_task_running);
}

#[test]
fn no_runtime_at_all_blocking_read_and_refresh() {
    let (time, sleep) = tick_advance_time_and_sleep();
    let double = StsDouble::issuing(time.clone(), 900);
    let session = driver_session(&double, &time, &sleep).build().unwrap();
    let first = session.credentials_blocking().unwrap();
    tick_until(
        &time,
        Duration::from_secs(800),
        "refresh before expiry",
        // Counted when stored, so the cache holds the new credentials (the call count moves
        // when the request goes out).
        || session.status().refresh_count == 1,
    );
    let second = session.credentials_blocking().unwrap();
    assert_ne!(first.access_key_id(), second.access_key_id());
    assert_eq!(
        double.calls(),
        2,
        "the blocking read was served from the cache"
    );
}

#[test]
fn blocking_read_inside_a_runtime_is_refused_not_hung() {
    let double = StsDouble::issuing(aws_smithy_async::time::SystemTimeSource::new(), 900);
    let session = CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .sdk_config(&double.sdk_config())
        .build()
        .unwrap();
    let err = current_thread().block_on(async { session.credentials_blocking().unwrap_err() });
    assert_eq!(err.field(), Some("credentials_blocking"));
    assert_eq!(double.calls(), 0);
}

#[test]
fn a_given_runtime_that_shuts_down_hands_over_to_the_driver() {
    let (time, sleep) = tick_advance_time_and_sleep();
    let double = StsDouble::issuing(time.clone(), 900);
    let rt = current_thread();
    let session = driver_session(&double, &time, &sleep)
        .runtime_handle(rt.handle().clone())
        .build()
        .unwrap();
    rt.block_on(async {
        session.credentials().await.unwrap();
        tokio::task::yield_now().await;
    });
    assert!(session.status().background_task_running);
    drop(rt);
    assert!(
        !session.status().background_task_running,
        "the flag follows the task, which died with its runtime"
    );
    // The next read restarts the task, now on the driver, and refreshes happen again.
    assert!(session.cached_credentials().is_some());
    eventually("task restarted", || {
        session.status().background_task_running
    });
    tick_until(
        &time,
        Duration::from_secs(800),
        "refresh on the driver",
        || double.calls() == 2,
    );
}

#[test]
fn an_idle_first_runtime_does_not_hold_up_the_next_fetch() {
    let (time, sleep) = tick_advance_time_and_sleep();
    let double = StsDouble::issuing(time.clone(), 900);
    let session = driver_session(&double, &time, &sleep).build().unwrap();
    let idle = current_thread();
    idle.block_on(session.credentials()).unwrap();
    // `idle` stays alive but is never polled again.
    let busy = workers(1);
    session.invalidate();
    let second = busy.block_on(session.credentials()).unwrap();
    assert_eq!(double.calls(), 2);
    assert!(second.expiration() > time.now());
    drop(idle);
}

#[tokio::test(start_paused = true)]
async fn a_hundred_cancelled_readers_make_one_call_whose_result_is_served() {
    let time = PausedTime::new();
    let double = StsDouble::issuing_after(time.clone(), 3600, Duration::from_secs(1));
    let session = session_builder(&double, &time).build().unwrap();
    let finished = concurrently(100, |_| {
        let s = session.clone();
        async move { tokio::time::timeout(Duration::from_millis(400), s.credentials()).await }
    })
    .await
    .iter()
    .filter(|r| r.is_ok())
    .count();
    assert_eq!(finished, 0, "every reader gave up at 400 ms");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(double.calls(), 1, "the abandoned call went on");
    let status = session.status();
    assert!(status.expiration.is_some(), "its result was recorded");
    assert!(session.cached_credentials().is_some());
    session.credentials().await.unwrap();
    assert_eq!(double.calls(), 1, "and served without a new call");
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_reader_does_not_lose_the_failure_or_its_backoff() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::Status(503));
    let session = session_builder(&double, &time).build().unwrap();
    let _ = tokio::time::timeout(Duration::from_millis(1), session.credentials()).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let status = session.status();
    assert_eq!(status.consecutive_failures, 1, "the failure was recorded");
    assert_eq!(
        status.last_error.as_ref().map(Error::kind),
        Some(ErrorKind::Unavailable)
    );
    // Inside the backoff, readers get the recorded error without a new call.
    let err = session.credentials().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(double.calls(), 1);
}

/// An S3 endpoint whose bucket list is empty.
#[derive(Clone, Debug)]
struct EmptyS3;

impl HttpConnector for EmptyS3 {
    fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(Ok(Response::new(
            StatusCode::try_from(200).unwrap(),
            SdkBody::from("<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>"),
        )))
    }
}

/// An S3 client of the loader's config over `EmptyS3`, recording who signed each request.
async fn s3_over(loader: aws_config::ConfigLoader, keys: &SigningKeys) -> aws_sdk_s3::Client {
    let connector = SharedHttpConnector::new(EmptyS3);
    let config = loader
        .region(aws_config::Region::new("us-east-1"))
        .http_client(http_client_fn(move |_, _| connector.clone()))
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .interceptor(keys.clone())
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

#[tokio::test(start_paused = true)]
async fn one_cache_invalidate_and_the_margin_reach_the_s3_client() {
    let (time, double) = paused_issuing(900);
    let session = session_builder(&double, &time)
        .auto_refresh(false)
        .build()
        .unwrap();
    let signers = SigningKeys::default();
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .time_source(time.clone())
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new());
    let s3 = s3_over(session.configure_loader(loader), &signers).await;
    let last = || signers.last();

    s3.list_buckets().send().await.unwrap();
    let first = last();
    session.invalidate();
    s3.list_buckets().send().await.unwrap();
    let second = last();
    assert_ne!(
        first, second,
        "after invalidate() the next request signs with new credentials"
    );

    // 20 s before expiry: inside the session's 30 s margin, outside the SDK's own 10 s.
    tokio::time::sleep(Duration::from_secs(900 - 20)).await;
    s3.list_buckets().send().await.unwrap();
    assert_ne!(
        last(),
        second,
        "no request signs with credentials inside the margin"
    );
    assert_eq!(double.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn plain_credentials_provider_keeps_the_sdk_cache_as_documented() {
    let (time, double) = paused_issuing(900);
    let session = session_builder(&double, &time).build().unwrap();
    let signers = SigningKeys::default();
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .time_source(time.clone())
        .credentials_provider(session.clone());
    let s3 = s3_over(loader, &signers).await;
    s3.list_buckets().send().await.unwrap();
    session.invalidate();
    s3.list_buckets().send().await.unwrap();
    let seen = signers.all();
    // What configure_loader() exists for: the SDK's cache still hands out the old key.
    assert_eq!(seen[0], seen[1]);
}

#[tokio::test(start_paused = true)]
async fn a_chain_whose_first_hop_gets_503_is_retryable_with_the_cause() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::Status(503));
    let first = session_builder(&double, &time)
        .role_arn("arn:aws:iam::111111111111:role/Hop")
        .build()
        .unwrap();
    let second = session_builder(&double, &time)
        .source_session(first)
        .build()
        .unwrap();
    let err = second.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceUnavailable, "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("source credentials"), "{err}");
    // The first hop's own error is in the chain of causes.
    let mut cause = std::error::Error::source(&err);
    let mut inner = None;
    while let Some(c) = cause {
        if let Some(e) = c.downcast_ref::<Error>() {
            inner = Some(e.kind());
        }
        cause = c.source();
    }
    assert_eq!(inner, Some(ErrorKind::Unavailable));
}

#[tokio::test(start_paused = true)]
async fn sts_errors_carry_code_request_id_and_source() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::throttle());
    let session = session_builder(&double, &time).build().unwrap();
    let err = session.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.code(), Some("Throttling"));
    assert_eq!(err.request_id(), Some("req-0"));
    let source = std::error::Error::source(&err).expect("the SDK error");
    assert!(
        source
            .downcast_ref::<aws_sdk_sts::error::SdkError<
                aws_sdk_sts::operation::assume_role::AssumeRoleError,
                aws_smithy_runtime_api::http::Response,
            >>()
            .is_some(),
        "{source:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn moto_shaped_refusals_read_the_nested_code_and_message() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::Bare403);
    let session = session_builder(&double, &time).build().unwrap();
    let err = session.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(err.message(), "User is not authorized");
}

#[test]
fn combinations_that_cannot_be_honoured_are_refused_naming_both() {
    let double = StsDouble::issuing(aws_smithy_async::time::SystemTimeSource::new(), 900);
    let config = double.sdk_config();
    let b = || CrossAccountSession::builder().role_arn(ROLE_ARN);

    let err = b()
        .sdk_config(&config)
        .profile("partner")
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("profile"));
    assert!(err.message().contains("sdk_config"), "{err}");

    let hop = b().build().unwrap();
    let err = b()
        .source_session(hop.clone())
        .profile("partner")
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("profile"));
    assert!(err.message().contains("source_session"), "{err}");

    let err = b()
        .options(SessionOptions {
            source_role: Some(Box::new(SessionOptions::new(
                "arn:aws:iam::111111111111:role/Hop",
            ))),
            ..SessionOptions::new(ROLE_ARN)
        })
        .source_session(hop)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("source_role"));
    assert!(err.message().contains("source_session"), "{err}");

    let err = b()
        .mfa_serial("arn:aws:iam::123456789012:mfa/alice")
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("mfa_token"));
    assert!(err.message().contains("mfa_serial"), "{err}");

    // Honoured, as documented: region, endpoint, clock and sleep on top of sdk_config.
    assert!(b()
        .sdk_config(&config)
        .region("eu-west-1")
        .endpoint_url("http://127.0.0.1:1")
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .build()
        .is_ok());
}

#[tokio::test(start_paused = true)]
async fn options_chain_builds_both_hops_and_clamps() {
    let (time, double) = paused_issuing(3600);
    let options = SessionOptions {
        duration: Some(Duration::from_secs(7200)),
        source_role: Some(Box::new(SessionOptions::new(
            "arn:aws:iam::111111111111:role/Hop",
        ))),
        ..SessionOptions::new(ROLE_ARN)
    };
    let session = session_builder(&double, &time)
        .options(options.clone())
        .build()
        .unwrap();
    assert_eq!(session.duration().as_secs(), 3600);
    assert_eq!(session.options(), &options);
    session.credentials().await.unwrap();
    let roles: Vec<_> = double
        .requests()
        .iter()
        .filter_map(|r| r.get("RoleArn").and_then(|v| v.first()).cloned())
        .collect();
    assert_eq!(roles, ["arn:aws:iam::111111111111:role/Hop", ROLE_ARN]);
}

/// An async provider that needs the runtime it is polled on to make progress.
struct NeedsTheRuntime(Arc<AtomicU64>);

impl ProvideMfaToken for NeedsTheRuntime {
    fn mfa_token(&self) -> MfaTokenFuture<'_> {
        let ticks = self.0.clone();
        Box::pin(async move {
            // Completes only if other tasks on the same thread keep running meanwhile.
            while ticks.load(Ordering::SeqCst) < 10 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok("123456".to_string())
        })
    }
}

/// On `#[tokio::test]`'s current-thread runtime.
#[tokio::test(start_paused = true)]
async fn mfa_providers_leave_a_current_thread_runtime_free() {
    let (time, double) = paused_issuing(3600);
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // Async: awaits on the runtime without holding its thread.
    let session = session_builder(&double, &time)
        .mfa_serial("arn:aws:iam::123456789012:mfa/alice")
        .mfa_token_provider(NeedsTheRuntime(ticks.clone()))
        .build()
        .unwrap();
    session.credentials().await.unwrap();
    assert_eq!(
        double.requests()[0].get("TokenCode").map(|v| v[0].as_str()),
        Some("123456")
    );

    // Synchronous: runs on the blocking pool. It waits for the ticker, which can only tick
    // if the callback is not blocking the runtime's one thread.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let session = session_builder(&double, &time)
        .session_name("sync-mfa")
        .mfa("arn:aws:iam::123456789012:mfa/alice", move || {
            rx.lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10))
                .map(|()| "654321".to_string())
                .map_err(|_| "the runtime was blocked".to_string())
        })
        .build()
        .unwrap();
    // Runs only when the runtime's thread is free while the fetch is in progress.
    let signal = tokio::spawn(async move {
        tx.send(()).unwrap();
    });
    session.credentials().await.unwrap();
    signal.await.unwrap();
    ticker.abort();
}

#[tokio::test(start_paused = true)]
async fn a_failing_mfa_provider_keeps_its_cause() {
    let (time, double) = paused_issuing(3600);
    let session = session_builder(&double, &time)
        .mfa("arn:aws:iam::123456789012:mfa/alice", || {
            Err("no terminal to prompt on".to_string())
        })
        .build()
        .unwrap();
    let err = session.credentials().await.unwrap_err();
    assert_eq!(err.field(), Some("mfa_token"));
    let cause = std::error::Error::source(&err).expect("the provider's error");
    assert_eq!(cause.to_string(), "no terminal to prompt on");
    assert_eq!(double.calls(), 0, "no STS call without a code");
}

#[tokio::test(start_paused = true)]
async fn invalidate_during_an_outage_keeps_serving_what_is_still_valid() {
    let (time, double) = paused_issuing(3600);
    let session = session_builder(&double, &time).build().unwrap();
    let held = session.credentials().await.unwrap();
    double.set_script(|_| Reply::Status(503));
    session.invalidate();
    let first = session.credentials().await.unwrap();
    assert_eq!(
        first.access_key_id(),
        held.access_key_id(),
        "the outage does not cost the held key"
    );
    // Again, inside the backoff: still the held key, and no new call.
    session.invalidate();
    let calls = double.calls();
    let second = session.credentials().await.unwrap();
    assert_eq!(second.access_key_id(), held.access_key_id());
    assert_eq!(double.calls(), calls);
    // A refusal, by contrast, takes the invalidated key out of service.
    double.set_script(|_| Reply::access_denied());
    tokio::time::sleep(Duration::from_secs(120)).await;
    session.invalidate();
    let err = session.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
}
