//! End to end against a real STS emulator (moto server on loopback with IAM auth on), judged by
//! the Rust SDK's S3 client. Run through `scripts/with-local-sts`, which exports the scenario.

mod support;

use aws_config::BehaviorVersion;
use cross_account::{CrossAccountSession, Error};
use support::scenario;

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
