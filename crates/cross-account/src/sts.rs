//! The only file that talks to `aws-sdk-sts`: builds the AssumeRole request from validated
//! parameters and classifies every failure into [`Error`].

use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sts::config::IdentityCache;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::RequestId;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::timeout::TimeoutConfig;
use tokio::sync::OnceCell;

use crate::arn::RoleArn;
use crate::credentials::TemporaryCredentials;
use crate::error::{Error, ErrorKind};
use crate::params::{
    ExternalId, MfaDevice, PolicyArns, SessionDuration, SessionName, SessionPolicy, SessionTags,
    SourceIdentity,
};

/// Per-attempt and whole-call limits used unless the caller's `SdkConfig` sets its own, so a
/// hung STS connection turns into a retryable `Unavailable` instead of a reader stuck forever.
const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

/// Everything sent in one AssumeRole call, already validated.
#[derive(Clone, Debug)]
pub(crate) struct AssumeRoleInput {
    pub role_arn: RoleArn,
    pub external_id: Option<ExternalId>,
    pub session_name: SessionName,
    pub duration: SessionDuration,
    pub policy: Option<SessionPolicy>,
    pub policy_arns: PolicyArns,
    pub tags: SessionTags,
    pub source_identity: Option<SourceIdentity>,
    pub mfa: Option<MfaDevice>,
}

/// Where the source credentials, region and endpoint come from.
#[derive(Clone)]
pub(crate) struct StsSource {
    pub sdk_config: Option<SdkConfig>,
    pub profile: Option<String>,
    pub credential_source: Option<crate::options::CredentialSource>,
    pub profile_files: crate::profile::SharedConfigFiles,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// The first hop of a role chain: its credentials sign this hop's call.
    pub first_hop: Option<FirstHop>,
    pub time_source: Option<aws_smithy_async::time::SharedTimeSource>,
    pub sleep_impl: Option<aws_smithy_async::rt::sleep::SharedAsyncSleep>,
}

impl StsSource {
    /// No source settings: for an assumer whose client is already built.
    pub(crate) fn empty() -> Self {
        StsSource {
            sdk_config: None,
            profile: None,
            credential_source: None,
            profile_files: crate::profile::SharedConfigFiles::default(),
            region: None,
            endpoint_url: None,
            first_hop: None,
            time_source: None,
            sleep_impl: None,
        }
    }
}

/// The first hop of a role chain, as the STS client of the next hop sees it: a credentials
/// provider (the first hop's session, which is its own cache) and the role it assumed.
#[derive(Clone)]
pub(crate) struct FirstHop {
    pub credentials: SharedCredentialsProvider,
    pub role_arn: RoleArn,
}

impl fmt::Debug for StsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsSource")
            .field("sdk_config", &self.sdk_config.is_some())
            .field("profile", &self.profile)
            .field("credential_source", &self.credential_source)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field(
                "first_hop",
                &self.first_hop.as_ref().map(|hop| hop.role_arn.as_str()),
            )
            .finish()
    }
}

/// Who the source credentials belong to, from `GetCallerIdentity`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(session: cross_account::CrossAccountSession) -> Result<(), cross_account::Error> {
/// let me = session.caller_identity().await?;
/// if let Some(server) = me.server_time {
///     let skew = server.duration_since(me.local_time).unwrap_or_else(|e| e.duration());
///     println!("{} in account {}, clocks {} s apart", me.arn, me.account, skew.as_secs());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallerIdentity {
    /// The caller's account.
    pub account: String,
    /// The caller's ARN (user, role session, ...).
    pub arn: String,
    /// The unique id of the caller.
    pub user_id: String,
    /// The STS server's clock, from the response's `Date` header (whole seconds).
    pub server_time: Option<SystemTime>,
    /// The local clock when the response arrived, to compare with `server_time`.
    pub local_time: SystemTime,
    /// The region whose STS endpoint answered (given, from the environment or profile, or the
    /// partition's default).
    pub region: String,
    /// The STS endpoint URL the request went to (scheme, host, port and path, no query).
    pub endpoint: Option<String>,
}

impl CallerIdentity {
    /// The principal a trust policy names to let this caller in: for an assumed-role session
    /// its role, `arn:PARTITION:iam::ACCOUNT:role/NAME` (a session ARN does not carry the role's
    /// path); for a user or role, its own ARN.
    pub fn trust_principal(&self) -> String {
        crate::arn::trust_principal_of(&self.arn)
    }
}

