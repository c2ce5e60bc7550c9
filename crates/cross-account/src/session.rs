//! `CrossAccountSession`: the assumed role, its refreshing credentials, and the SDK provider.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource, TimeSource};

use crate::arn::RoleArn;
use crate::credentials::TemporaryCredentials;
use crate::error::Error;
use crate::params::{
    ExternalId, MfaDevice, PolicyArns, SessionDuration, SessionName, SessionPolicy, SessionTags,
    SourceIdentity,
};
use crate::refresh::{
    Fetch, FetchFuture, RefreshConfig, Refresher, RetryConfig, SessionStatus,
    DEFAULT_MANDATORY_MARGIN,
};
use crate::sts::{AssumeRoleInput, CallerIdentity, StsAssumer, StsSource};

/// An assumed role in another account whose temporary credentials stay fresh while the
/// program runs.
///
/// Cloning is cheap and every clone shares one cache and one background refresh task, which
/// ends when the last clone is dropped. It implements [`ProvideCredentials`], so it plugs into
/// any `aws-sdk-*` client.
///
/// # Examples
///
/// ```no_run
/// use cross_account::CrossAccountSession;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let session = CrossAccountSession::builder()
///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
///     .external_id("ExternalId123")
///     .build()?;
///
/// // Any AWS SDK client, with credentials that refresh in the background:
/// let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
///     .credentials_provider(session.clone())
///     .load()
///     .await;
/// # let _ = config;
/// // Or the credentials themselves:
/// let creds = session.credentials().await?;
/// println!("{} valid until {:?}", creds.access_key_id(), creds.expiration());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CrossAccountSession {
    refresher: Arc<Refresher>,
    sts: Arc<StsAssumer>,
}

impl CrossAccountSession {
    /// Starts a builder.
    ///
    /// # Examples
    ///
    /// ```
    /// let session = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
    ///     .external_id("ExternalId123")
    ///     .region("eu-west-1")
    ///     .build()?;
    /// assert_eq!(session.role_arn().role_name(), "DemoRole");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn builder() -> CrossAccountSessionBuilder {
        CrossAccountSessionBuilder::default()
    }

    /// Current credentials: from the cache when fresh (no lock, no await), otherwise after the
    /// one in-flight AssumeRole call. Never returns credentials inside the mandatory margin.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: cross_account::CrossAccountSession) -> Result<(), cross_account::Error> {
    /// let creds = session.credentials().await?;
    /// assert!(creds.expiration() > std::time::SystemTime::now());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn credentials(&self) -> Result<TemporaryCredentials, Error> {
        self.refresher.credentials().await
    }

    /// The cached credentials if they are fresh, without waiting or locking; `None` when a
    /// fetch is needed (then call [`credentials`](Self::credentials)). For synchronous callers.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: cross_account::CrossAccountSession) -> Result<(), cross_account::Error> {
    /// let creds = match session.cached_credentials() {
    ///     Some(c) => c,
    ///     None => session.credentials().await?,
    /// };
    /// # let _ = creds;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cached_credentials(&self) -> Option<TemporaryCredentials> {
        self.refresher.fresh()
    }

    /// Marks the held credentials stale, so the next read fetches new ones (one AssumeRole call
    /// however many readers). For callers that got `ExpiredToken` or `InvalidClientTokenId` from
    /// a service. The retry backoff still applies.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: cross_account::CrossAccountSession) -> Result<(), cross_account::Error> {
    /// session.invalidate();
    /// let fresh = session.credentials().await?;
    /// # let _ = fresh;
    /// # Ok(())
    /// # }
    /// ```
    pub fn invalidate(&self) {
        self.refresher.invalidate();
    }

    /// A snapshot of the refresh state: expiry, last refresh, last error, call counts.
    ///
    /// # Examples
    ///
    /// ```
    /// let session = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
    ///     .build()?;
    /// assert_eq!(session.status().sts_calls, 0); // build() does no I/O
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn status(&self) -> SessionStatus {
        self.refresher.status()
    }

    /// The role this session assumes.
    ///
    /// # Examples
    ///
    /// ```
    /// let session = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
    ///     .build()?;
    /// assert_eq!(session.role_arn().account_id(), "123456789012");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn role_arn(&self) -> &RoleArn {
        &self.sts.input().role_arn
    }

    /// The role session name sent to STS.
    ///
    /// # Examples
    ///
    /// ```
    /// let session = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
    ///     .session_name("nightly")
    ///     .build()?;
    /// assert_eq!(session.session_name().as_str(), "nightly");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn session_name(&self) -> &SessionName {
        &self.sts.input().session_name
    }

    /// The session duration asked for (after the role-chaining clamp).
    ///
    /// # Examples
    ///
    /// ```
    /// let session = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
    ///     .duration(std::time::Duration::from_secs(900))
    ///     .build()?;
    /// assert_eq!(session.duration().as_secs(), 900);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn duration(&self) -> SessionDuration {
        self.sts.input().duration
    }

    /// Who the source credentials belong to (`GetCallerIdentity`), for diagnostics.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: cross_account::CrossAccountSession) -> Result<(), cross_account::Error> {
    /// let me = session.source_identity().await?;
    /// println!("calling STS as {}", me.arn);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn source_identity(&self) -> Result<CallerIdentity, Error> {
        let mut me = self.sts.caller_identity().await?;
        // Compared with the server's clock, so it must be the clock this session runs on.
        me.local_time = self.refresher.now();
        Ok(me)
    }
}

