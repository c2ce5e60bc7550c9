//! The one error type of the crate.
//!
//! Every variant says what failed, for which role, and what to check. None of them ever holds a
//! secret: STS error messages carry no key material, and validation errors describe a value's
//! problem without echoing the value when it could be sensitive.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// The underlying failure an [`Error`] came from (an SDK error, a source-provider error, an
/// MFA token provider's error, or the refresh failure behind [`Error::CredentialsExpired`]).
///
/// Shared behind an `Arc`, so one failure can be handed to every reader that waited for it.
pub type ErrorSource = Arc<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong while validating inputs or assuming a role.
///
/// Cloning is cheap (the [`source`](StdError::source) is shared), so the refresh engine hands
/// the same failure to every waiting reader. Variants that come from STS carry its error
/// [`code`](Error::code) and [`request_id`](Error::request_id).
///
/// # Examples
///
/// ```
/// use cross_account::{CrossAccountSession, Error, ErrorKind};
///
/// let err = CrossAccountSession::builder()
///     .role_arn("arn:aws:iam::12345:role/Demo")
///     .build()
///     .unwrap_err();
/// match &err {
///     Error::InvalidParameter { field, .. } => assert_eq!(*field, "role_arn"),
///     other => panic!("unexpected {other}"),
/// }
/// assert_eq!(err.kind(), ErrorKind::InvalidParameter);
/// assert!(!err.is_retryable());
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub enum Error {
    /// An input failed validation before any network call.
    #[non_exhaustive]
    InvalidParameter {
        /// The builder setter (or CLI flag / Python keyword) that received the bad value.
        field: &'static str,
        /// What is wrong, and the rule the value must follow.
        reason: String,
        /// What failed underneath (an MFA token provider's own error, for example).
        source: Option<ErrorSource>,
    },

    /// STS refused the AssumeRole call (HTTP 403, `AccessDenied`).
    #[non_exhaustive]
    AccessDenied {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
        /// The STS error code, when the answer had one.
        code: Option<Box<str>>,
        /// The STS request id, for AWS support.
        request_id: Option<Box<str>>,
        /// What to check.
        hint: Box<str>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },

    /// STS is not activated in the region that was called.
    #[non_exhaustive]
    RegionDisabled {
        /// The role that was asked for.
        role_arn: String,
        /// The region whose STS endpoint was called.
        region: Box<str>,
        /// The message STS returned.
        message: String,
        /// The STS error code.
        code: Option<Box<str>>,
        /// The STS request id.
        request_id: Option<Box<str>>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },

    /// The session policy was rejected by STS.
    #[non_exhaustive]
    MalformedPolicy {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
        /// The STS error code.
        code: Option<Box<str>>,
        /// The STS request id.
        request_id: Option<Box<str>>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },

    /// The session policy, policy ARNs and tags together are too large once packed by STS.
    #[non_exhaustive]
    PackedPolicyTooLarge {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
        /// The STS error code.
        code: Option<Box<str>>,
        /// The STS request id.
        request_id: Option<Box<str>>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },

    /// The caller's own (source) credentials are expired, not valid, or misconfigured: trying
    /// again without a change will not help.
    #[non_exhaustive]
    ExpiredSourceCredentials {
        /// The role that was asked for.
        role_arn: String,
        /// What STS or the source credentials provider reported.
        message: String,
        /// The STS error code, when STS refused the source credentials.
        code: Option<Box<str>>,
        /// The STS request id, when STS refused the source credentials.
        request_id: Option<Box<str>>,
        /// The SDK or source-provider error.
        source: Option<ErrorSource>,
    },

    /// The source credentials could not be obtained right now (a timeout or server error of
    /// the instance metadata service, the container endpoint, SSO, or the first hop of a role
    /// chain). Retryable.
    #[non_exhaustive]
    SourceUnavailable {
        /// The role that was asked for.
        role_arn: String,
        /// What the source credentials provider reported.
        message: String,
        /// The source-provider error (for a role chain: the first hop's [`Error`]).
        source: Option<ErrorSource>,
    },

    /// STS throttled the call (`Throttling`, `RequestLimitExceeded`, HTTP 429).
    #[non_exhaustive]
    Throttled {
        /// The role that was asked for.
        role_arn: String,
        /// The message STS returned.
        message: String,
        /// The STS error code.
        code: Option<Box<str>>,
        /// The STS request id.
        request_id: Option<Box<str>>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },

    /// STS could not be reached or answered with a server error, a timeout or a garbled body.
    #[non_exhaustive]
    Unavailable {
        /// The role that was asked for.
        role_arn: String,
        /// What happened (HTTP status, timeout, connection error).
        message: String,
        /// The STS error code, when the answer had one.
        code: Option<Box<str>>,
        /// The STS request id, when the answer had one.
        request_id: Option<Box<str>>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },

    /// No source credentials were found to sign the AssumeRole call.
    #[non_exhaustive]
    NoSourceCredentials {
        /// What the credential chain reported.
        message: String,
        /// The credential chain's error.
        source: Option<ErrorSource>,
    },

    /// The held credentials are too close to expiry to hand out and no new ones could be obtained.
    #[non_exhaustive]
    CredentialsExpired {
        /// The role that was asked for.
        role_arn: String,
        /// Why no fresh credentials are available.
        message: String,
        /// The last refresh failure, when there was one.
        source: Option<ErrorSource>,
    },

    /// Anything else STS or the SDK reported.
    #[non_exhaustive]
    Other {
        /// The role that was asked for.
        role_arn: String,
        /// What was reported.
        message: String,
        /// The STS error code, when the answer had one.
        code: Option<Box<str>>,
        /// The STS request id, when the answer had one.
        request_id: Option<Box<str>>,
        /// The SDK error.
        source: Option<ErrorSource>,
    },
}

