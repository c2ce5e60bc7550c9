//! `TemporaryCredentials`: what AssumeRole returns, with the secret parts sealed.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::credential_feature::AwsCredentialFeature;
use secrecy::SecretString;

/// Provider name reported to the AWS SDK, visible in its debug logs.
pub(crate) const PROVIDER_NAME: &str = "CrossAccount";

/// Temporary credentials of an assumed role.
///
/// The secret access key and session token are [`SecretString`]s from the moment they are
/// parsed: `Debug` shows only the access key id and expiry, there is no `Display` and no
/// `Serialize`. Cloning shares one allocation, so handing credentials to many readers is an
/// atomic increment.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use secrecy::ExposeSecret;
/// use cross_account::TemporaryCredentials;
///
/// let creds = TemporaryCredentials::new(
///     "ASIAEXAMPLE",
///     "secret-key".to_string(),
///     "session-token".to_string(),
///     SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
///     "arn:aws:sts::123456789012:assumed-role/DemoRole/s",
/// );
/// assert_eq!(creds.access_key_id(), "ASIAEXAMPLE");
/// assert_eq!(creds.secret_access_key().expose_secret(), "secret-key");
/// assert!(!format!("{creds:?}").contains("secret-key"));
/// ```
#[derive(Clone)]
pub struct TemporaryCredentials(Arc<Inner>);

#[derive(Clone)]
struct Inner {
    access_key_id: String,
    secret_access_key: SecretString,
    session_token: SecretString,
    expiration: SystemTime,
    assumed_role_arn: String,
    assumed_role_id: Option<String>,
    account_id: Option<String>,
    // Built once, so an SDK client reading through `ProvideCredentials` gets a clone, not a copy.
    sdk: aws_credential_types::Credentials,
}

impl TemporaryCredentials {
    /// Assembles credentials. The secret parts move straight into [`SecretString`]s.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// let c = cross_account::TemporaryCredentials::new("AKID", "s".to_string(), "t".to_string(), SystemTime::now(), "arn:aws:sts::123456789012:assumed-role/R/x");
    /// assert_eq!(c.account_id(), Some("123456789012"));
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: String,
        session_token: String,
        expiration: SystemTime,
        assumed_role_arn: impl Into<String>,
    ) -> Self {
        let access_key_id = access_key_id.into();
        let assumed_role_arn = assumed_role_arn.into();
        let account_id = account_of(&assumed_role_arn);
        let mut sdk = aws_credential_types::Credentials::builder()
            .access_key_id(access_key_id.clone())
            .secret_access_key(secret_access_key.as_str())
            .session_token(session_token.as_str())
            .expiry(expiration)
            .provider_name(PROVIDER_NAME);
        if let Some(account) = &account_id {
            sdk = sdk.account_id(account.as_str());
        }
        let mut sdk = sdk.build();
        // The SDK reports which credential source signed a request (user-agent metrics), as
        // aws-config's own AssumeRoleProvider does.
        sdk.get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
            .push(AwsCredentialFeature::CredentialsStsAssumeRole);
        TemporaryCredentials(Arc::new(Inner {
            access_key_id,
            secret_access_key: SecretString::from(secret_access_key),
            session_token: SecretString::from(session_token),
            expiration,
            assumed_role_arn,
            assumed_role_id: None,
            account_id,
            sdk,
        }))
    }

    /// The same credentials with the `AssumedRoleUser.AssumedRoleId` STS returned
    /// (`AROA...:SESSION`), which `aws sts assume-role`-shaped output needs.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "");
    /// let c = c.with_assumed_role_id("AROAEXAMPLE:session");
    /// assert_eq!(c.assumed_role_id(), Some("AROAEXAMPLE:session"));
    /// ```
    pub fn with_assumed_role_id(self, id: impl Into<String>) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.0);
        inner.assumed_role_id = Some(id.into()).filter(|id| !id.is_empty());
        TemporaryCredentials(Arc::new(inner))
    }

    /// The unique id of the assumed-role session, `AROA...:SESSION`, when STS returned it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "");
    /// assert_eq!(c.assumed_role_id(), None);
    /// ```
    pub fn assumed_role_id(&self) -> Option<&str> {
        self.0.assumed_role_id.as_deref()
    }

    /// The access key id (`ASIA...`); not a secret.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "");
    /// assert!(c.access_key_id().starts_with("ASIA"));
    /// ```
    pub fn access_key_id(&self) -> &str {
        &self.0.access_key_id
    }

    /// The secret access key. Call `expose_secret()` only where you hand it over.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use secrecy::ExposeSecret;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "");
    /// let for_the_child_process = c.secret_access_key().expose_secret();
    /// # assert_eq!(for_the_child_process, "s");
    /// ```
    pub fn secret_access_key(&self) -> &SecretString {
        &self.0.secret_access_key
    }

    /// The session token. Call `expose_secret()` only where you hand it over.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use secrecy::ExposeSecret;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "");
    /// assert_eq!(c.session_token().expose_secret(), "t");
    /// ```
    pub fn session_token(&self) -> &SecretString {
        &self.0.session_token
    }

    /// When the credentials stop working.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # let at = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), at, "");
    /// assert_eq!(c.expiration(), at);
    /// ```
    pub fn expiration(&self) -> SystemTime {
        self.0.expiration
    }

    /// The assumed-role ARN, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "arn:aws:sts::123456789012:assumed-role/R/x");
    /// assert!(c.assumed_role_arn().contains(":assumed-role/R/"));
    /// ```
    pub fn assumed_role_arn(&self) -> &str {
        &self.0.assumed_role_arn
    }

    /// The account the role belongs to, read from the assumed-role ARN.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # let c = cross_account::TemporaryCredentials::new("ASIA1", "s".into(), "t".into(), SystemTime::now(), "bogus");
    /// assert_eq!(c.account_id(), None);
    /// ```
    pub fn account_id(&self) -> Option<&str> {
        self.0.account_id.as_deref()
    }
}

