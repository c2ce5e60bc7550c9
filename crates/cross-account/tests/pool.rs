//! `CrossAccountPool` under tokio's paused clock over the in-process STS double: budget pace,
//! throttling, quarantine, outages, eviction, the spreading of refreshes, and `verify`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_async::time::TimeSource;
use cross_account::{
    Backoff, CrossAccountPool, ErrorKind, EvictReason, PoolEvent, SessionOptions, VerifyCheckKind,
    VerifyOutcome, VerifyVerdict,
};
use cross_account_test_support::wire::{field, Form};
use cross_account_test_support::{
    assert_no_sentinel, concurrently, paused_issuing, pool_builder, verify_outcomes, PausedTime,
    Reply, StsDouble, ROLE_ARN,
};
use tokio::time::Instant;

fn tenant(i: usize) -> SessionOptions {
    cross_account_test_support::tenant(100_000_000_000, "pool-test", i)
}

#[tokio::test(start_paused = true)]
async fn prefetch_warms_at_the_budget_pace_with_one_call_per_tenant() {
    let (time, double) = paused_issuing(3600);
    let pool = pool_builder(&double, &time)
        .sts_rate_limit(20.0, 5)
        .max_in_flight(4)
        .build()
        .unwrap();
    let n = 200;
    let start = Instant::now();
    let results = pool.prefetch((0..n).map(tenant)).await;
    let took = start.elapsed();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(double.calls(), n as u64, "one call per tenant");
    // The burst goes at once, the rest at 20/s: (200 - 5) / 20 = 9.75 s.
    assert!(
        took >= Duration::from_millis(9_500),
        "faster than the budget: {took:?}"
    );
    assert!(
        took <= Duration::from_millis(10_800),
        "slower than 1.1 x N / rate: {took:?}"
    );
    let stats = pool.stats();
    assert_eq!(
        (stats.sessions, stats.issued, stats.in_flight, stats.queued),
        (200, 200, 0, 0)
    );
    // A hit makes no call.
    let again = pool.credentials(&tenant(7)).await.unwrap();
    assert_eq!(
        again.access_key_id(),
        results[7].as_ref().unwrap().access_key_id()
    );
    assert_eq!(double.calls(), n as u64);
}

