//! `CrossAccountSession`: the assumed role, its refreshing credentials, and the SDK provider.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::provider::{
    self, error::CredentialsError, ProvideCredentials, SharedCredentialsProvider,
};
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource, TimeSource};

use crate::arn::RoleArn;
use crate::clock::ReadClock;
use crate::credentials::TemporaryCredentials;
use crate::error::Error;
use crate::options::SessionOptions;
use crate::params::{
    blocking_token, validate_serial, ExternalId, MfaDevice, MfaTokenError, PolicyArns,
    ProvideMfaToken, SessionDuration, SessionName, SessionPolicy, SessionTags, SourceIdentity,
};
use crate::profile::{SharedConfig, SharedConfigFiles};
use crate::refresh::{
    Backoff, Fetch, FetchFuture, RefreshConfig, Refresher, SessionStatus, DEFAULT_MANDATORY_MARGIN,
};
use crate::sts::{AssumeRoleInput, CallerIdentity, FirstHop, StsAssumer, StsSource};

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
/// let config = session
///     .configure_loader(aws_config::defaults(aws_config::BehaviorVersion::latest()))
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
    options: Arc<SessionOptions>,
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

    /// A builder set up from role profile `name` of the shared AWS config files, as the AWS
    /// CLI reads it (see [`SharedConfig`]): the role, external ID, session name, duration,
    /// MFA device, region, endpoint and the `source_profile` chain.
    ///
    /// It returns the builder, not a session, as aws-config's profile providers do: a profile
    /// with `mfa_serial` still needs a token provider, and every tuning setter stays open. The
    /// files are read here, so an unknown profile, a cycle or a missing source is an error now,
    /// before any network call.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // The profile's mfa_serial names the device; the callback gives the codes.
    /// let session = cross_account::CrossAccountSession::from_profile("partner")?
    ///     .mfa_token_callback(|| Ok("123456".to_string()))
    ///     .build()?;
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn from_profile(name: &str) -> Result<CrossAccountSessionBuilder, Error> {
        Ok(CrossAccountSessionBuilder::default()
            .options(SharedConfig::load()?.session_options(name)?))
    }

    /// [`from_profile`](Self::from_profile) with explicit config and credentials file paths;
    /// the source profile's credentials are read from the same files.
    pub fn from_profile_files(
        name: &str,
        config: impl AsRef<std::path::Path>,
        credentials: impl AsRef<std::path::Path>,
    ) -> Result<CrossAccountSessionBuilder, Error> {
        let files = SharedConfigFiles::new(config.as_ref(), credentials.as_ref());
        let options = SharedConfig::load_files(files.clone())?.session_options(name)?;
        Ok(CrossAccountSessionBuilder::default()
            .options(options)
            .profile_files(files))
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
        if let Some(creds) = self.refresher.fresh() {
            return Ok(creds);
        }
        // Boxed so that this future stays a few words large: a fresh read moves no waiting
        // state around.
        Box::pin(self.refresher.credentials()).await
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

    /// [`credentials`](Self::credentials) for code with no async runtime: blocks the calling
    /// thread while the fetch runs on the refresh thread. Refused (an error, not a hang) on a
    /// thread that is running an async runtime.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(session: cross_account::CrossAccountSession) -> Result<(), cross_account::Error> {
    /// let creds = session.credentials_blocking()?;
    /// # let _ = creds;
    /// # Ok(())
    /// # }
    /// ```
    pub fn credentials_blocking(&self) -> Result<TemporaryCredentials, Error> {
        self.refresher.credentials_blocking()
    }

    /// The options this session was built from (what it asks STS for, and where its source
    /// credentials come from).
    pub fn options(&self) -> &SessionOptions {
        &self.options
    }

    /// `loader` with this session as the credentials provider **and the only cache**: the SDK's
    /// own identity cache is switched off, so [`invalidate`](Self::invalidate) and the
    /// mandatory margin reach every client built from the config (the session answers each
    /// request from its lock-free cache, without boxing a future).
    ///
    /// Plain `.credentials_provider(session)` keeps the SDK's identity cache on top, which
    /// neither sees `invalidate()` nor honours a margin above its own 10 s. For a single
    /// service's config builder, the same one line is
    /// `.credentials_provider(session.clone()).identity_cache(IdentityCache::no_cache())`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: cross_account::CrossAccountSession) {
    /// let config = session
    ///     .configure_loader(aws_config::defaults(aws_config::BehaviorVersion::latest()))
    ///     .load()
    ///     .await;
    /// // aws_sdk_s3::Client::new(&config) now signs with whatever the session holds.
    /// # let _ = config;
    /// # }
    /// ```
    pub fn configure_loader(&self, loader: aws_config::ConfigLoader) -> aws_config::ConfigLoader {
        loader
            .credentials_provider(self.clone())
            .identity_cache(aws_config::identity::IdentityCache::no_cache())
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
    /// let me = session.caller_identity().await?;
    /// println!("calling STS as {}", me.arn);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn caller_identity(&self) -> Result<CallerIdentity, Error> {
        let mut me = self.sts.caller_identity().await?;
        // Compared with the server's clock, so it must be the clock this session runs on.
        me.local_time = self.refresher.now();
        Ok(me)
    }

    /// The validated AssumeRole input (the pool validates tenants' options through a session).
    pub(crate) fn assume_input(&self) -> &AssumeRoleInput {
        self.sts.input()
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

/// Builds a [`CrossAccountSession`]. Setters take plain values; [`build`](Self::build)
/// validates them all, does no I/O, and names the setter of any bad value.
///
/// The AssumeRole parameters and source settings are one [`SessionOptions`] value, which
/// [`options`](Self::options) sets at once and the individual setters edit.
///
/// # Precedence with `sdk_config`
///
/// [`sdk_config`](Self::sdk_config) supplies the source credentials, region, endpoint, HTTP
/// client, retry and timeout settings of the STS client. On top of it:
/// - [`region`](Self::region) and [`endpoint_url`](Self::endpoint_url) override the config's;
/// - [`time_source`](Self::time_source) and [`sleep_impl`](Self::sleep_impl) are used by the
///   session and override the config's for the STS client;
/// - [`profile`](Self::profile) cannot apply (the config has already loaded its credentials),
///   so `build()` refuses the combination, naming both; so does `profile` with a role chain
///   ([`source_session`](Self::source_session) or `SessionOptions::source_role`), whose
///   source credentials are the first role's.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cross_account::{CrossAccountSession, Error};
///
/// let err = CrossAccountSession::builder()
///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
///     .duration(Duration::from_secs(60))
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, Error::InvalidParameter { field: "duration", .. }));
/// ```
#[derive(Default)]
pub struct CrossAccountSessionBuilder {
    options: SessionOptions,
    mfa_token: Option<Arc<dyn ProvideMfaToken>>,
    sdk_config: Option<SdkConfig>,
    source_session: Option<CrossAccountSession>,
    auto_refresh: Option<bool>,
    refresh_window: Option<Duration>,
    mandatory_margin: Option<Duration>,
    backoff: Option<Backoff>,
    time_source: Option<SharedTimeSource>,
    sleep_impl: Option<SharedAsyncSleep>,
    runtime: Option<tokio::runtime::Handle>,
    profile_files: SharedConfigFiles,
}

