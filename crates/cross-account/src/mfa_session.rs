//! `GetSessionToken` with an MFA code: temporary credentials of the source user that carry
//! `aws:MultiFactorAuthPresent`, so that one code serves every AssumeRole that names the same
//! MFA device for their lifetime (what aws-vault does). The caller keeps and reuses them (the
//! CLI in its 0600 cache) and hands them to each role's session as source credentials.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;

use crate::arn::RoleArn;
use crate::credentials::TemporaryCredentials;
use crate::error::Error;
use crate::params::{
    MfaDevice, PolicyArns, ProvideMfaToken, SessionDuration, SessionName, SessionTags,
};
use crate::sts::{classify, AssumeRoleInput, StsAssumer, StsSource};

/// GetSessionToken accepts 15 minutes to 36 hours for IAM users.
const MIN_DURATION: Duration = Duration::from_secs(900);
const MAX_DURATION: Duration = Duration::from_secs(129_600);
/// aws-vault's default: long enough for a working session, short enough for a cached secret.
const DEFAULT_DURATION: Duration = Duration::from_secs(3600);

/// One `GetSessionToken` call with an MFA code, signed by the long-term source credentials
/// (environment, profile). Built like a [`CrossAccountSession`](crate::CrossAccountSession):
/// `build()` validates and does no I/O.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), cross_account::Error> {
/// use std::time::Duration;
/// use cross_account::{CrossAccountSession, MfaSession};
///
/// let mfa = MfaSession::builder()
///     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
///     .mfa("arn:aws:iam::999999999999:mfa/alice", || Ok("123456".to_string()))
///     .duration(Duration::from_secs(3600))
///     .build()?;
/// let session_token = mfa.get_session_token().await?;
/// // Each role that needs this MFA device now signs AssumeRole with `session_token`
/// // (as an SdkConfig's credentials provider), and no code is asked for again.
/// # let _ = session_token;
/// # Ok(())
/// # }
/// ```
pub struct MfaSession {
    sts: StsAssumer,
    duration: Duration,
}

impl fmt::Debug for MfaSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaSession")
            .field("mfa", &self.sts.input().mfa)
            .field("duration", &self.duration.as_secs())
            .finish_non_exhaustive()
    }
}

/// Builds an [`MfaSession`].
#[derive(Default)]
pub struct MfaSessionBuilder {
    role_arn: Option<String>,
    mfa: Option<Result<MfaDevice, Error>>,
    duration: Option<Duration>,
    region: Option<String>,
    endpoint_url: Option<String>,
    profile: Option<String>,
    sdk_config: Option<SdkConfig>,
}

impl MfaSession {
    /// A builder.
    pub fn builder() -> MfaSessionBuilder {
        MfaSessionBuilder::default()
    }

    /// The MFA device's serial number or ARN.
    ///
    /// # Examples
    ///
    /// ```
    /// let mfa = cross_account::MfaSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .mfa("arn:aws:iam::123456789012:mfa/alice", || Ok("123456".into()))
    ///     .build()?;
    /// assert_eq!(mfa.serial(), "arn:aws:iam::123456789012:mfa/alice");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn serial(&self) -> &str {
        self.sts
            .input()
            .mfa
            .as_ref()
            .map(MfaDevice::serial)
            .unwrap_or_default()
    }

    /// How long the session token is asked to last.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Asks the token provider for a code and calls `GetSessionToken`. Errors name the role
    /// the session is for, so a refusal (a wrong or reused code) reads in its context.
    pub async fn get_session_token(&self) -> Result<TemporaryCredentials, Error> {
        let (client, region) = self.sts.client().await?;
        let input = self.sts.input();
        let mfa = input
            .mfa
            .as_ref()
            .ok_or_else(|| Error::invalid("mfa", "is required for an MFA session"))?;
        let code = mfa.token().await?;
        let out = client
            .get_session_token()
            .serial_number(mfa.serial())
            .token_code(code.as_str())
            .duration_seconds(self.duration.as_secs() as i32)
            .send()
            .await
            .map_err(|e| refused_code_hint(classify(e, input, region), mfa.serial()))?;
        let role = input.role_arn.to_string();
        let creds = out.credentials().ok_or_else(|| {
            Error::unavailable(&role, "STS answered GetSessionToken without credentials")
        })?;
        if creds.access_key_id().is_empty()
            || creds.secret_access_key().is_empty()
            || creds.session_token().is_empty()
        {
            return Err(Error::unavailable(
                &role,
                "STS answered GetSessionToken with an empty key or token",
            ));
        }
        let expiration = SystemTime::try_from(*creds.expiration())
            .ok()
            .filter(|t| *t > SystemTime::UNIX_EPOCH)
            .ok_or_else(|| {
                Error::unavailable(
                    &role,
                    "STS answered GetSessionToken without a usable expiration",
                )
            })?;
        // A user's session: there is no assumed-role ARN.
        Ok(TemporaryCredentials::new(
            creds.access_key_id(),
            creds.secret_access_key().to_string(),
            creds.session_token().to_string(),
            expiration,
            "",
        ))
    }
}