/// The kind of an [`Error`], for metrics, exit codes and language bindings.
///
/// # Examples
///
/// ```
/// use cross_account::ErrorKind;
/// assert_eq!(ErrorKind::AccessDenied.as_str(), "access_denied");
/// assert_eq!(ErrorKind::Throttled.to_string(), "throttled");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// [`Error::InvalidParameter`]
    InvalidParameter,
    /// [`Error::AccessDenied`]
    AccessDenied,
    /// [`Error::RegionDisabled`]
    RegionDisabled,
    /// [`Error::MalformedPolicy`]
    MalformedPolicy,
    /// [`Error::PackedPolicyTooLarge`]
    PackedPolicyTooLarge,
    /// [`Error::ExpiredSourceCredentials`]
    ExpiredSourceCredentials,
    /// [`Error::SourceUnavailable`]
    SourceUnavailable,
    /// [`Error::Throttled`]
    Throttled,
    /// [`Error::Unavailable`]
    Unavailable,
    /// [`Error::NoSourceCredentials`]
    NoSourceCredentials,
    /// [`Error::CredentialsExpired`]
    CredentialsExpired,
    /// [`Error::Other`]
    Other,
}

impl ErrorKind {
    /// A short stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameter => "invalid_parameter",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::RegionDisabled => "region_disabled",
            ErrorKind::MalformedPolicy => "malformed_policy",
            ErrorKind::PackedPolicyTooLarge => "packed_policy_too_large",
            ErrorKind::ExpiredSourceCredentials => "expired_source_credentials",
            ErrorKind::SourceUnavailable => "source_unavailable",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::NoSourceCredentials => "no_source_credentials",
            ErrorKind::CredentialsExpired => "credentials_expired",
            ErrorKind::Other => "other",
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Unavailable | ErrorKind::SourceUnavailable
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rid = |id: &Option<Box<str>>| match id {
            Some(id) => format!(" (request id {id})"),
            None => String::new(),
        };
        match self {
            Error::InvalidParameter { field, reason, .. } => write!(f, "invalid {field}: {reason}"),
            Error::AccessDenied { role_arn, message, request_id, hint, .. } => write!(
                f,
                "access denied assuming {role_arn}: {}{}. {hint}",
                sentence(message),
                rid(request_id)
            ),
            Error::RegionDisabled { role_arn, region, message, .. } => write!(
                f,
                "STS is disabled in region {region} for the caller's account while assuming {role_arn}: {}. Activate the region in IAM > Account settings, or call another region's STS endpoint",
                sentence(message)
            ),
            Error::MalformedPolicy { role_arn, message, .. } => write!(
                f,
                "STS rejected the session policy for {role_arn}: {}. Check the JSON against the IAM policy grammar",
                sentence(message)
            ),
            Error::PackedPolicyTooLarge { role_arn, message, .. } => write!(
                f,
                "the session policy and tags for {role_arn} are too large once packed by STS: {}. Shorten the inline policy, pass fewer policy ARNs or fewer session tags",
                sentence(message)
            ),
            Error::ExpiredSourceCredentials { role_arn, message, request_id, .. } => write!(
                f,
                "the source credentials used to assume {role_arn} were rejected: {}{}. Refresh or fix the source credentials (environment, profile, SSO login, instance role)",
                sentence(message),
                rid(request_id)
            ),
            Error::SourceUnavailable { role_arn, message, .. } => write!(
                f,
                "the source credentials used to assume {role_arn} could not be obtained: {}. This is usually temporary (instance metadata, container endpoint, SSO, or the first role of a chain)",
                sentence(message)
            ),
            Error::Throttled { role_arn, message, request_id, .. } => write!(
                f,
                "STS throttled the AssumeRole call for {role_arn}: {}{}. If it persists, fewer processes should assume the role (share one session per host)",
                sentence(message),
                rid(request_id)
            ),
            Error::Unavailable { role_arn, message, request_id, .. } => write!(
                f,
                "STS is unavailable while assuming {role_arn}: {}{}. Check network access to the STS endpoint",
                sentence(message),
                rid(request_id)
            ),
            Error::NoSourceCredentials { message, .. } => write!(
                f,
                "no source credentials to call STS with: {}. Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, log in with `aws sso login`, or run where an instance or container role is available",
                sentence(message)
            ),
            Error::CredentialsExpired { role_arn, message, .. } => write!(
                f,
                "the credentials for {role_arn} have expired or are about to, and no new ones could be obtained: {}",
                sentence(message)
            ),
            Error::Other { role_arn, message, request_id, .. } => {
                write!(f, "assuming {role_arn} failed: {}{}", sentence(message), rid(request_id))
            }
        }
    }
}