impl fmt::Debug for CrossAccountSessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossAccountSessionBuilder")
            .field("options", &self.options)
            .field("sdk_config", &self.sdk_config.is_some())
            .finish_non_exhaustive()
    }
}

impl From<SessionOptions> for CrossAccountSessionBuilder {
    fn from(options: SessionOptions) -> Self {
        CrossAccountSessionBuilder::default().options(options)
    }
}

impl CrossAccountSessionBuilder {
    /// Every AssumeRole parameter and source setting at once, replacing those set before.
    pub fn options(mut self, options: SessionOptions) -> Self {
        self.options = options;
        self
    }

    /// The role to assume, `arn:PARTITION:iam::ACCOUNT:role/NAME`. Required.
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.options.role_arn = arn.into();
        self
    }

    /// The external ID the trusting account's trust policy requires (`sts:ExternalId`).
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.options.external_id = Some(id.into());
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
        self.options.session_name = Some(name.into());
        self
    }

    /// The session lifetime asked for, 15 minutes to 12 hours (default 1 hour).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.options.duration = Some(duration);
        self
    }

    /// An inline session policy (JSON) that narrows what the session may do.
    pub fn policy(mut self, policy_json: impl Into<String>) -> Self {
        self.options.policy = Some(policy_json.into());
        self
    }

    /// Managed policies used as session policies (at most 10).
    pub fn policy_arns<I, S>(mut self, arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options.policy_arns = arns.into_iter().map(Into::into).collect();
        self
    }

    /// Session tags, `(key, value)` pairs (at most 50).
    pub fn tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.options.tags = tags
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Which session tags pass on through role chaining; each must be a tag key.
    pub fn transitive_tag_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options.transitive_tag_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The source identity recorded in CloudTrail and kept through role chaining.
    pub fn source_identity(mut self, identity: impl Into<String>) -> Self {
        self.options.source_identity = Some(identity.into());
        self
    }

    /// An MFA device and a synchronous callback that returns its current 6-digit code. The
    /// callback runs on tokio's blocking pool, at every AssumeRole call, background refreshes
    /// included.
    pub fn mfa(
        mut self,
        serial: impl Into<String>,
        token: impl Fn() -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.options.mfa_serial = Some(serial.into());
        self.mfa_token = Some(blocking_token(move || token().map_err(MfaTokenError::from)));
        self
    }

    /// Where MFA codes come from, as a synchronous callback (run on tokio's blocking pool), for
    /// every hop that names an MFA device.
    pub fn mfa_token_callback(
        mut self,
        token: impl Fn() -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.mfa_token = Some(blocking_token(move || token().map_err(MfaTokenError::from)));
        self
    }

    /// The MFA device (serial number or ARN) the trust policy requires; the code comes from
    /// [`mfa_token_provider`](Self::mfa_token_provider), without which `build()` refuses it.
    pub fn mfa_serial(mut self, serial: impl Into<String>) -> Self {
        self.options.mfa_serial = Some(serial.into());
        self
    }

    /// Where MFA codes come from, asynchronously, for every hop that names an MFA device.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::{MfaTokenFuture, ProvideMfaToken};
    /// struct Prompt;
    /// impl ProvideMfaToken for Prompt {
    ///     fn mfa_token(&self) -> MfaTokenFuture<'_> {
    ///         Box::pin(async { Ok("123456".to_string()) })
    ///     }
    /// }
    /// let b = cross_account::CrossAccountSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .mfa_serial("arn:aws:iam::123456789012:mfa/alice")
    ///     .mfa_token_provider(Prompt);
    /// let session = b.build()?;
    /// assert_eq!(session.options().mfa_serial.as_deref(), Some("arn:aws:iam::123456789012:mfa/alice"));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn mfa_token_provider(mut self, provider: impl ProvideMfaToken) -> Self {
        self.mfa_token = Some(Arc::new(provider));
        self
    }

    /// The region whose STS endpoint is called (default: from the environment or profile,
    /// else the partition's main region). Overrides `sdk_config`'s.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.options.region = Some(region.into());
        self
    }

    /// A custom STS endpoint, e.g. a VPC endpoint or a local emulator. `AWS_ENDPOINT_URL_STS`
    /// is honored without this. Overrides `sdk_config`'s.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.options.endpoint_url = Some(url.into());
        self
    }

    /// The named profile the source credentials come from (default: the SDK's chain, with
    /// `AWS_PROFILE` or `default`). Its credentials are used even when the environment holds
    /// keys, as with the AWS CLI's `--profile`. Not with `sdk_config` nor with a role chain.
    /// For a role profile that is the role to assume, use
    /// [`CrossAccountSession::from_profile`] instead.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.options.profile = Some(profile.into());
        self
    }

    /// The shared config and credentials files the source `profile` is read from (default:
    /// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws`).
    pub fn profile_files(mut self, files: SharedConfigFiles) -> Self {
        self.profile_files = files;
        self
    }

    /// Source credentials, region, endpoint, HTTP client and retry settings from an SDK config
    /// (default: `aws_config::defaults(BehaviorVersion::latest()).load()` at the first call).
    /// See the precedence rules above.
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

    /// Role chaining from options: the role assumed first (built with this builder's MFA
    /// provider and tuning), whose credentials then assume this one. The duration is clamped
    /// to 1 hour. The same as `SessionOptions::source_role`.
    pub fn source_role(mut self, first: SessionOptions) -> Self {
        self.options.source_role = Some(Box::new(first));
        self
    }

    /// Refresh in the background before expiry (default true). When false, the first read
    /// inside the refresh window starts a refresh, and readers keep the held credentials
    /// meanwhile.
    pub fn auto_refresh(mut self, enabled: bool) -> Self {
        self.auto_refresh = Some(enabled);
        self
    }

    /// How long before expiry refreshing starts (default `min(5 min, lifetime / 3)`; never
    /// more than half the lifetime). The refresh happens at a random point in
    /// `[expiry - window, expiry - window / 2]`. Must exceed the mandatory margin.
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = Some(window);
        self
    }

    /// Credentials with less than this left are never handed out; readers wait for the refresh
    /// instead (default 30 s, at most 5 min).
    pub fn mandatory_margin(mut self, margin: Duration) -> Self {
        self.mandatory_margin = Some(margin);
        self
    }

    /// Backoff between failed AssumeRole calls (default: 1 s base, 60 s cap, full jitter).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// The clock (default: the system clock), for the session and its STS client. Tests inject
    /// one that follows a paused runtime.
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time));
        self
    }

    /// How to sleep (default: tokio's timer), for the session and its STS client.
    pub fn sleep_impl(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep_impl = Some(SharedAsyncSleep::new(sleep));
        self
    }

    /// The runtime the STS calls and the background refresh run on, and so the one that holds
    /// the STS client's pooled connections.
    ///
    /// By default they run on the process-wide `cross-account-refresh` thread, which is always
    /// polled, so no caller's runtime being dropped or idle can stop a refresh. Give a runtime
    /// here to keep everything on it (a test's paused clock, a language binding that manages
    /// its own runtime across `fork()`); if it shuts down, the session moves to the refresh
    /// thread.
    pub fn runtime_handle(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Some(handle);
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
        let tuning = Tuning {
            mfa_token: self.mfa_token,
            sdk_config: self.sdk_config,
            auto_refresh: self.auto_refresh.unwrap_or(true),
            refresh_window: self.refresh_window,
            mandatory_margin: self.mandatory_margin,
            backoff: self.backoff,
            time_source: self.time_source,
            sleep_impl: self.sleep_impl,
            runtime: self.runtime,
            profile_files: self.profile_files,
        };
        build_session(self.options, self.source_session, &tuning)
    }
}

