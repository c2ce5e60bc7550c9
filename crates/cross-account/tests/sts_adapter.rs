//! The `sts` adapter against the in-process double: what is sent, and how failures are classified.

use std::time::Duration;

use cross_account::{CrossAccountSession, Error};
use cross_account_test_support::{
    paused_issuing, session_builder, PausedTime, Reply, StsDouble, ROLE_ARN,
};

#[tokio::test(start_paused = true)]
async fn every_field_is_sent_exactly_as_given() {
    let (time, double) = paused_issuing(3600);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let session = session_builder(&double, &time)
        .external_id("Ext-Id_123+=,.@:/")
        .session_name("nightly@sync")
        .duration(Duration::from_secs(900))
        .policy(policy)
        .policy_arns([
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:policy/p/Q",
        ])
        .tags([("team", "data eng"), ("Ünï", "värde")])
        .transitive_tag_keys(["team"])
        .source_identity("alice@example.com")
        .mfa("arn:aws:iam::111111111111:mfa/alice", || {
            Ok("654321".to_string())
        })
        .build()
        .unwrap();
    session.credentials().await.unwrap();
    let reqs = double.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    let one = |k: &str| {
        r.get(k)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_else(|| panic!("{k} missing in {r:?}"))
    };
    assert_eq!(one("Action"), "AssumeRole");
    assert_eq!(one("RoleArn"), ROLE_ARN);
    assert_eq!(one("ExternalId"), "Ext-Id_123+=,.@:/");
    assert_eq!(one("RoleSessionName"), "nightly@sync");
    assert_eq!(one("DurationSeconds"), "900");
    assert_eq!(one("Policy"), policy);
    assert_eq!(
        one("PolicyArns.member.1.arn"),
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    assert_eq!(
        one("PolicyArns.member.2.arn"),
        "arn:aws:iam::123456789012:policy/p/Q"
    );
    assert_eq!(one("Tags.member.1.Key"), "team");
    assert_eq!(one("Tags.member.1.Value"), "data eng");
    assert_eq!(one("Tags.member.2.Key"), "Ünï");
    assert_eq!(one("Tags.member.2.Value"), "värde");
    assert_eq!(one("TransitiveTagKeys.member.1"), "team");
    assert_eq!(one("SourceIdentity"), "alice@example.com");
    assert_eq!(one("SerialNumber"), "arn:aws:iam::111111111111:mfa/alice");
    assert_eq!(one("TokenCode"), "654321");
}

#[tokio::test(start_paused = true)]
async fn optional_fields_are_absent_when_unset_and_defaults_are_sent() {
    let (time, double) = paused_issuing(3600);
    let session = CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .sdk_config(&double.sdk_config())
        .time_source(time.clone())
        .build()
        .unwrap();
    let creds = session.credentials().await.unwrap();
    assert_eq!(creds.account_id(), Some("123456789012"));
    let r = &double.requests()[0];
    for absent in [
        "ExternalId",
        "Policy",
        "SourceIdentity",
        "SerialNumber",
        "TokenCode",
        "Tags.member.1.Key",
    ] {
        assert!(
            !r.contains_key(absent),
            "{absent} should not be sent: {r:?}"
        );
    }
    assert_eq!(r["DurationSeconds"], vec!["3600"]);
    assert!(r["RoleSessionName"][0].starts_with("cross-account-"));
}

#[tokio::test(start_paused = true)]
async fn mfa_token_is_asked_at_each_call_and_checked() {
    let (time, double) = paused_issuing(3600);
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let c = counter.clone();
    let session = session_builder(&double, &time)
        .auto_refresh(false)
        .mfa("arn:aws:iam::111111111111:mfa/alice", move || {
            Ok(format!(
                "{:06}",
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            ))
        })
        .build()
        .unwrap();
    session.credentials().await.unwrap();
    session.invalidate();
    session.credentials().await.unwrap();
    let codes: Vec<String> = double
        .requests()
        .iter()
        .map(|r| r["TokenCode"][0].clone())
        .collect();
    assert_eq!(codes, ["000000", "000001"]);

    let bad = session_builder(&double, &time)
        .mfa("arn:aws:iam::111111111111:mfa/alice", || {
            Ok("12345".to_string())
        })
        .build()
        .unwrap();
    let before = double.calls();
    let err = bad.credentials().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                field: "mfa_token",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(double.calls(), before, "a bad MFA code must not reach STS");
}

async fn classify(reply: Reply) -> Error {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), move |_| reply.clone());
    let session = session_builder(&double, &time).build().unwrap();
    let err = session.credentials().await.unwrap_err();
    assert_eq!(double.calls(), 1, "one call for {err:?}");
    err
}

