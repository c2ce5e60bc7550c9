use std::fmt;

use crate::error::Error;
use crate::validate::{check_chars, check_len, is_iam_name_char, IAM_NAME_RULE};

use super::string_newtype;

const FIELD: &str = "source_identity";

/// The `SourceIdentity` that stays attached through role chaining: 2 to 64 characters of
/// `[\w+=,.@-]`, not starting with `aws:` (reserved by AWS).
///
/// # Examples
///
/// ```
/// use cross_account::SourceIdentity;
///
/// let id: SourceIdentity = "alice@example.com".parse()?;
/// assert_eq!(id.as_str(), "alice@example.com");
/// assert!(SourceIdentity::new("aws:me").is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SourceIdentity(String);

impl SourceIdentity {
    /// Validates a source identity.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::SourceIdentity::new("build-bot").is_ok());
    /// ```
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        check_len(FIELD, &value, 2, 64)?;
        check_chars(FIELD, &value, is_iam_name_char, IAM_NAME_RULE, true)?;
        if value.to_ascii_lowercase().starts_with("aws:") {
            return Err(Error::invalid(
                FIELD,
                "must not start with \"aws:\", a prefix reserved by AWS",
            ));
        }
        Ok(SourceIdentity(value))
    }
}

string_newtype!(SourceIdentity);

impl fmt::Debug for SourceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SourceIdentity").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert!(SourceIdentity::new("ab").is_ok());
        assert!(SourceIdentity::new("a").is_err());
        assert!(SourceIdentity::new("i".repeat(64)).is_ok());
        assert!(SourceIdentity::new("i".repeat(65)).is_err());
        // ':' is not in the alphabet anyway, so "aws:" is refused twice over; the message says why.
        assert!(SourceIdentity::new("aws:x").is_err());
        assert!(SourceIdentity::new("awsome").is_ok());
    }

    proptest! {
        #[test]
        fn valid_round_trip(s in "[A-Za-z0-9_+=,.@-]{2,64}") {
            prop_assert_eq!(SourceIdentity::new(s.clone()).unwrap().to_string(), s);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,70}") {
            let _ = SourceIdentity::new(s);
        }
    }
}