/// Everything but the options; shared by every hop of a chain built from options.
struct Tuning {
    mfa_token: Option<Arc<dyn ProvideMfaToken>>,
    sdk_config: Option<SdkConfig>,
    auto_refresh: bool,
    refresh_window: Option<Duration>,
    mandatory_margin: Option<Duration>,
    backoff: Option<Backoff>,
    time_source: Option<SharedTimeSource>,
    sleep_impl: Option<SharedAsyncSleep>,
    runtime: Option<tokio::runtime::Handle>,
    profile_files: SharedConfigFiles,
}

fn build_session(
    options: SessionOptions,
    source_session: Option<CrossAccountSession>,
    tuning: &Tuning,
) -> Result<CrossAccountSession, Error> {
    // Exhaustive: a new option fails to compile here until it is validated and used.
    let SessionOptions {
        role_arn,
        external_id,
        session_name,
        duration,
        policy,
        policy_arns,
        tags,
        transitive_tag_keys,
        source_identity,
        mfa_serial,
        region,
        endpoint_url,
        profile,
        credential_source,
        source_role,
    } = options.clone();
    if role_arn.is_empty() {
        return Err(Error::invalid(
            "role_arn",
            "is required (the ARN of the role to assume, arn:aws:iam::ACCOUNT_ID:role/NAME)",
        ));
    }
    let role_arn = RoleArn::new(role_arn)?;
    if source_role.is_some() && source_session.is_some() {
        return Err(Error::invalid(
            "source_role",
            "cannot be combined with source_session: a role chain has one first hop; give either the first role's options or its session",
        ));
    }
    let chained = source_role.is_some() || source_session.is_some();
    if let Some(profile) = &profile {
        if profile.trim().is_empty() || profile.contains(['\n', '\r', '[', ']']) {
            return Err(Error::invalid(
                "profile",
                "must be a profile name from ~/.aws/config (non-empty, no brackets or line breaks)",
            ));
        }
        if tuning.sdk_config.is_some() {
            return Err(Error::invalid(
                "profile",
                "cannot be combined with sdk_config, whose source credentials are already loaded; load the profile into the SdkConfig (aws_config::defaults(..).profile_name(..)) or drop one of the two",
            ));
        }
        if chained {
            return Err(Error::invalid(
                "profile",
                "cannot be combined with a role chain (source_session or source_role): the source credentials are the first role's; set the profile on the first hop",
            ));
        }
    }
    if credential_source.is_some() {
        let clash = if profile.is_some() {
            Some("profile")
        } else if tuning.sdk_config.is_some() {
            Some("sdk_config")
        } else if chained {
            Some("a role chain (source_session or source_role)")
        } else {
            None
        };
        if let Some(other) = clash {
            return Err(Error::invalid(
                "credential_source",
                format!("cannot be combined with {other}: it names the one place the source credentials come from"),
            ));
        }
    }
    let external_id = external_id.map(ExternalId::new).transpose()?;
    let time = tuning
        .time_source
        .clone()
        .unwrap_or_else(|| SharedTimeSource::new(SystemTimeSource::new()));
    let session_name = match session_name {
        Some(name) => SessionName::new(name)?,
        None => SessionName::default_at(time.now()),
    };
    let mut duration = match duration {
        Some(d) => SessionDuration::new(d)?,
        None => SessionDuration::DEFAULT,
    };
    if chained && duration > SessionDuration::CHAINED_MAX {
        tracing::warn!(
            target: "cross_account::clamp",
            role_arn = role_arn.as_str(),
            requested_secs = duration.as_secs(),
            "role chaining limits sessions to 3600 s; asking for 3600 s"
        );
        duration = SessionDuration::CHAINED_MAX;
    }
    let policy = policy.map(SessionPolicy::new).transpose()?;
    let policy_arns = PolicyArns::new(policy_arns)?;
    let tags = SessionTags::new(tags)?.with_transitive_keys(transitive_tag_keys)?;
    let source_identity = source_identity.map(SourceIdentity::new).transpose()?;
    let mfa = match (mfa_serial, &tuning.mfa_token) {
        (Some(serial), Some(provider)) => Some(MfaDevice::from_provider(
            serial,
            SharedToken(provider.clone()),
        )?),
        (Some(serial), None) => {
            validate_serial(&serial)?;
            return Err(Error::invalid(
                "mfa_token",
                "is needed because mfa_serial is set: give a token provider (mfa_token_provider(), or mfa(serial, callback))",
            ));
        }
        (None, _) => None,
    };
    if let Some(region) = &region {
        validate_region(region)?;
    }
    if let Some(url) = &endpoint_url {
        validate_endpoint(url)?;
    }
    let margin = tuning.mandatory_margin.unwrap_or(DEFAULT_MANDATORY_MARGIN);
    if margin > Duration::from_secs(300) {
        return Err(Error::invalid(
            "mandatory_margin",
            format!("must be at most 300 seconds so that 15-minute sessions stay usable, but it is {} s", margin.as_secs()),
        ));
    }
    if let Some(window) = tuning.refresh_window {
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
    let backoff = tuning.backoff.unwrap_or_default();
    if backoff.base_delay().is_zero() || backoff.max_delay() < backoff.base_delay() {
        return Err(Error::invalid(
            "backoff",
            "base delay must be above zero and the maximum delay at least the base delay",
        ));
    }
    let source_session = match source_role {
        Some(first) => Some(build_session(*first, None, tuning)?),
        None => source_session,
    };
    let sleep = tuning
        .sleep_impl
        .clone()
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
        sdk_config: tuning.sdk_config.clone(),
        profile,
        credential_source,
        profile_files: tuning.profile_files.clone(),
        region,
        endpoint_url,
        first_hop: source_session.map(|first| FirstHop {
            role_arn: first.role_arn().clone(),
            credentials: SharedCredentialsProvider::new(first),
        }),
        time_source: tuning.time_source.clone(),
        sleep_impl: tuning.sleep_impl.clone(),
    };
    let sts = Arc::new(StsAssumer::new(input, source));
    let read_clock = match &tuning.time_source {
        Some(injected) => ReadClock::Injected(injected.clone()),
        None => ReadClock::System,
    };
    let config = RefreshConfig {
        read_clock,
        auto_refresh: tuning.auto_refresh,
        window: tuning.refresh_window,
        margin,
        retry: backoff,
        time,
        sleep,
        runtime: tuning.runtime.clone(),
    };
    let refresher = Arc::new(Refresher::new(Box::new(StsFetch(sts.clone())), config));
    Ok(CrossAccountSession {
        refresher,
        sts,
        options: Arc::new(options),
    })
}

/// One provider shared by every hop of a chain.
struct SharedToken(Arc<dyn ProvideMfaToken>);

impl ProvideMfaToken for SharedToken {
    fn mfa_token(&self) -> crate::params::MfaTokenFuture<'_> {
        self.0.mfa_token()
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