/// Reads the `Date` header of the response, so diagnostics can compare the two clocks, and
/// the URL the request was sent to, so they can show the endpoint that was resolved.
#[derive(Debug, Clone, Default)]
struct ServerClock(Arc<Mutex<Option<SystemTime>>>, Arc<Mutex<Option<String>>>);

impl Intercept for ServerClock {
    fn name(&self) -> &'static str {
        "CrossAccountServerClock"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        let endpoint = uri.split(['?', '#']).next().unwrap_or(uri).to_string();
        if let Ok(mut slot) = self.1.lock() {
            *slot = Some(endpoint);
        }
        Ok(())
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| aws_smithy_types::DateTime::from_str(d, Format::HttpDate).ok())
            .and_then(|d| SystemTime::try_from(d).ok());
        if let Ok(mut slot) = self.0.lock() {
            *slot = date;
        }
        Ok(())
    }
}

/// The STS client, created on first use so that `build()` stays free of I/O.
#[derive(Debug)]
pub(crate) struct StsAssumer {
    input: AssumeRoleInput,
    source: StsSource,
    client: OnceCell<(aws_sdk_sts::Client, String)>,
}

impl StsAssumer {
    pub(crate) fn new(input: AssumeRoleInput, source: StsSource) -> Self {
        StsAssumer {
            input,
            source,
            client: OnceCell::new(),
        }
    }

    /// An assumer over a client built elsewhere (the pool shares one per source and region).
    pub(crate) fn with_client(
        input: AssumeRoleInput,
        client: aws_sdk_sts::Client,
        region: String,
    ) -> Self {
        StsAssumer {
            input,
            source: StsSource::empty(),
            client: OnceCell::new_with(Some((client, region))),
        }
    }

    pub(crate) fn input(&self) -> &AssumeRoleInput {
        &self.input
    }

    /// The STS client and the region it calls, created on first use.
    pub(crate) async fn client(&self) -> Result<&(aws_sdk_sts::Client, String), Error> {
        self.client
            .get_or_try_init(|| async { self.make_client().await })
            .await
    }

