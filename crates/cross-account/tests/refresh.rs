//! The refresh engine under tokio's paused clock, over the in-process STS double.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::TimeSource;
use cross_account::{CrossAccountSession, Error, TemporaryCredentials};
use cross_account_test_support::{
    concurrently, paused_issuing, session_builder, PausedTime, Reply, StsDouble, ROLE_ARN,
};
use tokio::time::Instant;

const MARGIN: Duration = Duration::from_secs(30);

fn assert_usable(creds: &TemporaryCredentials, time: &PausedTime) {
    assert!(
        creds.expiration() > time.now() + MARGIN,
        "handed out credentials inside the margin: expire {:?}, now {:?}",
        creds.expiration(),
        time.now()
    );
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_cold_readers_make_one_call() {
    let time = PausedTime::new();
    let double = StsDouble::issuing_after(time.clone(), 3600, Duration::from_secs(1));
    let session = session_builder(&double, &time).build().unwrap();
    let keys: std::collections::HashSet<String> = concurrently(10_000, |_| {
        let s = session.clone();
        async move { s.credentials().await.unwrap().access_key_id().to_string() }
    })
    .await
    .into_iter()
    .collect();
    assert_eq!(double.calls(), 1);
    assert_eq!(keys.len(), 1);
    assert_eq!(session.status().sts_calls, 1);
}

#[test]
fn threads_on_a_cold_session_make_one_call() {
    let rt = cross_account_test_support::runtimes::workers(2);
    let time = rt.block_on(async { PausedTime::new() });
    let double = StsDouble::issuing(time.clone(), 3600);
    let session = session_builder(&double, &time).build().unwrap();
    std::thread::scope(|scope| {
        for _ in 0..16 {
            let s = session.clone();
            let handle = rt.handle().clone();
            scope.spawn(move || {
                for _ in 0..100 {
                    handle.block_on(s.credentials()).unwrap();
                }
            });
        }
    });
    assert_eq!(double.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_thousand_refresh_cycles_one_call_each_and_readers_never_wait() {
    let time = PausedTime::new();
    // STS answers after 2 s, so any reader that waited for it would see the clock move.
    let double = StsDouble::issuing_after(time.clone(), 900, Duration::from_secs(2));
    let session = session_builder(&double, &time).build().unwrap();
    session.credentials().await.unwrap();
    let (mut reads, mut waited) = (0u64, 0u64);
    let mut last_key = String::new();
    let mut distinct = 0u64;
    while session.status().refresh_count < 1000 {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let before = Instant::now();
        let creds = session.credentials().await.expect("no read may fail");
        if before.elapsed() > Duration::ZERO {
            waited += 1;
        }
        assert_usable(&creds, &time);
        if creds.access_key_id() != last_key {
            distinct += 1;
            last_key = creds.access_key_id().to_string();
        }
        reads += 1;
    }
    let status = session.status();
    assert_eq!(status.refresh_count, 1000);
    assert_eq!(double.calls(), 1001, "exactly one call per lifetime");
    assert_eq!(status.sts_calls, 1001);
    assert_eq!(waited, 0, "no read waited for STS ({reads} reads)");
    assert!(
        distinct >= 1000,
        "readers saw {distinct} credential generations"
    );
    // Every refresh lands in [expiry - window, expiry - window/2]: window = min(300, 900/3) = 300 s,
    // so credentials are replaced after 600 to 750 s of their 900 s (+2 s of STS latency).
    let elapsed = Instant::now() - common_start(&time);
    let per_cycle = elapsed.as_secs_f64() / 1000.0;
    assert!(
        (600.0..=760.0).contains(&per_cycle),
        "mean cycle {per_cycle} s"
    );
}

fn common_start(time: &PausedTime) -> Instant {
    let since = time
        .now()
        .duration_since(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000))
        .unwrap();
    Instant::now() - since
}

/// Runs one outage during prefetch and returns (calls during the outage, seconds to recover).
async fn outage_during_prefetch(fault: Reply) -> (u64, f64) {
    let (time, double) = paused_issuing(900);
    let session = session_builder(&double, &time).build().unwrap();
    let first = session.credentials().await.unwrap();
    // From now on STS fails, for 240 s after the refresh window opens (at most 300 s before expiry).
    let outage_ends = time.now() + Duration::from_secs(600 + 240);
    let t = time.clone();
    let f = fault.clone();
    double.set_script(move |_| {
        if t.now() < outage_ends {
            f.clone()
        } else {
            Reply::ok(900)
        }
    });
    let recovered_at;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let creds = session
            .credentials()
            .await
            .unwrap_or_else(|e| panic!("read failed while valid credentials were held: {e}"));
        assert_usable(&creds, &time);
        if creds.access_key_id() != first.access_key_id() {
            recovered_at = Some(time.now());
            break;
        }
        assert!(time.now() < first.expiration(), "never recovered");
    }
    let during = double.calls() - 2; // minus the first and the recovering call
    let recovered_after = recovered_at
        .unwrap()
        .duration_since(outage_ends)
        .unwrap_or_default();
    let status = session.status();
    assert!(status.last_error.is_none(), "a success clears the error");
    assert_eq!(status.consecutive_failures, 0);
    (during, recovered_after.as_secs_f64())
}

#[tokio::test(start_paused = true)]
async fn sts_failing_during_prefetch_keeps_reads_working() {
    for fault in [
        Reply::Status(500),
        Reply::Status(503),
        Reply::throttle(),
        Reply::Hang,
        Reply::ConnectionError,
    ] {
        let label = format!("{fault:?}");
        let (during, recovered_after) = outage_during_prefetch(fault).await;
        // Full-jitter backoff (1 s base, 60 s cap) over at most 300 s of outage: a tight loop
        // would be hundreds of calls.
        assert!(
            (1..=40).contains(&during),
            "{label}: {during} calls during the outage"
        );
        // The first attempt after STS is back succeeds: within one maximum backoff (+ a hang's timeout).
        assert!(
            recovered_after <= 61.0 + 5.0,
            "{label}: recovered {recovered_after} s after STS came back"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn sts_down_past_expiry_gives_typed_errors_then_recovers() {
    let (time, double) = paused_issuing(900);
    let session = session_builder(&double, &time).build().unwrap();
    let first = session.credentials().await.unwrap();
    let back_at = first.expiration() + Duration::from_secs(600);
    let t = time.clone();
    double.set_script(move |_| {
        if t.now() < back_at {
            Reply::Status(503)
        } else {
            Reply::ok(900)
        }
    });
    let (mut ok, mut errors) = (0, 0);
    let mut recovered = false;
    while time.now() < back_at + Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        match session.credentials().await {
            Ok(c) => {
                assert_usable(&c, &time);
                if c.access_key_id() != first.access_key_id() {
                    recovered = true;
                    break;
                }
                ok += 1;
            }
            Err(e) => {
                assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
                assert!(
                    time.now() + MARGIN >= first.expiration(),
                    "error while credentials were valid"
                );
                errors += 1;
            }
        }
    }
    assert!(recovered, "never recovered");
    assert!(ok > 100 && errors > 50, "ok {ok}, errors {errors}");
    // 25 minutes of outage with a 60 s cap: bounded, not a loop.
    assert!(double.calls() < 120, "{} calls", double.calls());
}

#[tokio::test(start_paused = true)]
async fn access_denied_mid_life_is_surfaced_and_calls_stay_bounded() {
    let (time, double) = paused_issuing(900);
    let session = session_builder(&double, &time).build().unwrap();
    let first = session.credentials().await.unwrap();
    double.set_script(|_| Reply::access_denied());
    let mut denied = 0;
    // One hour of 100 readers polling every second after the trust policy was revoked.
    for _ in 0..3600 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for _ in 0..100 {
            match session.credentials().await {
                Ok(c) => {
                    assert_eq!(c.access_key_id(), first.access_key_id());
                    assert_usable(&c, &time);
                }
                Err(Error::AccessDenied { hint, .. }) => {
                    assert!(hint.contains("sts:ExternalId"));
                    denied += 1;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    }
    let status = session.status();
    assert!(matches!(
        status.last_error,
        Some(Error::AccessDenied { .. })
    ));
    assert!(denied > 100_000, "{denied}");
    // 360,000 reads; the backoff (60 s cap) allows about one call a minute.
    assert!(double.calls() < 200, "{} calls", double.calls());
}

#[tokio::test(start_paused = true)]
async fn cold_start_failure_is_returned_at_once_and_not_retried_by_readers() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::access_denied());
    let session = session_builder(&double, &time).build().unwrap();
    for _ in 0..1000 {
        let err = session.credentials().await.unwrap_err();
        assert_eq!(err.kind().as_str(), "access_denied");
    }
    assert_eq!(
        double.calls(),
        1,
        "readers inside the backoff reuse the error"
    );
}

#[tokio::test(start_paused = true)]
async fn invalidate_refetches_once_for_any_number_of_readers() {
    let time = PausedTime::new();
    let double = StsDouble::issuing_after(time.clone(), 3600, Duration::from_millis(200));
    let session = session_builder(&double, &time).build().unwrap();
    let first = session.credentials().await.unwrap();
    session.invalidate();
    let read = concurrently(1000, |_| {
        let s = session.clone();
        async move { s.credentials().await.unwrap() }
    })
    .await;
    for c in read {
        assert_ne!(c.access_key_id(), first.access_key_id());
    }
    assert_eq!(double.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn on_demand_mode_refreshes_inside_the_window_without_a_task() {
    let (time, double) = paused_issuing(900);
    let session = session_builder(&double, &time)
        .auto_refresh(false)
        .build()
        .unwrap();
    let first = session.credentials().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    assert_eq!(
        double.calls(),
        1,
        "no background refresh when auto_refresh is off"
    );
    assert!(!session.status().background_task_running);
    let second = session.credentials().await.unwrap();
    assert_ne!(second.access_key_id(), first.access_key_id());
    // Past the latest refresh point (expiry - window/2 = 750 s) but outside the margin (870 s):
    // the first reader starts a refresh and, like every reader, reads the held credentials on.
    tokio::time::sleep(Duration::from_secs(760)).await;
    let third = session.credentials().await.unwrap();
    assert_eq!(
        third.access_key_id(),
        second.access_key_id(),
        "no reader waits for it"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    let fourth = session.credentials().await.unwrap();
    assert_ne!(fourth.access_key_id(), second.access_key_id());
    assert_eq!(double.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn role_chaining_clamps_and_inner_refreshes_flow_through() {
    let (time, double) = paused_issuing(3600);
    let inner = session_builder(&double, &time)
        .role_arn("arn:aws:iam::111111111111:role/Hop")
        .build()
        .unwrap();
    let outer = session_builder(&double, &time)
        .role_arn(ROLE_ARN)
        .duration(Duration::from_secs(43200))
        .source_session(inner.clone())
        .auto_refresh(false)
        .build()
        .unwrap();
    assert_eq!(outer.duration().as_secs(), 3600);
    outer.credentials().await.unwrap();
    inner.invalidate();
    let inner_second = inner.credentials().await.unwrap();
    outer.invalidate();
    outer.credentials().await.unwrap();
    let reqs = double.requests();
    let outer_calls: Vec<_> = reqs
        .iter()
        .filter(|r| r["RoleArn"][0] == ROLE_ARN)
        .collect();
    assert_eq!(outer_calls.len(), 2);
    assert_eq!(outer_calls[0]["DurationSeconds"][0], "3600");
    assert_eq!(
        outer_calls[1]["_signed_by"][0],
        inner_second.access_key_id(),
        "the outer call is signed with the inner session's refreshed credentials"
    );
    let inner_calls = reqs
        .iter()
        .filter(|r| r["RoleArn"][0].ends_with(":role/Hop"))
        .count();
    assert_eq!(inner_calls, 2);
}

#[tokio::test(start_paused = true)]
async fn provides_credentials_to_the_sdk() {
    use aws_credential_types::provider::ProvideCredentials;
    let (time, double) = paused_issuing(3600);
    let session = session_builder(&double, &time).build().unwrap();
    let sdk = session.provide_credentials().await.unwrap();
    let ours = session.credentials().await.unwrap();
    assert_eq!(sdk.access_key_id(), ours.access_key_id());
    assert_eq!(sdk.expiry(), Some(ours.expiration()));
    assert_eq!(double.calls(), 1);

    let denied = StsDouble::new(time.clone(), |_| Reply::access_denied());
    let session = session_builder(&denied, &time).build().unwrap();
    let err = session.provide_credentials().await.unwrap_err();
    let text = format!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(&err)
    );
    assert!(text.contains("access denied"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn clock_skewed_answer_is_refused_not_served() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::Expired);
    let session = session_builder(&double, &time).build().unwrap();
    let err = session.credentials().await.unwrap_err();
    assert!(matches!(err, Error::CredentialsExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("clock"));
}

#[tokio::test(start_paused = true)]
async fn builder_checks_refresh_settings() {
    let b = || CrossAccountSession::builder().role_arn(ROLE_ARN);
    for (field, builder) in [
        (
            "refresh_window",
            b().refresh_window(Duration::from_secs(10)),
        ),
        (
            "mandatory_margin",
            b().mandatory_margin(Duration::from_secs(600)),
        ),
        (
            "backoff",
            b().backoff(cross_account::Backoff::default().with_base_delay(Duration::ZERO)),
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
}