#[tokio::test(start_paused = true)]
async fn many_readers_of_one_tenant_make_one_call() {
    let time = PausedTime::new();
    let double = StsDouble::issuing_after(time.clone(), 3600, Duration::from_millis(500));
    let pool = pool_builder(&double, &time).build().unwrap();
    let keys: HashSet<String> = concurrently(1000, |_| {
        let pool = pool.clone();
        async move {
            let creds = pool.credentials(&tenant(1)).await.unwrap();
            creds.access_key_id().to_string()
        }
    })
    .await
    .into_iter()
    .collect();
    assert_eq!((double.calls(), keys.len()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn throttling_slows_the_budget_and_never_reaches_readers() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |n| {
        if n % 3 == 1 {
            Reply::throttle()
        } else {
            Reply::ok(3600)
        }
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let pool = pool_builder(&double, &time)
        .sts_rate_limit(50.0, 5)
        .on_event(move |e| {
            if let PoolEvent::Throttled {
                rate_per_second, ..
            } = e
            {
                seen.lock().unwrap().push(*rate_per_second);
            }
        })
        .build()
        .unwrap();
    let results = pool.prefetch((0..60).map(tenant)).await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "throttling surfaced: {failures:?}");
    let stats = pool.stats();
    assert!(stats.throttled >= 20, "{stats:?}");
    assert_eq!(stats.sts_calls, 60 + stats.throttled);
    assert!(
        stats.rate_per_second < 50.0,
        "AIMD did not lower the rate: {stats:?}"
    );
    let rates = events.lock().unwrap().clone();
    assert!(rates.windows(2).any(|w| w[1] < w[0]), "{rates:?}");
}

#[tokio::test(start_paused = true)]
async fn a_refused_tenant_is_quarantined_without_spending_the_budget() {
    let (time, double) = paused_issuing(3600);
    double.set_form_script(|form, _| {
        if field(form, "RoleArn").is_some_and(|r| r.ends_with("/Tenant3")) {
            Reply::access_denied()
        } else {
            Reply::ok(3600)
        }
    });
    let pool = pool_builder(&double, &time)
        .quarantine_backoff(
            Backoff::default()
                .with_base_delay(Duration::from_secs(300))
                .with_max_delay(Duration::from_secs(3600)),
        )
        .build()
        .unwrap();
    let err = pool.credentials(&tenant(3)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    for _ in 0..100 {
        let again = pool.credentials(&tenant(3)).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::AccessDenied);
    }
    assert_eq!(double.calls(), 1, "a quarantined tenant called STS again");
    assert_eq!(pool.stats().quarantined, 1);
    // Others are not delayed by it.
    let start = Instant::now();
    pool.credentials(&tenant(4)).await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(100));
    // The quarantine lasts between half and all of its 5-minute ceiling; then one more try.
    tokio::time::sleep(Duration::from_secs(149)).await;
    pool.credentials(&tenant(3)).await.unwrap_err();
    assert_eq!(double.calls(), 2);
    tokio::time::sleep(Duration::from_secs(152)).await;
    pool.credentials(&tenant(3)).await.unwrap_err();
    assert_eq!(double.calls(), 3, "one call after the quarantine, no loop");
    // The customer fixes the trust policy; the vendor lifts the quarantine at once.
    double.set_script(|_| Reply::ok(3600));
    pool.invalidate(&tenant(3));
    assert_eq!(pool.stats().quarantined, 0);
    pool.credentials(&tenant(3)).await.unwrap();
    assert_eq!(double.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn an_outage_gets_one_probe_at_a_time_and_recovery_is_paced() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::Status(503));
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let pool = pool_builder(&double, &time)
        .sts_rate_limit(20.0, 5)
        .on_event(move |e| match e {
            PoolEvent::OutageStarted { error } => seen
                .lock()
                .unwrap()
                .push(format!("started {}", error.kind().as_str())),
            PoolEvent::OutageEnded { after } => seen
                .lock()
                .unwrap()
                .push(format!("ended after {}", after.as_secs() / 10 * 10)),
            _ => {}
        })
        .build()
        .unwrap();
    let n = 100usize;
    // Cold readers during the outage get the error promptly rather than hanging.
    let start = Instant::now();
    let results = pool.prefetch((0..n).map(tenant)).await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(results.iter().all(|r| r
        .as_ref()
        .is_err_and(|e| e.kind() == ErrorKind::Unavailable)));
    let before = double.calls();
    tokio::time::sleep(Duration::from_secs(120)).await;
    let during = double.calls() - before;
    assert!(
        during <= 120,
        "{during} calls in a 120 s outage: more than 1 probe/s"
    );
    assert!(
        during >= 25,
        "{during} probes in 120 s: the pool stopped probing"
    );
    assert!(pool.stats().in_outage);
    // STS comes back: every queued tenant gets credentials within 5 s + N / rate.
    double.set_script(|_| Reply::ok(3600));
    let back = Instant::now();
    loop {
        if pool.stats().issued == n as u64 {
            break;
        }
        assert!(
            back.elapsed() <= Duration::from_secs(5) + Duration::from_secs_f64(n as f64 / 20.0),
            "recovery too slow: {:?}",
            pool.stats()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!pool.stats().in_outage);
    assert_eq!(
        *events.lock().unwrap(),
        vec![
            "started unavailable".to_string(),
            "ended after 120".to_string()
        ]
    );
    for i in 0..n {
        pool.credentials(&tenant(i)).await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn idle_tenants_are_evicted_and_the_cap_holds() {
    let (time, double) = paused_issuing(3600);
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let seen = evicted.clone();
    let pool = pool_builder(&double, &time)
        .max_sessions(3)
        .idle_timeout(Duration::from_secs(600))
        .on_event(move |e| {
            if let PoolEvent::Evicted { reason, .. } = e {
                seen.lock().unwrap().push(*reason);
            }
        })
        .build()
        .unwrap();
    for i in 0..5 {
        pool.credentials(&tenant(i)).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(pool.stats().sessions, 3);
    assert_eq!(*evicted.lock().unwrap(), vec![EvictReason::Capacity; 2]);
    // Tenant 4 is read every minute; the others go idle.
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_secs(60)).await;
        pool.credentials(&tenant(4)).await.unwrap();
    }
    let stats = pool.stats();
    assert_eq!((stats.sessions, stats.evicted), (1, 4), "{stats:?}");
    // An evicted tenant comes back on its next read.
    pool.credentials(&tenant(0)).await.unwrap();
    assert_eq!(pool.stats().sessions, 2);
}

#[tokio::test(start_paused = true)]
async fn refreshes_are_spread_by_one_driver() {
    let (time, double) = paused_issuing(3600);
    let pool = pool_builder(&double, &time)
        .sts_rate_limit(500.0, 500)
        .max_in_flight(64)
        .no_idle_timeout()
        .build()
        .unwrap();
    let n = 300;
    let t0 = time.now();
    assert!(pool
        .prefetch((0..n).map(tenant))
        .await
        .iter()
        .all(Result::is_ok));
    assert_eq!(double.calls(), n as u64);
    let issued_within = time.now().duration_since(t0).unwrap();
    assert!(issued_within < Duration::from_secs(2), "{issued_within:?}");
    // Step through the refresh window second by second, counting calls per second.
    tokio::time::sleep(Duration::from_secs(3600 - 301)).await;
    let mut per_second = Vec::new();
    let mut last = double.calls();
    for _ in 0..170 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = double.calls();
        per_second.push(now - last);
        last = now;
    }
    assert_eq!(
        last,
        2 * n as u64,
        "every tenant refreshed once, before the margin"
    );
    let busiest = *per_second.iter().max().unwrap();
    let active = per_second.iter().filter(|c| **c > 0).count();
    // 300 refreshes over a 150 s half-window: about 2 a second; a herd would put all in one.
    assert!(
        busiest <= 12,
        "a herd: {busiest} refreshes in one second ({per_second:?})"
    );
    assert!(active >= 100, "refreshes bunched into {active} seconds");
    // Readers never waited: all of it happened in the background.
    assert_eq!(pool.stats().queued, 0);
}

#[tokio::test(start_paused = true)]
async fn provider_reads_the_pools_cache() {
    use aws_credential_types::provider::ProvideCredentials;
    let (time, double) = paused_issuing(3600);
    let pool = pool_builder(&double, &time).build().unwrap();
    let provider = pool.provider(&tenant(9)).unwrap();
    let a = provider.provide_credentials().await.unwrap();
    let b = pool.credentials(&tenant(9)).await.unwrap();
    assert_eq!(a.access_key_id(), b.access_key_id());
    assert_eq!(double.calls(), 1);
    assert_no_sentinel("provider and pool", &format!("{provider:?} {pool:?}"));
}

#[tokio::test(start_paused = true)]
async fn bad_options_are_refused_before_any_call() {
    let (time, double) = paused_issuing(3600);
    let pool = pool_builder(&double, &time).build().unwrap();
    let err = pool
        .credentials(&SessionOptions::new("arn:aws:iam::12:role/X"))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("role_arn"));
    let chained = SessionOptions {
        source_role: Some(Box::new(tenant(1))),
        ..tenant(2)
    };
    assert_eq!(
        pool.credentials(&chained).await.unwrap_err().field(),
        Some("source_role")
    );
    let mut batch: Vec<_> = (0..3).map(tenant).collect();
    batch[1].duration = Some(Duration::from_secs(60));
    let results = pool.prefetch(batch).await;
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().field(), Some("duration"));
    assert_eq!(double.calls(), 2);
    for (field, builder) in [
        (
            "sts_rate_limit",
            CrossAccountPool::builder().sts_rate_limit(-1.0, 1),
        ),
        (
            "max_in_flight",
            CrossAccountPool::builder().max_in_flight(0),
        ),
        ("max_sessions", CrossAccountPool::builder().max_sessions(0)),
        ("region", CrossAccountPool::builder().region("EU WEST")),
    ] {
        assert_eq!(builder.build().unwrap_err().field(), Some(field));
    }
}