/// A message placed before ". Next sentence": without its own final period, so the text never
/// reads "..".
fn sentence(message: &str) -> &str {
    message.trim_end().trim_end_matches('.')
}

/// The fields, and the source by its message only: a source's own `Debug` (an SDK error with
/// its raw HTTP response) is never printed through this one.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ErrorKind's derived Debug is the variant's name.
        let name = format!("{:?}", self.kind());
        let mut d = f.debug_struct(&name);
        if let Some(field) = self.field() {
            d.field("field", &field);
        }
        if let Some(role_arn) = self.role_arn() {
            d.field("role_arn", &role_arn);
        }
        if let Error::RegionDisabled { region, .. } = self {
            d.field("region", region);
        }
        d.field("message", &self.message());
        if let Some(code) = self.code() {
            d.field("code", &code);
        }
        if let Some(request_id) = self.request_id() {
            d.field("request_id", &request_id);
        }
        if let Some(hint) = self.hint() {
            d.field("hint", &hint);
        }
        if let Some(source) = self.source_ref() {
            d.field("source", &source.to_string());
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source_ref().map(|s| &**s as &(dyn StdError + 'static))
    }
}

impl Error {
    /// Whether trying again later may succeed without anyone changing anything.
    ///
    /// True for throttling, an unavailable STS and unavailable source credentials; false for
    /// refusals and invalid input, which the refresh engine still retries, but only on its
    /// backoff schedule.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The kind of error.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::{Error, ErrorKind};
    /// let err = Error::invalid_parameter("duration", "too short");
    /// assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    /// assert_eq!(err.kind().as_str(), "invalid_parameter");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.fields().kind
    }

    /// The role the failed call was for, when the error concerns one.
    pub fn role_arn(&self) -> Option<&str> {
        self.fields().role_arn
    }

    /// What STS, the SDK or the source provider reported (`reason` for invalid input).
    pub fn message(&self) -> &str {
        self.fields().message
    }

    /// The STS error code (`AccessDenied`, `Throttling`, ...), when STS answered with one.
    pub fn code(&self) -> Option<&str> {
        self.fields().code
    }

    /// The STS request id, for AWS support, when STS answered.
    pub fn request_id(&self) -> Option<&str> {
        self.fields().request_id
    }

    /// The field (setter, flag, keyword) of an [`Error::InvalidParameter`].
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidParameter { field, .. } => Some(field),
            _ => None,
        }
    }

    /// What to check, for an [`Error::AccessDenied`].
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::AccessDenied { hint, .. } => Some(hint),
            _ => None,
        }
    }

    /// The underlying error, shared.
    pub fn source_ref(&self) -> Option<&ErrorSource> {
        self.fields().source.as_ref()
    }

    /// An [`Error::InvalidParameter`] for `field`: what is wrong, and the rule.
    ///
    /// For the faces (CLI flags, Python keywords) that validate a value of their own.
    pub fn invalid_parameter(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            field,
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::invalid_parameter(field, reason)
    }

    /// Attaches the underlying error (replacing any).
    pub(crate) fn with_source(mut self, cause: ErrorSource) -> Self {
        let (Error::InvalidParameter { source, .. }
        | Error::AccessDenied { source, .. }
        | Error::RegionDisabled { source, .. }
        | Error::MalformedPolicy { source, .. }
        | Error::PackedPolicyTooLarge { source, .. }
        | Error::ExpiredSourceCredentials { source, .. }
        | Error::SourceUnavailable { source, .. }
        | Error::Throttled { source, .. }
        | Error::Unavailable { source, .. }
        | Error::NoSourceCredentials { source, .. }
        | Error::CredentialsExpired { source, .. }
        | Error::Other { source, .. }) = &mut self;
        *source = Some(cause);
        self
    }

    /// The variant's fields by reference: the one match every accessor reads from, so a new
    /// variant is handled in one place.
    fn fields(&self) -> Fields<'_> {
        use ErrorKind as K;
        match self {
            Error::InvalidParameter { reason, source, .. } => {
                Fields::local(K::InvalidParameter, None, reason, source)
            }
            Error::AccessDenied {
                role_arn,
                message,
                code,
                request_id,
                source,
                ..
            } => Fields::sts(K::AccessDenied, role_arn, message, code, request_id, source),
            Error::RegionDisabled {
                role_arn,
                message,
                code,
                request_id,
                source,
                ..
            } => Fields::sts(
                K::RegionDisabled,
                role_arn,
                message,
                code,
                request_id,
                source,
            ),
            Error::MalformedPolicy {
                role_arn,
                message,
                code,
                request_id,
                source,
            } => Fields::sts(
                K::MalformedPolicy,
                role_arn,
                message,
                code,
                request_id,
                source,
            ),
            Error::PackedPolicyTooLarge {
                role_arn,
                message,
                code,
                request_id,
                source,
            } => Fields::sts(
                K::PackedPolicyTooLarge,
                role_arn,
                message,
                code,
                request_id,
                source,
            ),
            Error::ExpiredSourceCredentials {
                role_arn,
                message,
                code,
                request_id,
                source,
            } => Fields::sts(
                K::ExpiredSourceCredentials,
                role_arn,
                message,
                code,
                request_id,
                source,
            ),
            Error::SourceUnavailable {
                role_arn,
                message,
                source,
            } => Fields::local(K::SourceUnavailable, Some(role_arn), message, source),
            Error::Throttled {
                role_arn,
                message,
                code,
                request_id,
                source,
            } => Fields::sts(K::Throttled, role_arn, message, code, request_id, source),
            Error::Unavailable {
                role_arn,
                message,
                code,
                request_id,
                source,
            } => Fields::sts(K::Unavailable, role_arn, message, code, request_id, source),
            Error::NoSourceCredentials { message, source } => {
                Fields::local(K::NoSourceCredentials, None, message, source)
            }
            Error::CredentialsExpired {
                role_arn,
                message,
                source,
            } => Fields::local(K::CredentialsExpired, Some(role_arn), message, source),
            Error::Other {
                role_arn,
                message,
                code,
                request_id,
                source,
            } => Fields::sts(K::Other, role_arn, message, code, request_id, source),
        }
    }

    pub(crate) fn unavailable(role_arn: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Unavailable {
            role_arn: role_arn.into(),
            message: message.into(),
            code: None,
            request_id: None,
            source: None,
        }
    }

    pub(crate) fn other(role_arn: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Other {
            role_arn: role_arn.into(),
            message: message.into(),
            code: None,
            request_id: None,
            source: None,
        }
    }
}

