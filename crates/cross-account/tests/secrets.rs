//! Sentinel secrets must never show up in Debug, Display, errors, status, panics or logs.

mod common;
mod support;

use std::time::Duration;

use common::{session_builder, PausedTime, Reply, StsDouble, SENTINEL_SECRET, SENTINEL_TOKEN};
use secrecy::ExposeSecret;
use support::Captured;

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(SENTINEL_SECRET),
        "{what} leaks the secret key: {text}"
    );
    assert!(
        !text.contains(SENTINEL_TOKEN),
        "{what} leaks the session token: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn no_surface_shows_a_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let time = PausedTime::new();
    let double = StsDouble::issuing(time.clone(), 900);
    let session = session_builder(&double, &time).build().unwrap();
    let creds = session.credentials().await.unwrap();
    // The double really sent sentinel values, and they are reachable by explicit hand-over only.
    assert!(creds
        .secret_access_key()
        .expose_secret()
        .starts_with(SENTINEL_SECRET));
    assert!(creds
        .session_token()
        .expose_secret()
        .starts_with(SENTINEL_TOKEN));

    // Refreshes, then every kind of failure, with tracing at TRACE.
    tokio::time::sleep(Duration::from_secs(3 * 900)).await;
    let faults = [
        Reply::access_denied(),
        Reply::throttle(),
        Reply::Status(503),
        Reply::Bare403,
        Reply::Malformed,
        Reply::ConnectionError,
        Reply::Expired,
    ];
    let mut surfaces: Vec<(String, String)> = Vec::new();
    for fault in faults {
        let f = fault.clone();
        double.set_script(move |_| f.clone());
        let s = session_builder(&double, &time).build().unwrap();
        let err = s.credentials().await.unwrap_err();
        surfaces.push((format!("Display of {fault:?}"), err.to_string()));
        surfaces.push((format!("Debug of {fault:?}"), format!("{err:?}")));
        surfaces.push((
            format!("status after {fault:?}"),
            format!("{:?}", s.status()),
        ));
        use aws_credential_types::provider::ProvideCredentials;
        let sdk_err = s.provide_credentials().await.unwrap_err();
        surfaces.push((
            format!("SDK error for {fault:?}"),
            format!(
                "{sdk_err:?} {}",
                aws_smithy_types::error::display::DisplayErrorContext(&sdk_err)
            ),
        ));
    }
    surfaces.push(("credentials Debug".into(), format!("{creds:?} {creds:#?}")));
    surfaces.push(("session Debug".into(), format!("{session:?}")));
    surfaces.push(("status Debug".into(), format!("{:?}", session.status())));
    let sdk: aws_credential_types::Credentials = (&creds).into();
    surfaces.push(("SDK credentials Debug".into(), format!("{sdk:?}")));
    surfaces.push((
        "secret Debug".into(),
        format!(
            "{:?} {:?}",
            creds.secret_access_key(),
            creds.session_token()
        ),
    ));
    let panicking = creds.clone();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        panic!("reader failed with {panicking:?}")
    }))
    .unwrap_err();
    surfaces.push((
        "panic message".into(),
        panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    ));

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("assumed role"),
        "tracing captured events: {log}"
    );
    assert!(
        log.contains("AssumeRole refused") || log.contains("AssumeRole failed"),
        "{log}"
    );
    surfaces.push(("tracing output at TRACE".into(), log));
    for (what, text) in &surfaces {
        assert_clean(what, text);
    }
}