fn account_of(assumed_role_arn: &str) -> Option<String> {
    let account = crate::arn::split_arn(assumed_role_arn)?.account;
    crate::arn::is_account_id(account).then(|| account.to_string())
}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.0.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &"** redacted **")
            .field("expiration", &self.0.expiration)
            .field("assumed_role_arn", &self.0.assumed_role_arn)
            .finish()
    }
}

impl From<&TemporaryCredentials> for aws_credential_types::Credentials {
    fn from(c: &TemporaryCredentials) -> Self {
        c.0.sdk.clone()
    }
}

impl From<TemporaryCredentials> for aws_credential_types::Credentials {
    fn from(c: TemporaryCredentials) -> Self {
        c.0.sdk.clone()
    }
}

impl PartialEq for TemporaryCredentials {
    /// The same credentials: an access key id names one set of temporary credentials, so the
    /// secrets never need to be compared (or exposed) for this.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.access_key_id == other.0.access_key_id
                && self.0.expiration == other.0.expiration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "SENTINEL-SECRET-wJalrXUtnFEMI";
    const TOKEN: &str = "SENTINEL-TOKEN-FwoGZXIvYXdzEJr";

    fn creds() -> TemporaryCredentials {
        TemporaryCredentials::new(
            "ASIASENTINELKEY",
            SECRET.to_string(),
            TOKEN.to_string(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
            "arn:aws:sts::123456789012:assumed-role/DemoRole/s",
        )
    }

    #[test]
    fn debug_redacts_and_sdk_conversion_hands_over() {
        let c = creds();
        for text in [format!("{c:?}"), format!("{c:#?}")] {
            assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
            assert!(text.contains("ASIASENTINELKEY"));
        }
        let sdk: aws_credential_types::Credentials = (&c).into();
        assert_eq!(sdk.secret_access_key(), SECRET);
        assert_eq!(sdk.session_token(), Some(TOKEN));
        assert_eq!(sdk.expiry(), Some(c.expiration()));
        assert_eq!(sdk.account_id().map(|a| a.as_str()), Some("123456789012"));
        let sdk_debug = format!("{sdk:?}");
        assert!(
            !sdk_debug.contains(SECRET) && !sdk_debug.contains(TOKEN),
            "{sdk_debug}"
        );
    }

    #[test]
    fn clone_shares_the_allocation() {
        let c = creds();
        let d = c.clone();
        assert!(Arc::ptr_eq(&c.0, &d.0));
        assert_eq!(c, d);
    }
}