/// What every variant has, or has not, by reference.
struct Fields<'a> {
    kind: ErrorKind,
    role_arn: Option<&'a str>,
    message: &'a str,
    code: Option<&'a str>,
    request_id: Option<&'a str>,
    source: &'a Option<ErrorSource>,
}

impl<'a> Fields<'a> {
    /// A variant that STS's answer can fill: code and request id.
    fn sts(
        kind: ErrorKind,
        role_arn: &'a str,
        message: &'a str,
        code: &'a Option<Box<str>>,
        request_id: &'a Option<Box<str>>,
        source: &'a Option<ErrorSource>,
    ) -> Self {
        Fields {
            kind,
            role_arn: Some(role_arn),
            message,
            code: code.as_deref(),
            request_id: request_id.as_deref(),
            source,
        }
    }

    /// A variant raised before or without an STS answer.
    fn local(
        kind: ErrorKind,
        role_arn: Option<&'a str>,
        message: &'a str,
        source: &'a Option<ErrorSource>,
    ) -> Self {
        Fields {
            kind,
            role_arn,
            message,
            code: None,
            request_id: None,
            source,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_enough_to_return_by_value() {
        assert!(
            std::mem::size_of::<Error>() < 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn messages_never_double_their_periods() {
        let err = Error::unavailable("arn:aws:iam::123456789012:role/R", "HTTP 503: Slow down.");
        let text = err.to_string();
        assert!(!text.contains(".."), "{text}");
        assert!(text.contains("Slow down. Check network"), "{text}");
    }

    #[test]
    fn source_is_the_attached_error_and_downcasts() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline");
        let err = Error::unavailable("arn:aws:iam::123456789012:role/R", "timed out")
            .with_source(Arc::new(io));
        let src = StdError::source(&err).expect("a source");
        assert!(src.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(err.clone().kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn retryable_kinds() {
        let retryable: Vec<_> = [
            ErrorKind::InvalidParameter,
            ErrorKind::AccessDenied,
            ErrorKind::SourceUnavailable,
            ErrorKind::Throttled,
            ErrorKind::Unavailable,
            ErrorKind::ExpiredSourceCredentials,
        ]
        .into_iter()
        .filter(|k| k.is_retryable())
        .collect();
        assert_eq!(
            retryable,
            [
                ErrorKind::SourceUnavailable,
                ErrorKind::Throttled,
                ErrorKind::Unavailable
            ]
        );
    }
}
