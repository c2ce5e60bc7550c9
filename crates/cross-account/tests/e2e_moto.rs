//! End to end against a real STS emulator (moto server on loopback with IAM auth on), judged by
//! the Rust SDK's S3 client. Run through `scripts/with-local-sts`, which exports the scenario.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use cross_account::{CrossAccountSession, Error};
use secrecy::ExposeSecret;

struct Scenario {
    role_arn: String,
    external_id: String,
    bucket: String,
    key: String,
    body: String,
}

/// The scenario from the harness. Missing under CI is a failure, not a skip.
fn scenario() -> Option<Scenario> {
    let Ok(path) = std::env::var("CROSS_ACCOUNT_TEST_SCENARIO") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CROSS_ACCOUNT_TEST_SCENARIO is not set: the local STS must run under CI (use scripts/with-local-sts)");
        }
        eprintln!(
            "skipped: CROSS_ACCOUNT_TEST_SCENARIO is not set; run through scripts/with-local-sts"
        );
        return None;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} missing in {path}"))
            .to_string()
    };
    Some(Scenario {
        role_arn: s("role_arn"),
        external_id: s("external_id"),
        bucket: s("bucket"),
        key: s("key"),
        body: s("body"),
    })
}

async fn s3_client(session: &CrossAccountSession) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(session.clone())
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

#[tokio::test]
async fn partner_reads_but_cannot_write_and_refreshes_keep_working() {
    let Some(sc) = scenario() else { return };
    let session = CrossAccountSession::builder()
        .role_arn(&sc.role_arn)
        .external_id(&sc.external_id)
        .session_name("e2e-rust")
        .build()
        .unwrap();
    let s3 = s3_client(&session).await;

    let mut seen_keys = std::collections::HashSet::new();
    for round in 0..3 {
        let obj = s3
            .get_object()
            .bucket(&sc.bucket)
            .key(&sc.key)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "round {round}: read denied: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            });
        let body = obj.body.collect().await.unwrap().into_bytes();
        assert_eq!(String::from_utf8_lossy(&body), sc.body);
        seen_keys.insert(
            session
                .credentials()
                .await
                .unwrap()
                .access_key_id()
                .to_string(),
        );
        // Force a refresh: the next S3 call must use new credentials and still work.
        session.invalidate();
    }
    assert_eq!(
        seen_keys.len(),
        3,
        "each round used freshly assumed credentials"
    );
    assert!(session.status().refresh_count >= 2);

    let put = s3
        .put_object()
        .bucket(&sc.bucket)
        .key("reports/forbidden.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"nope"))
        .send()
        .await;
    let err = put.expect_err("the role may not write");
    let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&err).map(str::to_string);
    assert_eq!(
        code.as_deref(),
        Some("AccessDenied"),
        "{}",
        aws_sdk_s3::error::DisplayErrorContext(&err)
    );
}

#[tokio::test]
async fn wrong_external_id_is_access_denied_with_the_hint() {
    let Some(sc) = scenario() else { return };
    let session = CrossAccountSession::builder()
        .role_arn(&sc.role_arn)
        .external_id("WrongExternalId")
        .build()
        .unwrap();
    match session.credentials().await {
        Err(Error::AccessDenied { role_arn, hint, .. }) => {
            assert_eq!(role_arn, sc.role_arn);
            assert!(
                hint.contains("sts:ExternalId") && hint.contains("trust policy"),
                "{hint}"
            );
        }
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);
impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn trace_logs_of_a_real_exchange_hold_no_secret() {
    let Some(sc) = scenario() else { return };
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let session = CrossAccountSession::builder()
        .role_arn(&sc.role_arn)
        .external_id(&sc.external_id)
        .build()
        .unwrap();
    let creds = session.credentials().await.unwrap();
    let s3 = s3_client(&session).await;
    s3.get_object()
        .bucket(&sc.bucket)
        .key(&sc.key)
        .send()
        .await
        .unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
