//! Sentinel secrets never show up in any surface: every public type's `Debug` and `Display`,
//! every `Error` variant as the library itself produces it, the SDK's error and credentials
//! types, `SessionStatus`, panics, and TRACE logs through refreshes and failures. One test,
//! alone in its test binary: `tracing`'s per-callsite interest cache is shared by the whole
//! process, so a scoped subscriber is only reliable when no other test runs beside it.

use std::time::{Duration, SystemTime};

use cross_account_test_support::{
    assert_no_sentinel, paused_issuing, session_builder, Reply, StsDouble, TraceCapture,
    SENTINEL_SECRET, SENTINEL_TOKEN,
};
use secrecy::ExposeSecret;

/// The source credentials' secret parts, and an MFA code: secrets the caller hands in.
const SOURCE_SECRET: &str = "SENTINEL-SOURCE-SECRET-5e1f9a";
const SOURCE_TOKEN: &str = "SENTINEL-SOURCE-TOKEN-0b7c3d";
const MFA_CODE: &str = "271828";
const BAD_MFA_CODE: &str = "SENTINEL-MFA-86f2";

/// The double's sentinels, and the ones this test hands in.
fn assert_no_secret(what: &str, text: &str) {
    assert_no_sentinel(what, text);
    for secret in [SOURCE_SECRET, SOURCE_TOKEN, MFA_CODE, BAD_MFA_CODE] {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
}

/// The double's config with source credentials that are sentinels too.
fn sentinel_source(double: &StsDouble) -> aws_config::SdkConfig {
    use aws_credential_types::provider::SharedCredentialsProvider;
    double
        .sdk_config()
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(
                "AKIDSOURCE",
                SOURCE_SECRET,
                Some(SOURCE_TOKEN.to_string()),
                None,
                "test",
            ),
        ))
        .build()
}

