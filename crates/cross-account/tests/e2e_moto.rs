//! End to end against a real STS emulator (moto server on loopback with IAM auth on), judged by
//! the Rust SDK's S3 client. Run through `scripts/with-local-sts`, which exports the scenario.

use aws_config::BehaviorVersion;
use cross_account::{CrossAccountSession, Error};
use cross_account_test_support::runtimes::{current_thread, workers};
use cross_account_test_support::{scenario, Scenario, SigningKeys};

async fn s3_client(session: &CrossAccountSession) -> aws_sdk_s3::Client {
    s3_client_signed(session, &SigningKeys::default()).await
}

/// The README's setup: the session is the client's only credentials cache.
async fn s3_client_signed(
    session: &CrossAccountSession,
    signers: &SigningKeys,
) -> aws_sdk_s3::Client {
    let config = session
        .configure_loader(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await;
    let s3 = Scenario::s3_config(&config)
        .interceptor(signers.clone())
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

#[tokio::test]
async fn after_invalidate_the_s3_client_signs_with_the_new_key() {
    let Some(sc) = scenario() else { return };
    let session = sc.session().session_name("e2e-invalidate").build().unwrap();
    let signers = SigningKeys::default();
    let s3 = s3_client_signed(&session, &signers).await;
    let get = || s3.get_object().bucket(&sc.bucket).key(&sc.key).send();
    get().await.unwrap();
    let held = session.credentials().await.unwrap();
    session.invalidate();
    get().await.unwrap();
    let seen = signers.all();
    assert_eq!(seen[0], held.access_key_id());
    assert_ne!(
        seen[1], seen[0],
        "the request after invalidate() used new credentials"
    );
    assert_eq!(
        seen[1],
        session.credentials().await.unwrap().access_key_id(),
        "the key the session now holds"
    );
}

/// A current_thread runtime that read first and then sits idle: the pooled STS connection must
/// not be stranded on it (the SDK's own retries are off and attempts time out in 2 s, so a
/// stranded connection fails the second fetch instead of slowing it).
#[test]
fn an_idle_first_runtime_does_not_strand_the_sts_connection() {
    let Some(sc) = scenario() else { return };
    let idle = current_thread();
    let config = idle.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(std::time::Duration::from_secs(2))
                    .build(),
            )
            .load(),
    );
    let session = sc.session().sdk_config(&config).build().unwrap();
    idle.block_on(session.credentials()).unwrap();
    let busy = workers(1);
    session.invalidate();
    busy.block_on(session.credentials())
        .expect("the second fetch does not depend on the idle runtime");
    assert_eq!(session.status().sts_calls, 2);
    drop(idle);
}

#[tokio::test]
async fn partner_reads_but_cannot_write_and_refreshes_keep_working() {
    let Some(sc) = scenario() else { return };
    let session = sc.session().session_name("e2e-rust").build().unwrap();
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
