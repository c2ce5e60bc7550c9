use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::validate::{check_chars, check_len};

const SERIAL_FIELD: &str = "mfa";

type TokenSource = dyn Fn() -> Result<String, String> + Send + Sync;

/// An MFA device (`SerialNumber`) and where its current code comes from (`TokenCode`).
///
/// The code is asked for at each AssumeRole call, because a code is only good once and only for
/// about 30 seconds.
///
/// # Examples
///
/// ```
/// use cross_account::MfaDevice;
///
/// let mfa = MfaDevice::new("arn:aws:iam::123456789012:mfa/alice", || Ok("123456".to_string()))?;
/// assert_eq!(mfa.serial(), "arn:aws:iam::123456789012:mfa/alice");
/// assert_eq!(mfa.token()?.as_str(), "123456");
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone)]
pub struct MfaDevice {
    serial: String,
    token_source: Arc<TokenSource>,
}

impl MfaDevice {
    /// A device by its serial number or ARN (9 to 256 characters of `[\w+=/:,.@-]`) and a
    /// callback that returns the current 6-digit code, or an explanation of why it cannot.
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
        let serial = serial.into();
        check_len(SERIAL_FIELD, &serial, 9, 256)?;
        check_chars(
            SERIAL_FIELD,
            &serial,
            |c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '_' | '+' | '=' | '/' | ':' | ',' | '.' | '@' | '-')
            },
            "ASCII letters, digits and _+=/:,.@-",
            true,
        )?;
        Ok(MfaDevice {
            serial,
            token_source: Arc::new(token_source),
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

    /// Asks the callback for the current code and checks it is exactly 6 digits.
    ///
    /// # Examples
    ///
    /// ```
    /// let mfa = cross_account::MfaDevice::new("GAHT12345678", || Ok("12345".into()))?;
    /// assert!(mfa.token().is_err());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn token(&self) -> Result<MfaToken, Error> {
        let code = (self.token_source)().map_err(|why| {
            Error::invalid("mfa_token", format!("the MFA token callback failed: {why}"))
        })?;
        MfaToken::new(code)
    }
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

    #[test]
    fn serial_bounds_and_token_asked_each_time() {
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
        assert_eq!(mfa.token().unwrap().as_str(), "000000");
        assert_eq!(mfa.token().unwrap().as_str(), "000001");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let failing = MfaDevice::new("GAHT12345678", || Err("no tty".into())).unwrap();
        assert!(failing.token().unwrap_err().to_string().contains("no tty"));
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