/// The message a panic carries, from `catch_unwind`.
fn panic_text(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Debug and Display of every public type, and every `Error` variant as the library itself
/// produces it (from STS answers that carry sentinel secrets, with sentinel source credentials
/// and MFA codes), through every way an error is shown: Display, Debug, the source chain, the
/// SDK's `CredentialsError`, `SessionStatus`, a panic from `unwrap`, and TRACE logs.
#[tokio::test(start_paused = true)]
async fn every_public_type_and_every_error_variant_is_clean() {
    use aws_credential_types::provider::ProvideCredentials;
    use cross_account::trust::{evaluate, lint, AssumeRoleRequest, PermissionPolicy, TrustPolicy};
    use cross_account::*;

    let trace = TraceCapture::start();
    let mut surfaces: Vec<(String, String)> = Vec::new();
    let mut show = |what: &str, text: String| surfaces.push((what.to_string(), text));

    let (time, double) = paused_issuing(900);

    // Background refreshes, logged at TRACE.
    let refreshing = session_builder(&double, &time).build().unwrap();
    let first = refreshing.credentials().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3 * 900)).await;
    let later = refreshing.credentials().await.unwrap();
    assert!(
        double.calls() >= 4,
        "{} calls in three lifetimes",
        double.calls()
    );
    assert_ne!(first.access_key_id(), later.access_key_id());
    drop(refreshing);

    let builder = || {
        session_builder(&double, &time)
            .sdk_config(&sentinel_source(&double))
            .mfa("arn:aws:iam::111111111111:mfa/partner", || {
                Ok(MFA_CODE.to_string())
            })
    };

    // Every error variant, as produced by the library.
    let error_replies: Vec<(&str, Reply)> = vec![
        ("access_denied", Reply::access_denied()),
        ("access_denied", Reply::Bare403),
        (
            "region_disabled",
            Reply::Error {
                status: 403,
                code: "RegionDisabledException",
                message: "STS is not activated in this region",
            },
        ),
        (
            "malformed_policy",
            Reply::Error {
                status: 400,
                code: "MalformedPolicyDocument",
                message: "Syntax errors in policy.",
            },
        ),
        (
            "packed_policy_too_large",
            Reply::Error {
                status: 400,
                code: "PackedPolicyTooLarge",
                message: "Packed policy consumes 112% of allotted space",
            },
        ),
        (
            "expired_source_credentials",
            Reply::Error {
                status: 403,
                code: "ExpiredToken",
                message: "The security token included in the request is expired",
            },
        ),
        ("throttled", Reply::throttle()),
        ("unavailable", Reply::Status(503)),
        ("unavailable", Reply::Hang),
        ("unavailable", Reply::Refused),
        ("unavailable", Reply::ConnectionError),
        ("unavailable", Reply::ResetMidBody),
        ("unavailable", Reply::Malformed),
        ("unavailable", Reply::Empty200),
        ("credentials_expired", Reply::Expired),
        ("other", Reply::Status(404)),
    ];
    let mut kinds_seen = std::collections::BTreeSet::new();
    let mut errors: Vec<Error> = Vec::new();
    for (kind, reply) in error_replies {
        double.always(reply.clone());
        let session = builder().build().unwrap();
        let err = session.credentials().await.unwrap_err();
        assert_eq!(err.kind().as_str(), kind, "{reply:?}: {err}");
        show(
            &format!("status after {reply:?}"),
            format!("{:?}", session.status()),
        );
        let sdk_err = session.provide_credentials().await.unwrap_err();
        show(
            &format!("SDK error for {reply:?}"),
            format!(
                "{sdk_err} {sdk_err:?} {}",
                aws_smithy_types::error::display::DisplayErrorContext(&sdk_err)
            ),
        );
        errors.push(err);
    }
    // Invalid input: a bad MFA code from the callback, and the same code given directly.
    double.set_script(|_| Reply::ok(900));
    let session = session_builder(&double, &time)
        .mfa("arn:aws:iam::111111111111:mfa/partner", || {
            Ok(BAD_MFA_CODE.to_string())
        })
        .build()
        .unwrap();
    errors.push(session.credentials().await.unwrap_err());
    errors.push(MfaToken::new(BAD_MFA_CODE).unwrap_err());
    // No source credentials at all.
    let mut none = double.sdk_config().to_builder();
    none.set_credentials_provider(None);
    let session = session_builder(&double, &time)
        .sdk_config(&none.build())
        .build()
        .unwrap();
    errors.push(session.credentials().await.unwrap_err());
    for err in &errors {
        kinds_seen.insert(err.kind().as_str());
        let mut chain = String::new();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            chain.push_str(&format!("{s} {s:?}; "));
            source = s.source();
        }
        show(
            &format!("{} error", err.kind().as_str()),
            format!("{err} {err:?} {err:#?} {chain}"),
        );
        let e = err.clone();
        show(
            &format!("panic from unwrap on {}", err.kind().as_str()),
            panic_text(move || {
                std::hint::black_box(Err::<(), _>(e)).unwrap();
            }),
        );
    }
    assert_eq!(
        kinds_seen.len(),
        11,
        "every Error variant was produced: {kinds_seen:?}"
    );

    // A working session, its credentials and every other public type.
    double.set_script(|_| Reply::ok(900));
    let b = builder()
        .duration(Duration::from_secs(900))
        .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .policy_arns(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
        .tags([("team", "data")])
        .transitive_tag_keys(["team"])
        .source_identity("alice")
        .region("us-east-1")
        .backoff(Backoff::default());
    show("builder", format!("{b:?} {b:#?}"));
    let session = b.build().unwrap();
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
    let sdk_creds: aws_credential_types::Credentials = (&creds).into();
    let identity = session.caller_identity().await.unwrap();
    let c = creds.clone();
    show(
        "panic from unwrap_err on credentials",
        panic_text(move || {
            std::hint::black_box(Ok::<_, ()>(c)).unwrap_err();
        }),
    );
    let c = creds.clone();
    show(
        "panic from assert! showing credentials",
        panic_text(move || {
            assert!(c.expiration() < SystemTime::UNIX_EPOCH, "{c:?}");
        }),
    );
    let mfa = MfaDevice::new("arn:aws:iam::111111111111:mfa/partner", || {
        Ok(MFA_CODE.to_string())
    })
    .unwrap();
    let token = cross_account::MfaToken::new(MFA_CODE).unwrap();
    let _ = &mfa;
    let policy = TrustPolicy::builder()
        .trusted_account("111111111111")
        .external_id("ExternalId123")
        .require_mfa(true);
    show("trust policy builder", format!("{policy:?}"));
    let policy = policy.build().unwrap();
    let json = policy.to_json();
    let request = AssumeRoleRequest::new("arn:aws:iam::111111111111:user/partner")
        .external_id("ExternalId123")
        .mfa(true);
    let decisions = [
        evaluate(&json, &request),
        evaluate(&json, &request.clone().external_id("wrong")),
        evaluate("{not json", &request),
    ];
    // No sts:ExternalId condition (the builder refuses to write one), so the lint warns.
    let unguarded = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#;
    let warnings = lint(unguarded);
    assert!(!warnings.is_empty());
    let debug_and_display: Vec<(&str, String)> = vec![
        ("TemporaryCredentials", format!("{creds:?} {creds:#?}")),
        ("SDK Credentials", format!("{sdk_creds:?}")),
        (
            "SecretString",
            format!(
                "{:?} {:?}",
                creds.secret_access_key(),
                creds.session_token()
            ),
        ),
        ("CrossAccountSession", format!("{session:?} {session:#?}")),
        ("SessionStatus", format!("{:?}", session.status())),
        ("CallerIdentity", format!("{identity:?}")),
        ("Backoff", format!("{:?}", Backoff::default())),
        ("RoleArn", format!("{0:?} {0}", session.role_arn())),
        ("SessionName", format!("{0:?} {0}", session.session_name())),
        ("SessionDuration", format!("{0:?} {0}", session.duration())),
        (
            "ExternalId",
            format!("{0:?} {0}", ExternalId::new("ExternalId123").unwrap()),
        ),
        (
            "SessionPolicy",
            format!("{0:?} {0}", SessionPolicy::new("{}").unwrap()),
        ),
        (
            "PolicyArns",
            format!(
                "{:?}",
                PolicyArns::new(["arn:aws:iam::aws:policy/ReadOnlyAccess"]).unwrap()
            ),
        ),
        (
            "SessionTags",
            format!("{:?}", SessionTags::new([("team", "data")]).unwrap()),
        ),
        (
            "SourceIdentity",
            format!("{0:?} {0}", SourceIdentity::new("alice").unwrap()),
        ),
        ("MfaDevice", format!("{mfa:?} {mfa:#?}")),
        ("MfaToken", format!("{token:?} {token:#?}")),
        ("TrustPolicy", format!("{policy:?} {json}")),
        (
            "PermissionPolicy",
            format!(
                "{:?}",
                PermissionPolicy::s3_read_only("partner-reports", Some("exports/")).unwrap()
            ),
        ),
        ("AssumeRoleRequest", format!("{request:?}")),
        (
            "Decision",
            decisions
                .iter()
                .map(|d| format!("{d:?} {d}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            "LintWarning and LintCode",
            warnings
                .iter()
                .map(|w| format!("{w:?} {:?}", w.code))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    for (what, text) in debug_and_display {
        show(what, text);
    }
    // The sentinels really went over the wire, so a clean result is not for lack of them.
    let requests = double.requests();
    assert!(requests
        .iter()
        .any(|r| r.get("TokenCode").is_some_and(|v| v[0] == MFA_CODE)));

    let log = trace.text();
    assert!(
        log.contains("assumed role"),
        "tracing captured events: {log}"
    );
    assert!(
        log.contains("AssumeRole refused") || log.contains("AssumeRole failed"),
        "the failures were logged: {log}"
    );
    show("tracing output at TRACE", log);
    for (what, text) in &surfaces {
        assert_no_secret(what, text);
    }
}