/// A role that enforces its external ID.
fn enforcing(form: &Form) -> Reply {
    if field(form, "ExternalId") == Some("external-id-00001") {
        Reply::ok(3600)
    } else {
        Reply::access_denied()
    }
}

#[tokio::test(start_paused = true)]
async fn verify_passes_a_role_that_enforces_its_external_id() {
    let (time, double) = paused_issuing(3600);
    double.set_form_script(|form, _| enforcing(form));
    let pool = pool_builder(&double, &time).build().unwrap();
    let options = SessionOptions {
        external_id: Some("external-id-00001".into()),
        ..SessionOptions::new(ROLE_ARN)
    };
    let report = pool.verify(&options).await.unwrap();
    assert_eq!(report.verdict(), VerifyVerdict::Safe, "{report:?}");
    assert_eq!(
        verify_outcomes(&report),
        [
            (VerifyCheckKind::AssumeWithExternalId, VerifyOutcome::Passed),
            (
                VerifyCheckKind::RefusesWithoutExternalId,
                VerifyOutcome::Passed
            ),
            (
                VerifyCheckKind::RefusesWrongExternalId,
                VerifyOutcome::Passed
            ),
            (VerifyCheckKind::AccountMatches, VerifyOutcome::Passed),
        ]
    );
    let sent: Vec<_> = double
        .requests()
        .iter()
        .map(|f| field(f, "ExternalId").map(str::to_string))
        .collect();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].as_deref(), Some("external-id-00001"));
    assert_eq!(sent[1], None);
    assert!(sent[2].as_deref().is_some_and(|w| w != "external-id-00001"));
    assert_no_sentinel("the report's JSON", &report.to_json().to_string());
}