    async fn make_client(&self) -> Result<(aws_sdk_sts::Client, String), Error> {
        let sdk_config = match &self.source.sdk_config {
            Some(cfg) => cfg.clone(),
            None => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .profile_files(self.source.profile_files.env_config_files());
                if let Some(profile) = &self.source.profile {
                    loader = loader.profile_name(profile);
                }
                // An explicit profile or credential_source is the source, whatever keys the
                // environment holds: the default chain would prefer those.
                let time = self.source.time_source.clone().unwrap_or_default();
                if let Some(provider) = crate::profile::source_provider(
                    self.source.profile.as_deref(),
                    self.source.credential_source,
                    &self.source.profile_files,
                    time,
                ) {
                    loader = loader.credentials_provider(provider);
                }
                if let Some(region) = &self.source.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                loader.load().await
            }
        };
        let mut builder = aws_sdk_sts::config::Builder::from(&sdk_config);
        let region = match (&self.source.region, sdk_config.region()) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => r.to_string(),
            (None, None) => default_region(self.input.role_arn.partition()).ok_or_else(|| {
                Error::invalid(
                    "region",
                    format!(
                        "no region is configured and partition {} has no default; set the region (AWS_REGION or the builder's region)",
                        self.input.role_arn.partition()
                    ),
                )
            })?,
        };
        builder = builder.region(Region::new(region.clone()));
        if let Some(url) = &self.source.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        if let Some(time) = &self.source.time_source {
            builder = builder.time_source(time.clone());
        }
        if let Some(sleep) = &self.source.sleep_impl {
            builder = builder.sleep_impl(sleep.clone());
        }
        let timeouts = sdk_config
            .timeout_config()
            .cloned()
            .unwrap_or_else(|| TimeoutConfig::builder().build());
        if timeouts.operation_attempt_timeout().is_none() && timeouts.operation_timeout().is_none()
        {
            let mut merged = TimeoutConfig::builder()
                .operation_attempt_timeout(DEFAULT_ATTEMPT_TIMEOUT)
                .operation_timeout(DEFAULT_OPERATION_TIMEOUT);
            if let Some(connect) = timeouts.connect_timeout() {
                merged = merged.connect_timeout(connect);
            }
            if let Some(read) = timeouts.read_timeout() {
                merged = merged.read_timeout(read);
            }
            builder = builder.timeout_config(merged.build());
        }
        if let Some(hop) = &self.source.first_hop {
            // No SDK-side cache: the inner session is the cache, so its refreshes flow through.
            builder = builder
                .credentials_provider(hop.credentials.clone())
                .identity_cache(IdentityCache::no_cache());
        }
        Ok((aws_sdk_sts::Client::from_conf(builder.build()), region))
    }

    /// One AssumeRole call (with the SDK's own retries, if its config has any).
    pub(crate) async fn assume(&self) -> Result<TemporaryCredentials, Error> {
        let (client, region) = self.client().await?;
        let input = &self.input;
        let mut req = client
            .assume_role()
            .role_arn(input.role_arn.as_str())
            .role_session_name(input.session_name.as_str())
            .duration_seconds(input.duration.as_secs() as i32);
        if let Some(id) = &input.external_id {
            req = req.external_id(id.as_str());
        }
        if let Some(policy) = &input.policy {
            req = req.policy(policy.as_str());
        }
        for arn in input.policy_arns.iter() {
            req = req.policy_arns(PolicyDescriptorType::builder().arn(arn).build());
        }
        for (key, value) in input.tags.iter() {
            let tag = Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| Error::invalid("tags", e.to_string()).with_source(Arc::new(e)))?;
            req = req.tags(tag);
        }
        for key in input.tags.transitive_keys() {
            req = req.transitive_tag_keys(key);
        }
        if let Some(identity) = &input.source_identity {
            req = req.source_identity(identity.as_str());
        }
        if let Some(mfa) = &input.mfa {
            let token = mfa.token().await?;
            req = req.serial_number(mfa.serial()).token_code(token.as_str());
        }
        let out = req.send().await.map_err(|e| classify(e, input, region))?;
        let role = input.role_arn.as_str();
        let creds = out
            .credentials()
            .ok_or_else(|| Error::unavailable(role, "STS answered without credentials"))?;
        // A truncated body can still parse into empty fields; never hand those out.
        let incomplete = |what: &str| {
            Error::unavailable(
                role,
                format!("STS answered with incomplete credentials ({what})"),
            )
        };
        if creds.access_key_id().is_empty()
            || creds.secret_access_key().is_empty()
            || creds.session_token().is_empty()
        {
            return Err(incomplete("an empty key or token"));
        }
        let expiration = SystemTime::try_from(*creds.expiration())
            .ok()
            .filter(|t| *t > SystemTime::UNIX_EPOCH)
            .ok_or_else(|| incomplete("no usable expiration"))?;
        let assumed_arn = out
            .assumed_role_user()
            .map(|u| u.arn().to_string())
            .unwrap_or_default();
        let assumed_id = out
            .assumed_role_user()
            .map(|u| u.assumed_role_id().to_string())
            .unwrap_or_default();
        Ok(TemporaryCredentials::new(
            creds.access_key_id(),
            creds.secret_access_key().to_string(),
            creds.session_token().to_string(),
            expiration,
            assumed_arn,
        )
        .with_assumed_role_id(assumed_id))
    }

    /// `GetCallerIdentity` with the source credentials, for diagnostics.
    pub(crate) async fn caller_identity(&self) -> Result<CallerIdentity, Error> {
        let (client, region) = self.client().await?;
        let clock = ServerClock::default();
        let out = client
            .get_caller_identity()
            .customize()
            .interceptor(clock.clone())
            .send()
            .await
            .map_err(|e| classify(e, &self.input, region))?;
        let server_time = clock.0.lock().ok().and_then(|t| *t);
        let endpoint = clock.1.lock().ok().and_then(|e| e.clone());
        Ok(CallerIdentity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
            user_id: out.user_id().unwrap_or_default().to_string(),
            server_time,
            local_time: SystemTime::now(),
            region: region.clone(),
            endpoint,
        })
    }
}

fn default_region(partition: &str) -> Option<String> {
    match partition {
        "aws" => Some("us-east-1".into()),
        "aws-cn" => Some("cn-north-1".into()),
        "aws-us-gov" => Some("us-gov-west-1".into()),
        _ => None,
    }
}