impl fmt::Debug for CrossAccountSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = self.sts.input();
        f.debug_struct("CrossAccountSession")
            .field("role_arn", &input.role_arn.as_str())
            .field("session_name", &input.session_name.as_str())
            .field("external_id", &input.external_id.as_ref().map(|_| "set"))
            .field("duration", &input.duration.as_secs())
            .finish_non_exhaustive()
    }
}

/// The fetcher the refresher calls: one AssumeRole through the `sts` module.
struct StsFetch(Arc<StsAssumer>);

impl Fetch for StsFetch {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(self.0.assume())
    }
    fn role_arn(&self) -> &str {
        self.0.input().role_arn.as_str()
    }
    fn session_name(&self) -> &str {
        self.0.input().session_name.as_str()
    }
}

impl ProvideCredentials for CrossAccountSession {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        // Fresh credentials answer without boxing a future: an SDK client reads this per request.
        if let Some(creds) = self.cached_credentials() {
            return provider::future::ProvideCredentials::ready(Ok(creds.into()));
        }
        provider::future::ProvideCredentials::new(async move {
            match self.credentials().await {
                Ok(creds) => Ok(creds.into()),
                Err(err) => Err(into_credentials_error(err)),
            }
        })
    }
}

fn into_credentials_error(err: Error) -> CredentialsError {
    match err {
        Error::NoSourceCredentials { .. } => CredentialsError::not_loaded(err),
        Error::InvalidParameter { .. } => CredentialsError::invalid_configuration(err),
        _ => CredentialsError::provider_error(err),
    }
}

type TokenFn = dyn Fn() -> Result<String, String> + Send + Sync;

/// Builds a [`CrossAccountSession`]. Setters take plain values; [`build`](Self::build)
/// validates them all, does no I/O, and names the setter of any bad value.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cross_account::{CrossAccountSession, Error};
///
/// let session = CrossAccountSession::builder()
///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
///     .external_id("ExternalId123")
///     .session_name("reporting")
///     .duration(Duration::from_secs(900))
///     .tags([("team", "data")])
///     .build()?;
/// # let _ = session;
///
/// let err = CrossAccountSession::builder()
///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
///     .duration(Duration::from_secs(60))
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, Error::InvalidParameter { field: "duration", .. }));
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Default)]
pub struct CrossAccountSessionBuilder {
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    duration: Option<Duration>,
    policy: Option<String>,
    policy_arns: Vec<String>,
    tags: Vec<(String, String)>,
    transitive_tag_keys: Vec<String>,
    source_identity: Option<String>,
    mfa: Option<(String, Arc<TokenFn>)>,
    region: Option<String>,
    endpoint_url: Option<String>,
    profile: Option<String>,
    sdk_config: Option<SdkConfig>,
    source_session: Option<CrossAccountSession>,
    auto_refresh: Option<bool>,
    refresh_window: Option<Duration>,
    mandatory_margin: Option<Duration>,
    retry: Option<RetryConfig>,
    time_source: Option<SharedTimeSource>,
    sleep_impl: Option<SharedAsyncSleep>,
}

impl fmt::Debug for CrossAccountSessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossAccountSessionBuilder")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

impl CrossAccountSessionBuilder {
    /// The role to assume, `arn:PARTITION:iam::ACCOUNT:role/NAME`. Required.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder().role_arn("arn:aws:iam::123456789012:role/R");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }

