use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::{Error, ErrorSource};
use crate::validate::{check_chars, check_len};

const SERIAL_FIELD: &str = "mfa";

/// The error a token provider may return: anything, kept as the [`Error`]'s source.
pub type MfaTokenError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What [`ProvideMfaToken::mfa_token`] returns.
pub type MfaTokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<String, MfaTokenError>> + Send + 'a>>;

/// Where the current MFA code comes from. Asynchronous, so a prompt or a call to another
/// service never holds a runtime thread.
///
/// # Examples
///
/// ```
/// use cross_account::{MfaDevice, MfaTokenFuture, ProvideMfaToken};
///
/// struct FromVault;
/// impl ProvideMfaToken for FromVault {
///     fn mfa_token(&self) -> MfaTokenFuture<'_> {
///         Box::pin(async { Ok("123456".to_string()) })
///     }
/// }
/// let mfa = MfaDevice::from_provider("arn:aws:iam::123456789012:mfa/alice", FromVault)?;
/// # let _ = mfa;
/// # Ok::<(), cross_account::Error>(())
/// ```
pub trait ProvideMfaToken: Send + Sync + 'static {
    /// The current 6-digit code, or why there is none.
    fn mfa_token(&self) -> MfaTokenFuture<'_>;
}

/// A synchronous callback, run on tokio's blocking pool so it never stalls a runtime thread.
struct Blocking<F>(Arc<F>);

impl<F> ProvideMfaToken for Blocking<F>
where
    F: Fn() -> Result<String, MfaTokenError> + Send + Sync + 'static,
{
    fn mfa_token(&self) -> MfaTokenFuture<'_> {
        let f = self.0.clone();
        Box::pin(async move {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => handle
                    .spawn_blocking(move || f())
                    .await
                    .unwrap_or_else(|join| {
                        Err(format!("the MFA token callback panicked: {join}").into())
                    }),
                // Outside a runtime there is no thread to keep free.
                Err(_) => f(),
            }
        })
    }
}

/// A synchronous callback as a provider (run on tokio's blocking pool).
pub(crate) fn blocking_token<F>(f: F) -> Arc<dyn ProvideMfaToken>
where
    F: Fn() -> Result<String, MfaTokenError> + Send + Sync + 'static,
{
    Arc::new(Blocking(Arc::new(f)))
}

/// An MFA device (`SerialNumber`) and where its current code comes from (`TokenCode`).
///
/// The code is asked for at each AssumeRole call, background refreshes included (as botocore
/// prompts at refresh), because a code is only good once and only for about 30 seconds. The
/// provider runs off the runtime's threads: a slow prompt delays that one refresh, never
/// other tasks, and readers keep getting the held credentials meanwhile.
///
/// # Examples
///
/// ```
/// use cross_account::MfaDevice;
///
/// let mfa = MfaDevice::new("arn:aws:iam::123456789012:mfa/alice", || Ok("123456".to_string()))?;
/// assert_eq!(mfa.serial(), "arn:aws:iam::123456789012:mfa/alice");
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone)]
pub struct MfaDevice {
    serial: String,
    token_source: Arc<dyn ProvideMfaToken>,
}

impl MfaDevice {
    /// A device by its serial number or ARN (9 to 256 characters of `[\w+=/:,.@-]`) and a
    /// synchronous callback that returns the current 6-digit code, or why it cannot. The
    /// callback runs on tokio's blocking pool.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::MfaDevice::new("GAHT12345678", || Ok("000000".into())).is_ok());
    /// assert!(cross_account::MfaDevice::new("short", || Ok("000000".into())).is_err());
    /// ```
    pub fn new(
        serial: impl Into<String>,
        token_source: impl Fn() -> Result<String, String> + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        Self::blocking(serial, move || token_source().map_err(MfaTokenError::from))
    }

    /// Like [`new`](Self::new), with a callback whose error is kept as the source of the
    /// resulting [`Error`] (a language binding's exception, an I/O error).
    pub fn blocking(
        serial: impl Into<String>,
        token_source: impl Fn() -> Result<String, MfaTokenError> + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        Self::from_provider(serial, Blocking(Arc::new(token_source)))
    }

    /// A device whose code comes from an asynchronous provider.
    pub fn from_provider(
        serial: impl Into<String>,
        provider: impl ProvideMfaToken,
    ) -> Result<Self, Error> {
        let serial = serial.into();
        validate_serial(&serial)?;
        Ok(MfaDevice {
            serial,
            token_source: Arc::new(provider),
        })
    }