/// Maps an SDK failure to the error a user can act on. By code first; by HTTP status where the
/// body carries no code the SDK could read (proxies, load balancers); moto's nested
/// `<ErrorResponse><Errors><Error>` shape is read here. The SDK error is kept as the source.
pub(crate) fn classify<E>(
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    input: &AssumeRoleInput,
    region: &str,
) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let role_arn = input.role_arn.to_string();
    if let Some(cred_err) = find_source::<CredentialsError>(&err) {
        let classified = classify_source(cred_err, &role_arn);
        return classified.with_source(Arc::new(err));
    }
    let classified = match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let service_err = ctx.err();
            let nested = ctx.raw().body().bytes().and_then(nested_error);
            let code = service_err
                .code()
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .or_else(|| nested.as_ref().map(|n| n.0.clone()))
                .unwrap_or_default();
            let message = service_err
                .message()
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .or_else(|| nested.as_ref().map(|n| n.1.clone()))
                .unwrap_or_else(|| format!("HTTP {status} with no error message"));
            let request_id = err.request_id().map(str::to_string).or_else(|| {
                ctx.raw()
                    .headers()
                    .get("x-amzn-requestid")
                    .map(str::to_string)
            });
            classify_code(&code, status, message, request_id, input, region)
        }
        SdkError::TimeoutError(_) => Error::unavailable(role_arn, "the call to STS timed out"),
        SdkError::DispatchFailure(failure)
            if !failure.is_io() && !failure.is_timeout() && lacks_identity(&err) =>
        {
            Error::NoSourceCredentials {
                message: "no credentials provider is configured to sign the call to STS".into(),
                source: None,
            }
        }
        SdkError::DispatchFailure(failure) => Error::unavailable(
            role_arn,
            format!(
                "could not reach STS ({}): {}",
                if failure.is_timeout() {
                    "timeout"
                } else if failure.is_io() {
                    "connection error"
                } else {
                    "dispatch failure"
                },
                chain(&err)
            ),
        ),
        SdkError::ResponseError(ctx) => Error::unavailable(
            role_arn,
            format!(
                "STS sent a response that could not be read (HTTP {}): {}",
                ctx.raw().status().as_u16(),
                chain(&err)
            ),
        ),
        SdkError::ConstructionFailure(_) => Error::other(
            role_arn,
            format!("the request could not be built: {}", chain(&err)),
        ),
        _ => Error::other(role_arn, chain(&err)),
    };
    // A success status with an unreadable body may hold parts of real credentials in the raw
    // response; such an error is not kept.
    let success_status = match &err {
        SdkError::ResponseError(ctx) => ctx.raw().status().is_success(),
        SdkError::ServiceError(ctx) => ctx.raw().status().is_success(),
        _ => false,
    };
    if success_status {
        return classified;
    }
    classified.with_source(Arc::new(err))
}

/// A failure of the source credentials provider, by its own cause: a timeout or a transient
/// failure is retryable; a role chain's first hop passes its own classification on.
fn classify_source(cred_err: &CredentialsError, role_arn: &str) -> Error {
    let from_source = |retryable: bool| {
        let message = format!(
            "the source credentials could not be loaded: {}",
            chain(cred_err)
        );
        if retryable {
            Error::SourceUnavailable {
                role_arn: role_arn.to_string(),
                message,
                source: None,
            }
        } else {
            Error::ExpiredSourceCredentials {
                role_arn: role_arn.to_string(),
                message,
                code: None,
                request_id: None,
                source: None,
            }
        }
    };
    if let Some(inner) = find_source::<Error>(cred_err) {
        return match inner.kind() {
            ErrorKind::NoSourceCredentials => Error::NoSourceCredentials {
                message: inner.message().to_string(),
                source: None,
            },
            kind => from_source(kind.is_retryable()),
        };
    }
    match cred_err {
        CredentialsError::CredentialsNotLoaded(_) => Error::NoSourceCredentials {
            message: chain(cred_err),
            source: None,
        },
        CredentialsError::ProviderTimedOut(_) => from_source(true),
        CredentialsError::ProviderError(_) => from_source(true),
        _ => from_source(false),
    }
}

