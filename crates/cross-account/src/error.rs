//! The one error type of the crate.
//!
//! Every variant says what failed, for which role, and what to check. None of them ever holds a
//! secret: STS error messages carry no key material, and validation errors describe a value's
//! problem without echoing the value when it could be sensitive.

/// Everything that can go wrong while validating inputs or assuming a role.
///
/// Cloneable so the refresh engine can hand the same failure to every waiting reader.
///
/// # Examples
///
/// ```
/// use cross_account::{CrossAccountSession, Error};
///
/// let err = CrossAccountSession::builder()
///     .role_arn("arn:aws:iam::12345:role/Demo")
///     .build()
///     .unwrap_err();
/// match &err {
///     Error::InvalidParameter { field, .. } => assert_eq!(*field, "role_arn"),
///     other => panic!("unexpected {other}"),
/// }
/// assert!(!err.is_retryable());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An input failed validation before any network call.
    #[error("invalid {field}: {reason}")]
    InvalidParameter {
        /// The builder setter (or CLI flag / Python keyword) that received the bad value.
        field: &'static str,
        /// What is wrong, and the rule the value must follow.
        reason: String,
    },

    /// STS refused the AssumeRole call (HTTP 403, `AccessDenied`).
    #[error(
        "access denied assuming {role_arn}: {message}{}. {hint}",
        request_id_suffix(request_id)
    )]
    AccessDenied {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
        /// The STS request id, for AWS support.
        request_id: Option<String>,
        /// What to check.
        hint: String,
    },

    /// STS is not activated in the region that was called.
    #[error("STS is disabled in region {region} for the caller's account while assuming {role_arn}: {message}. Activate the region in IAM > Account settings, or call another region's STS endpoint")]
    RegionDisabled {
        /// The role that was asked for.
        role_arn: String,
        /// The region whose STS endpoint was called.
        region: String,
        /// The message STS returned.
        message: String,
    },

    /// The session policy was rejected by STS.
    #[error("STS rejected the session policy for {role_arn}: {message}. Check the JSON against the IAM policy grammar")]
    MalformedPolicy {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
    },

    /// The session policy, policy ARNs and tags together are too large once packed by STS.
    #[error("the session policy and tags for {role_arn} are too large once packed by STS: {message}. Shorten the inline policy, pass fewer policy ARNs or fewer session tags")]
    PackedPolicyTooLarge {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
    },

    /// The caller's own (source) credentials are expired or not valid.
    #[error("the source credentials used to assume {role_arn} were rejected: {message}. Refresh or fix the source credentials (environment, profile, SSO login, instance role)")]
    ExpiredSourceCredentials {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
    },

    /// STS throttled the call (`Throttling`, `RequestLimitExceeded`, HTTP 429).
    #[error("STS throttled the AssumeRole call for {role_arn}: {message}. Retrying with backoff; if it persists, fewer processes should assume the role (share one session per host)")]
    Throttled {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
    },

    /// STS could not be reached or answered with a server error, a timeout or a garbled body.
    #[error("STS is unavailable while assuming {role_arn}: {message}. Check network access to the STS endpoint; the call is retried with backoff")]
    Unavailable {
        /// The role that was asked for.
        role_arn: String,
        /// What happened (HTTP status, timeout, connection error).
        message: String,
    },

    /// No source credentials were found to sign the AssumeRole call.
    #[error("no source credentials to call STS with: {message}. Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, log in with `aws sso login`, or run where an instance or container role is available")]
    NoSourceCredentials {
        /// What the credential chain reported.
        message: String,
    },

    /// The held credentials are too close to expiry to hand out and no new ones could be obtained.
    #[error("the credentials for {role_arn} have expired or are about to, and no new ones could be obtained: {message}")]
    CredentialsExpired {
        /// The role that was asked for.
        role_arn: String,
        /// Why no fresh credentials are available (the last refresh failure).
        message: String,
    },

    /// Anything else STS or the SDK reported.
    #[error("assuming {role_arn} failed: {message}")]
    Other {
        /// The role that was asked for.
        role_arn: String,
        /// What was reported.
        message: String,
    },
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id})"),
        None => String::new(),
    }
}

impl Error {
    /// Whether trying again later may succeed without anyone changing anything.
    ///
    /// True for throttling and for an unavailable STS; false for refusals and invalid input,
    /// which the refresh engine still retries, but only on its slow backoff schedule.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::Error;
    /// # fn check(err: &Error) {
    /// if err.is_retryable() {
    ///     // back off and try again
    /// }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Throttled { .. } | Error::Unavailable { .. })
    }

    /// A short stable name of the error kind, for metrics, exit codes and language bindings.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::Error;
    /// let err = Error::InvalidParameter { field: "duration", reason: "too short".into() };
    /// assert_eq!(err.kind(), "invalid_parameter");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidParameter { .. } => "invalid_parameter",
            Error::AccessDenied { .. } => "access_denied",
            Error::RegionDisabled { .. } => "region_disabled",
            Error::MalformedPolicy { .. } => "malformed_policy",
            Error::PackedPolicyTooLarge { .. } => "packed_policy_too_large",
            Error::ExpiredSourceCredentials { .. } => "expired_source_credentials",
            Error::Throttled { .. } => "throttled",
            Error::Unavailable { .. } => "unavailable",
            Error::NoSourceCredentials { .. } => "no_source_credentials",
            Error::CredentialsExpired { .. } => "credentials_expired",
            Error::Other { .. } => "other",
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            field,
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of this crate.
///
/// # Examples
///
/// ```
/// fn parse(arn: &str) -> cross_account::Result<cross_account::RoleArn> {
///     arn.parse()
/// }
/// assert!(parse("arn:aws:iam::123456789012:role/R").is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