    /// The external ID the trusting account's trust policy requires (`sts:ExternalId`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .external_id("ExternalId123");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// The role session name (default `cross-account-<unix millis>`).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .session_name("billing-export")
    ///     .build()?;
    /// assert_eq!(s.session_name().as_str(), "billing-export");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = Some(name.into());
        self
    }

    /// The session lifetime asked for, 15 minutes to 12 hours (default 1 hour).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let s = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .duration(Duration::from_secs(7200))
    ///     .build()?;
    /// assert_eq!(s.duration().as_secs(), 7200);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// An inline session policy (JSON) that narrows what the session may do.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#);
    /// assert!(b.build().is_ok());
    /// ```
    pub fn policy(mut self, policy_json: impl Into<String>) -> Self {
        self.policy = Some(policy_json.into());
        self
    }

    /// Managed policies used as session policies (at most 10).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .policy_arns(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    /// assert!(b.build().is_ok());
    /// ```
    pub fn policy_arns<I, S>(mut self, arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.policy_arns = arns.into_iter().map(Into::into).collect();
        self
    }

    /// Session tags, `(key, value)` pairs (at most 50).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .tags([("team", "data"), ("env", "prod")]);
    /// assert!(b.build().is_ok());
    /// ```
    pub fn tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.tags = tags
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Which session tags pass on through role chaining; each must be a tag key.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .tags([("team", "data")])
    ///     .transitive_tag_keys(["team"]);
    /// assert!(b.build().is_ok());
    /// ```
    pub fn transitive_tag_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.transitive_tag_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The source identity recorded in CloudTrail and kept through role chaining.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .source_identity("alice");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn source_identity(mut self, identity: impl Into<String>) -> Self {
        self.source_identity = Some(identity.into());
        self
    }

    /// An MFA device and a callback that returns its current 6-digit code; the callback is
    /// asked at every AssumeRole call, refreshes included.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .mfa("arn:aws:iam::123456789012:mfa/alice", || Ok("123456".to_string()));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn mfa(
        mut self,
        serial: impl Into<String>,
        token: impl Fn() -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.mfa = Some((serial.into(), Arc::new(token)));
        self
    }

    /// The region whose STS endpoint is called (default: from the environment or profile,
    /// else the partition's main region).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .region("eu-central-1");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom STS endpoint, e.g. a VPC endpoint or a local emulator. `AWS_ENDPOINT_URL_STS`
    /// is honored without this.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .endpoint_url("http://127.0.0.1:5000");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The named profile the source credentials come from (default: `AWS_PROFILE` or `default`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .profile("partner-source");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Source credentials, region, endpoint, HTTP client and retry settings from an SDK config
    /// (default: `aws_config::defaults(BehaviorVersion::latest()).load()` at the first call).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), cross_account::Error> {
    /// let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    /// let session = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .sdk_config(&config)
    ///     .build()?;
    /// # let _ = session;
    /// # Ok(())
    /// # }
    /// ```
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.sdk_config = Some(config.clone());
        self
    }

    /// Role chaining: the source credentials are another session's. The duration is clamped
    /// to 1 hour, the most STS allows for chained roles.
    ///
    /// # Examples
    ///
    /// ```
    /// let first = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::111111111111:role/Hop")
    ///     .build()?;
    /// let second = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::222222222222:role/Target")
    ///     .duration(std::time::Duration::from_secs(7200))
    ///     .source_session(first)
    ///     .build()?;
    /// assert_eq!(second.duration().as_secs(), 3600);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn source_session(mut self, session: CrossAccountSession) -> Self {
        self.source_session = Some(session);
        self
    }

    /// Refresh in the background before expiry (default true). When false, credentials are
    /// refreshed by the first read inside the refresh window.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .auto_refresh(false);
    /// assert!(b.build().is_ok());
    /// ```
    pub fn auto_refresh(mut self, enabled: bool) -> Self {
        self.auto_refresh = Some(enabled);
        self
    }

    /// How long before expiry refreshing starts (default `min(5 min, lifetime / 3)`; never
    /// more than half the lifetime). The refresh happens at a random point in
    /// `[expiry - window, expiry - window / 2]`. Must exceed the mandatory margin.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .refresh_window(Duration::from_secs(600));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = Some(window);
        self
    }

    /// Credentials with less than this left are never handed out; readers wait for the refresh
    /// instead (default 30 s, at most 5 min).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .mandatory_margin(Duration::from_secs(60));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn mandatory_margin(mut self, margin: Duration) -> Self {
        self.mandatory_margin = Some(margin);
        self
    }

    /// Backoff between failed AssumeRole calls (default: 1 s base, 60 s cap, full jitter).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .retry(cross_account::RetryConfig::default().max_delay(Duration::from_secs(20)));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The clock (default: the system clock). Tests inject one that follows a paused runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use aws_smithy_async::time::SystemTimeSource;
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .time_source(SystemTimeSource::new());
    /// assert!(b.build().is_ok());
    /// ```
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time));
        self
    }

    /// How to sleep (default: tokio's timer).
    ///
    /// # Examples
    ///
    /// ```
    /// use aws_smithy_async::rt::sleep::TokioSleep;
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .sleep_impl(TokioSleep::new());
    /// assert!(b.build().is_ok());
    /// ```
    pub fn sleep_impl(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep_impl = Some(SharedAsyncSleep::new(sleep));
        self
    }

    /// Validates everything and creates the session. No I/O happens here.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = cross_account::CrossAccountSession::builder().build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid role_arn: is required (the ARN of the role to assume, arn:aws:iam::ACCOUNT_ID:role/NAME)");
    /// ```
    pub fn build(self) -> Result<CrossAccountSession, Error> {
        let role_arn = match self.role_arn {
            Some(arn) => RoleArn::new(arn)?,
            None => return Err(Error::invalid(
                "role_arn",
                "is required (the ARN of the role to assume, arn:aws:iam::ACCOUNT_ID:role/NAME)",
            )),
        };
        let external_id = self.external_id.map(ExternalId::new).transpose()?;
        let time = self
            .time_source
            .unwrap_or_else(|| SharedTimeSource::new(SystemTimeSource::new()));
        let session_name = match self.session_name {
            Some(name) => SessionName::new(name)?,
            None => SessionName::default_at(time.now()),
        };
        let mut duration = match self.duration {
            Some(d) => SessionDuration::new(d)?,
            None => SessionDuration::DEFAULT,
        };
        if self.source_session.is_some() && duration > SessionDuration::CHAINED_MAX {
            tracing::warn!(
                role_arn = role_arn.as_str(),
                requested_secs = duration.as_secs(),
                "role chaining limits sessions to 3600 s; asking for 3600 s"
            );
            duration = SessionDuration::CHAINED_MAX;
        }
        let policy = self.policy.map(SessionPolicy::new).transpose()?;
        let policy_arns = PolicyArns::new(self.policy_arns)?;
        let tags = SessionTags::new(self.tags)?.with_transitive_keys(self.transitive_tag_keys)?;
        let source_identity = self.source_identity.map(SourceIdentity::new).transpose()?;
        let mfa = match self.mfa {
            Some((serial, token)) => Some(MfaDevice::new(serial, move || token())?),
            None => None,
        };
        if let Some(region) = &self.region {
            validate_region(region)?;
        }
        if let Some(url) = &self.endpoint_url {
            validate_endpoint(url)?;
        }
        if let Some(profile) = &self.profile {
            if profile.trim().is_empty() || profile.contains(['\n', '\r', '[', ']']) {
                return Err(Error::invalid(
                    "profile",
                    "must be a profile name from ~/.aws/config (non-empty, no brackets or line breaks)",
                ));
            }
        }
        let margin = self.mandatory_margin.unwrap_or(DEFAULT_MANDATORY_MARGIN);
        if margin > Duration::from_secs(300) {
            return Err(Error::invalid(
                "mandatory_margin",
                format!("must be at most 300 seconds so that 15-minute sessions stay usable, but it is {} s", margin.as_secs()),
            ));
        }
        if let Some(window) = self.refresh_window {
            if window <= margin {
                return Err(Error::invalid(
                    "refresh_window",
                    format!(
                        "must be longer than the mandatory margin ({} s), or readers would wait for every refresh; it is {} s",
                        margin.as_secs(),
                        window.as_secs()
                    ),
                ));
            }
        }
        let retry = self.retry.unwrap_or_default();
        if retry.get_base_delay().is_zero() || retry.get_max_delay() < retry.get_base_delay() {
            return Err(Error::invalid(
                "retry",
                "base delay must be above zero and the maximum delay at least the base delay",
            ));
        }
        let sleep = self
            .sleep_impl
            .unwrap_or_else(|| SharedAsyncSleep::new(TokioSleep::new()));

        let input = AssumeRoleInput {
            role_arn,
            external_id,
            session_name,
            duration,
            policy,
            policy_arns,
            tags,
            source_identity,
            mfa,
        };
        let source = StsSource {
            sdk_config: self.sdk_config,
            profile: self.profile,
            region: self.region,
            endpoint_url: self.endpoint_url,
            source_session: self.source_session,
        };
        let sts = Arc::new(StsAssumer::new(input, source));
        let config = RefreshConfig {
            auto_refresh: self.auto_refresh.unwrap_or(true),
            window: self.refresh_window,
            margin,
            retry,
            time,
            sleep,
        };
        let refresher = Arc::new(Refresher::new(Box::new(StsFetch(sts.clone())), config));
        Ok(CrossAccountSession { refresher, sts })
    }
}

fn validate_region(region: &str) -> Result<(), Error> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "region",
            format!("must be a region code such as us-east-1 (lowercase letters, digits and -), but it is {region:?}"),
        ))
    }
}

fn validate_endpoint(url: &str) -> Result<(), Error> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(()),
        _ => Err(Error::invalid(
            "endpoint_url",
            format!("must be an http:// or https:// URL with a host, such as https://sts.eu-west-1.amazonaws.com, but it is {url:?}"),
        )),
    }
}