    /// The serial number or ARN.
    ///
    /// # Examples
    ///
    /// ```
    /// let mfa = cross_account::MfaDevice::new("GAHT12345678", || Ok("000000".into()))?;
    /// assert_eq!(mfa.serial(), "GAHT12345678");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Asks the provider for the current code and checks it is exactly 6 digits. A failing
    /// provider gives [`Error::InvalidParameter`] for `mfa_token` with the provider's error as
    /// its source.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn demo() -> Result<(), cross_account::Error> {
    /// let mfa = cross_account::MfaDevice::new("GAHT12345678", || Ok("12345".into()))?;
    /// assert!(mfa.token().await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn token(&self) -> Result<MfaToken, Error> {
        let code = self.token_source.mfa_token().await.map_err(|why| {
            let source: ErrorSource = Arc::from(why);
            Error::invalid(
                "mfa_token",
                format!("the MFA token provider failed: {source}"),
            )
            .with_source(source)
        })?;
        MfaToken::new(code)
    }
}

/// The serial-number rule, shared by [`MfaDevice`] and the plain options.
pub(crate) fn validate_serial(serial: &str) -> Result<(), Error> {
    check_len(SERIAL_FIELD, serial, 9, 256)?;
    check_chars(
        SERIAL_FIELD,
        serial,
        |c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '+' | '=' | '/' | ':' | ',' | '.' | '@' | '-')
        },
        "ASCII letters, digits and _+=/:,.@-",
        true,
    )
}

impl fmt::Debug for MfaDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaDevice")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// A one-time MFA code: exactly 6 ASCII digits. Never shown by `Debug` or in errors.
///
/// # Examples
///
/// ```
/// use cross_account::MfaToken;
/// let t = MfaToken::new("123456")?;
/// assert_eq!(format!("{t:?}"), "MfaToken(******)");
/// assert!(MfaToken::new("12345a").is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MfaToken(String);

impl MfaToken {
    /// Validates a code.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::MfaToken::new("000000").is_ok());
    /// ```
    pub fn new(code: impl Into<String>) -> Result<Self, Error> {
        let code = code.into();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "mfa_token",
                format!(
                    "must be exactly 6 digits, but the given code has {} characters{}",
                    code.chars().count(),
                    if code.chars().all(|c| c.is_ascii_digit()) {
                        ""
                    } else {
                        " and not only digits"
                    }
                ),
            ));
        }
        Ok(MfaToken(code))
    }

    /// The code, as sent in `TokenCode`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cross_account::MfaToken::new("654321")?.as_str(), "654321");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MfaToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaToken(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn serial_bounds_and_token_asked_each_time() {
        assert!(MfaDevice::new("a".repeat(9), || Ok("000000".into())).is_ok());
        assert!(MfaDevice::new("a".repeat(8), || Ok("000000".into())).is_err());
        assert!(MfaDevice::new("a".repeat(256), || Ok("000000".into())).is_ok());
        assert!(MfaDevice::new("a".repeat(257), || Ok("000000".into())).is_err());
        assert!(MfaDevice::new("arn:aws:iam::1:mfa/a b", || Ok("000000".into())).is_err());
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let mfa = MfaDevice::new("arn:aws:iam::123456789012:mfa/bob", move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            Ok(format!("{:06}", n))
        })
        .unwrap();
        assert_eq!(mfa.token().await.unwrap().as_str(), "000000");
        assert_eq!(mfa.token().await.unwrap().as_str(), "000001");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let failing = MfaDevice::new("GAHT12345678", || Err("no tty".into())).unwrap();
        let err = failing.token().await.unwrap_err();
        assert!(err.to_string().contains("no tty"));
        assert_eq!(
            std::error::Error::source(&err)
                .map(|s| s.to_string())
                .as_deref(),
            Some("no tty"),
            "the callback's error is the source"
        );
    }

    #[test]
    fn bad_token_is_not_echoed() {
        let err = MfaToken::new("98765x").unwrap_err().to_string();
        assert!(!err.contains("98765"), "{err}");
        assert!(err.contains("exactly 6 digits"), "{err}");
    }

    proptest! {
        #[test]
        fn six_digits_iff_accepted(s in "\\PC{0,8}") {
            let expected = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
            prop_assert_eq!(MfaToken::new(s).is_ok(), expected);
        }

        #[test]
        fn valid_serials(s in "[A-Za-z0-9_+=/:,.@-]{9,256}") {
            prop_assert!(MfaDevice::new(s, || Ok("000000".into())).is_ok());
        }
    }
}