/// `(Code, Message)` from an `<ErrorResponse><Errors><Error>` body, which the SDK's parser
/// (expecting `<ErrorResponse><Error>`) does not read.
fn nested_error(body: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(body).ok()?;
    let error = between(text, "<Errors>", "</Errors>")?;
    let code = between(error, "<Code>", "</Code>")?.trim().to_string();
    let message = between(error, "<Message>", "</Message>")
        .map(|m| unescape_xml(m.trim()))
        .unwrap_or_default();
    (!code.is_empty()).then_some((code, message))
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn classify_code(
    code: &str,
    status: u16,
    message: String,
    request_id: Option<String>,
    input: &AssumeRoleInput,
    region: &str,
) -> Error {
    let role_arn = input.role_arn.to_string();
    let code_opt: Option<Box<str>> = (!code.is_empty()).then(|| code.into());
    let request_id: Option<Box<str>> = request_id.map(Into::into);
    match code {
        "AccessDenied" | "AccessDeniedException" => access_denied(input, message, code_opt, request_id),
        "RegionDisabledException" => Error::RegionDisabled {
            role_arn,
            region: region.into(),
            message,
            code: code_opt,
            request_id,
            source: None,
        },
        "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => Error::MalformedPolicy {
            role_arn,
            message,
            code: code_opt,
            request_id,
            source: None,
        },
        "PackedPolicyTooLarge" | "PackedPolicyTooLargeException" => Error::PackedPolicyTooLarge {
            role_arn,
            message,
            code: code_opt,
            request_id,
            source: None,
        },
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId"
        | "SignatureDoesNotMatch" | "UnrecognizedClientException" => {
            Error::ExpiredSourceCredentials {
                role_arn,
                message,
                code: code_opt,
                request_id,
                source: None,
            }
        }
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded"
        | "TooManyRequestsException" | "RequestThrottled" | "SlowDown" => Error::Throttled {
            role_arn,
            message,
            code: code_opt,
            request_id,
            source: None,
        },
        "InternalFailure" | "InternalError" | "ServiceUnavailable" | "ServiceUnavailableException"
        | "RequestTimeout" | "RequestTimeoutException" => Error::Unavailable {
            role_arn,
            message: format!("{code}: {message}"),
            code: code_opt,
            request_id,
            source: None,
        },
        "ValidationError" if message.contains("DurationSeconds") => Error::invalid(
            "duration",
            format!(
                "STS refused {} seconds: {}. The role's maximum session duration (1 hour unless raised in IAM) or role chaining (1 hour) limits it",
                input.duration.as_secs(),
                message.trim_end_matches('.')
            ),
        ),
        _ => match status {
            // A success status whose body is not a response: a proxy or a truncated answer.
            200..=299 => Error::unavailable(
                role_arn,
                format!("STS answered HTTP {status} with a body that is not an STS response"),
            ),
            403 => access_denied(input, message, code_opt, request_id),
            429 => Error::Throttled {
                role_arn,
                message,
                code: code_opt,
                request_id,
                source: None,
            },
            500..=599 => Error::Unavailable {
                role_arn,
                message: format!("HTTP {status}: {message}"),
                code: code_opt,
                request_id,
                source: None,
            },
            _ => Error::Other {
                role_arn,
                message: if code.is_empty() {
                    format!("HTTP {status}: {message}")
                } else {
                    format!("{code} (HTTP {status}): {message}")
                },
                code: code_opt,
                request_id,
                source: None,
            },
        },
    }
}

fn access_denied(
    input: &AssumeRoleInput,
    message: String,
    code: Option<Box<str>>,
    request_id: Option<Box<str>>,
) -> Error {
    let external = match &input.external_id {
        Some(id) => format!(
            "the external ID you sent ({} characters) is exactly the policy's sts:ExternalId (case-sensitive, no surrounding whitespace)",
            id.as_str().chars().count()
        ),
        None => "you sent no external ID: if the policy has an sts:ExternalId condition, pass the one agreed with the trusting account".to_string(),
    };
    Error::AccessDenied {
        role_arn: input.role_arn.to_string(),
        message,
        code,
        request_id,
        source: None,
        hint: format!(
            "Check that (1) the trust policy of {} allows your principal (your account's root or your exact user/role ARN) to call sts:AssumeRole; (2) {external}; (3) your own identity is allowed sts:AssumeRole on the role",
            input.role_arn
        )
        .into(),
    }
}

/// The SDK reports a missing credentials provider only as an auth-scheme selection failure,
/// whose type is private; its debug text is the one stable signal.
fn lacks_identity<E: StdError + 'static>(
    err: &SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> bool {
    let text = format!("{err:?}");
    text.contains("NoMatchingAuthScheme") || text.contains("NoIdentityResolver")
}

/// The messages of an error and its sources, "outer: inner: root", without the Debug dump the
/// SDK's `DisplayErrorContext` appends, and without repeating a message a wrapper already holds.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn find_source<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        cur = e.source();
    }
    None
}