/// A refused GetSessionToken is about the code and the device, not the role's trust policy.
fn refused_code_hint(err: Error, serial: &str) -> Error {
    match err {
        Error::AccessDenied {
            role_arn,
            message,
            code,
            request_id,
            source,
            ..
        } => Error::AccessDenied {
            role_arn,
            message,
            code,
            request_id,
            source,
            hint: format!(
                "GetSessionToken with MFA device {serial} was refused. Check that (1) the code is the device's current one and was not used before (each code works once); (2) {serial} is an MFA device of the user whose long-term keys sign the call; (3) those are an IAM user's long-term keys: temporary credentials cannot call GetSessionToken"
            )
            .into(),
        },
        other => other,
    }
}

impl MfaSessionBuilder {
    /// The role the session token will be used for (its partition picks the default region;
    /// errors name it). Required.
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }

    /// The MFA device and a synchronous code source (run on tokio's blocking pool). Required,
    /// or [`mfa_device`](Self::mfa_device).
    pub fn mfa(
        mut self,
        serial: impl Into<String>,
        token: impl Fn() -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.mfa = Some(MfaDevice::new(serial, token));
        self
    }

    /// The MFA device with an asynchronous code source.
    pub fn mfa_provider(
        mut self,
        serial: impl Into<String>,
        provider: impl ProvideMfaToken,
    ) -> Self {
        self.mfa = Some(MfaDevice::from_provider(serial, provider));
        self
    }

    /// An MFA device built elsewhere.
    pub fn mfa_device(mut self, device: MfaDevice) -> Self {
        self.mfa = Some(Ok(device));
        self
    }

    /// How long the session token lasts: 15 minutes to 36 hours (default 1 hour).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The region whose STS endpoint is called (as for the role's session).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom STS endpoint (as for the role's session).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The named profile of the long-term source credentials.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Source credentials, region and endpoint from an SDK config.
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.sdk_config = Some(config.clone());
        self
    }

    /// Validates everything; no I/O.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = cross_account::MfaSession::builder()
    ///     .role_arn("arn:aws:iam::123456789012:role/R")
    ///     .mfa("arn:aws:iam::123456789012:mfa/alice", || Ok("123456".into()))
    ///     .duration(Duration::from_secs(60))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.field(), Some("mfa_session_duration"));
    /// ```
    pub fn build(self) -> Result<MfaSession, Error> {
        let role_arn = RoleArn::new(
            self.role_arn
                .ok_or_else(|| Error::invalid("role_arn", "is required"))?,
        )?;
        let mfa = self
            .mfa
            .ok_or_else(|| Error::invalid("mfa", "is required for an MFA session"))??;
        let duration = self.duration.unwrap_or(DEFAULT_DURATION);
        if duration < MIN_DURATION || duration > MAX_DURATION || duration.subsec_nanos() != 0 {
            return Err(Error::invalid(
                "mfa_session_duration",
                format!(
                    "must be whole seconds from 900 (15 min) to 129600 (36 h), but it is {:?}",
                    duration
                ),
            ));
        }
        // The same checks the role's session applies to these two.
        let probe = crate::SessionOptions {
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            ..crate::SessionOptions::new(role_arn.to_string())
        };
        crate::CrossAccountSession::builder()
            .options(probe)
            .build()?;
        let input = AssumeRoleInput {
            role_arn,
            external_id: None,
            session_name: SessionName::default_at(SystemTime::now()),
            duration: SessionDuration::default(),
            policy: None,
            policy_arns: PolicyArns::default(),
            tags: SessionTags::default(),
            source_identity: None,
            mfa: Some(mfa),
        };
        let source = StsSource {
            sdk_config: self.sdk_config,
            profile: self.profile,
            credential_source: None,
            profile_files: crate::profile::SharedConfigFiles::from_env(),
            region: self.region,
            endpoint_url: self.endpoint_url,
            first_hop: None,
            time_source: None,
            sleep_impl: None,
        };
        Ok(MfaSession {
            sts: StsAssumer::new(input, source),
            duration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> MfaSessionBuilder {
        MfaSession::builder()
            .role_arn("arn:aws:iam::123456789012:role/R")
            .mfa(
                "arn:aws:iam::123456789012:mfa/alice",
                || Ok("123456".into()),
            )
    }

    #[test]
    fn validates_before_any_call() {
        let ok = builder()
            .duration(Duration::from_secs(900))
            .build()
            .unwrap();
        assert_eq!(ok.serial(), "arn:aws:iam::123456789012:mfa/alice");
        assert_eq!(ok.duration(), Duration::from_secs(900));
        assert_eq!(builder().build().unwrap().duration(), DEFAULT_DURATION);
        for bad in [899, 129_601] {
            let err = builder()
                .duration(Duration::from_secs(bad))
                .build()
                .unwrap_err();
            assert_eq!(err.field(), Some("mfa_session_duration"), "{bad}");
        }
        let err = builder().region("Not A Region").build().unwrap_err();
        assert_eq!(err.field(), Some("region"));
        let err = MfaSession::builder()
            .role_arn("arn:aws:iam::123456789012:role/R")
            .build()
            .unwrap_err();
        assert_eq!(err.field(), Some("mfa"));
        let err = MfaSession::builder()
            .role_arn("arn:aws:iam::123456789012:role/R")
            .mfa("no", || Ok("123456".into()))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), Some("mfa"));
        let debug = format!("{ok:?}");
        assert!(
            debug.contains("alice") && !debug.contains("123456\""),
            "{debug}"
        );
    }
}
