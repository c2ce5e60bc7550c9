use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::validate::{check_chars, check_len, is_iam_name_char, IAM_NAME_RULE};

use super::string_newtype;

const FIELD: &str = "session_name";

/// The `RoleSessionName`: 2 to 64 characters of `[\w+=,.@-]`. It appears in the trusting
/// account's CloudTrail as the last part of the assumed-role ARN.
///
/// # Examples
///
/// ```
/// use cross_account::SessionName;
///
/// let name: SessionName = "nightly-sync".parse()?;
/// assert_eq!(name.as_str(), "nightly-sync");
/// assert!(SessionName::new("has space").is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionName(String);

impl SessionName {
    /// Validates a session name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::SessionName::new("ci@build.42").is_ok());
    /// ```
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        check_len(FIELD, &value, 2, 64)?;
        check_chars(FIELD, &value, is_iam_name_char, IAM_NAME_RULE, true)?;
        Ok(SessionName(value))
    }

    /// The default name, `cross-account-<unix millis>` at `now`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let name = cross_account::SessionName::default_at(UNIX_EPOCH + Duration::from_millis(1700000000123));
    /// assert_eq!(name.as_str(), "cross-account-1700000000123");
    /// ```
    pub fn default_at(now: SystemTime) -> Self {
        let millis = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        SessionName(format!("cross-account-{millis}"))
    }
}

string_newtype!(SessionName);

impl fmt::Debug for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionName").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds_and_default() {
        assert!(SessionName::new("ab").is_ok());
        assert!(SessionName::new("a").is_err());
        assert!(SessionName::new("").is_err());
        assert!(SessionName::new("n".repeat(64)).is_ok());
        assert!(SessionName::new("n".repeat(65)).is_err());
        assert!(SessionName::new("a:b").is_err());
        assert!(SessionName::new("ünï").is_err());
        let d = SessionName::default_at(SystemTime::now());
        assert!(SessionName::new(d.as_str()).is_ok());
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(s in "[A-Za-z0-9_+=,.@-]{2,64}") {
            let name = s.parse::<SessionName>().unwrap();
            prop_assert_eq!(name.as_str(), s.as_str());
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,70}") {
            let ok = SessionName::new(s.clone()).is_ok();
            let expected = (2..=64).contains(&s.chars().count()) && s.chars().all(is_iam_name_char);
            prop_assert_eq!(ok, expected);
        }
    }
}