#[tokio::test(start_paused = true)]
async fn verify_finds_the_confused_deputy_and_the_refused_id() {
    let (time, double) = paused_issuing(3600);
    let pool = pool_builder(&double, &time).build().unwrap();
    let options = SessionOptions {
        external_id: Some("external-id-00001".into()),
        ..SessionOptions::new(ROLE_ARN)
    };
    // A role with no sts:ExternalId condition accepts every call.
    let report = pool.verify(&options).await.unwrap();
    assert_eq!(report.verdict(), VerifyVerdict::Unsafe);
    let finding = report
        .checks
        .iter()
        .find(|c| c.kind == VerifyCheckKind::RefusesWithoutExternalId)
        .unwrap();
    assert_eq!(finding.outcome, VerifyOutcome::Failed);
    let hint = finding.hint.as_deref().unwrap();
    assert!(
        hint.contains("confused-deputy") && hint.contains("sts:ExternalId"),
        "{hint}"
    );
    // A role that wants another ID refuses the agreed one.
    double.set_form_script(|form, _| {
        if field(form, "ExternalId") == Some("the-customers-real-id") {
            Reply::ok(3600)
        } else {
            Reply::access_denied()
        }
    });
    let report = pool.verify(&options).await.unwrap();
    assert_eq!(
        report.verdict(),
        VerifyVerdict::RightIdRefused,
        "{report:?}"
    );
    // No external ID to check with: refused up front.
    let err = pool
        .verify(&SessionOptions::new(ROLE_ARN))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("external_id"));
}