#[tokio::test(start_paused = true)]
async fn every_error_kind_is_classified() {
    let cases: Vec<(Reply, &str, bool)> = vec![
        (Reply::access_denied(), "access_denied", false),
        (Reply::Bare403, "access_denied", false),
        (Reply::Error { status: 403, code: "RegionDisabledException", message: "STS is not activated in this region" }, "region_disabled", false),
        (Reply::Error { status: 400, code: "MalformedPolicyDocument", message: "bad policy" }, "malformed_policy", false),
        (Reply::Error { status: 400, code: "PackedPolicyTooLarge", message: "too large" }, "packed_policy_too_large", false),
        (Reply::Error { status: 400, code: "ExpiredToken", message: "The security token included in the request is expired" }, "expired_source_credentials", false),
        (Reply::Error { status: 403, code: "InvalidClientTokenId", message: "The security token included in the request is invalid" }, "expired_source_credentials", false),
        (Reply::throttle(), "throttled", true),
        (Reply::Error { status: 400, code: "RequestLimitExceeded", message: "slow down" }, "throttled", true),
        (Reply::Status(429), "throttled", true),
        (Reply::Status(500), "unavailable", true),
        (Reply::Status(503), "unavailable", true),
        (Reply::Error { status: 500, code: "InternalFailure", message: "oops" }, "unavailable", true),
        (Reply::ConnectionError, "unavailable", true),
        (Reply::Hang, "unavailable", true),
        (Reply::Malformed, "unavailable", true),
        (Reply::Empty200, "unavailable", true),
        (Reply::Error { status: 400, code: "ValidationError", message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." }, "invalid_parameter", false),
        (Reply::Error { status: 400, code: "SomethingNew", message: "new" }, "other", false),
        (Reply::Expired, "credentials_expired", false),
    ];
    for (reply, kind, retryable) in cases {
        let label = format!("{reply:?}");
        let err = classify(reply).await;
        assert_eq!(err.kind().as_str(), kind, "{label} gave {err:?}");
        assert_eq!(err.is_retryable(), retryable, "{label}");
        let text = err.to_string();
        assert!(!text.contains("SENTINEL"), "{text}");
        if kind != "invalid_parameter" {
            assert!(text.contains(ROLE_ARN), "{label}: {text}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn access_denied_carries_the_hint_and_request_id() {
    let err = classify(Reply::access_denied()).await;
    match &err {
        Error::AccessDenied {
            role_arn,
            hint,
            request_id,
            message,
            code,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("AccessDenied"));
            assert_eq!(role_arn, ROLE_ARN);
            assert_eq!(request_id.as_deref(), Some("req-0"));
            assert!(message.contains("not authorized"));
            assert!(hint.contains("trust policy"), "{hint}");
            assert!(hint.contains("sts:ExternalId"), "{hint}");
            assert!(hint.contains("exactly"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("(request id req-0)"));
}

#[tokio::test(start_paused = true)]
async fn hang_is_cut_by_the_default_attempt_timeout() {
    let time = PausedTime::new();
    let double = StsDouble::new(time.clone(), |_| Reply::Hang);
    let session = session_builder(&double, &time).build().unwrap();
    let started = tokio::time::Instant::now();
    let err = session.credentials().await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
}

/// The error of a first read with this config, which has no usable source credentials.
async fn no_source_credentials(config: &aws_config::SdkConfig) -> Error {
    let session = CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .sdk_config(config)
        .build()
        .unwrap();
    let err = session.credentials().await.unwrap_err();
    assert_eq!(err.kind().as_str(), "no_source_credentials", "{err:?}");
    err
}

#[tokio::test(start_paused = true)]
async fn no_source_credentials_is_its_own_error() {
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    let (_, double) = paused_issuing(3600);
    let base = double.sdk_config();
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .http_client(base.http_client().unwrap())
        .build();
    no_source_credentials(&config).await;
    assert_eq!(double.calls(), 0);

    // The usual case: a provider chain that finds nothing.
    #[derive(Debug)]
    struct Nothing;
    impl aws_credential_types::provider::ProvideCredentials for Nothing {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                aws_credential_types::provider::error::CredentialsError::not_loaded(
                    "no env, no profile, no IMDS",
                ),
            ))
        }
    }
    let config = config
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Nothing),
        )
        .build();
    let err = no_source_credentials(&config).await;
    assert!(err.to_string().contains("AWS_PROFILE"), "{err}");
    assert_eq!(double.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn caller_identity_comes_from_the_source_credentials() {
    let (time, double) = paused_issuing(3600);
    let session = session_builder(&double, &time).build().unwrap();
    let me = session.caller_identity().await.unwrap();
    assert_eq!(me.account, "111111111111");
    assert_eq!(me.arn, "arn:aws:iam::111111111111:user/partner");
    let server = me.server_time.expect("the Date header is read");
    let expected = aws_smithy_async::time::TimeSource::now(&time) + Duration::from_secs(600);
    let diff = server
        .duration_since(expected)
        .unwrap_or_else(|e| e.duration());
    assert!(diff <= Duration::from_secs(1), "{diff:?}");
    // The local side of the comparison is the session's own (injected) clock.
    let skew = server.duration_since(me.local_time).unwrap();
    assert!(
        skew >= Duration::from_secs(599) && skew <= Duration::from_secs(601),
        "{skew:?}"
    );
}
