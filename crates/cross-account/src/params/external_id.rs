use std::fmt;

use crate::error::Error;
use crate::validate::{check_chars, check_len};

use super::string_newtype;

const FIELD: &str = "external_id";
const RULE: &str = "ASCII letters, digits and _+=,.@:/-";

/// The value the trusting account requires in its trust policy's `sts:ExternalId` condition:
/// 2 to 1224 characters of `[\w+=,.@:/-]`.
///
/// An external ID is not a secret; it protects against the confused deputy, so it must be
/// unique per customer. [`ExternalId::generate`] makes one.
///
/// # Examples
///
/// ```
/// use cross_account::ExternalId;
///
/// let id: ExternalId = "ExternalId123".parse()?;
/// assert_eq!(id.as_str(), "ExternalId123");
/// assert!("a".parse::<ExternalId>().is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Validates an external ID.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::ExternalId::new("tenant-42:prod/a").is_ok());
    /// assert!(cross_account::ExternalId::new("has space").is_err());
    /// ```
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        check_len(FIELD, &value, 2, 1224)?;
        check_chars(FIELD, &value, is_external_id_char, RULE, true)?;
        Ok(ExternalId(value))
    }

    /// A fresh external ID with 160 bits from the operating system's random number generator,
    /// as 32 characters of Crockford base32 (no ambiguous letters, valid by the IAM pattern).
    ///
    /// Fails only if the operating system cannot provide randomness.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = cross_account::ExternalId::generate()?;
    /// let b = cross_account::ExternalId::generate()?;
    /// assert_eq!(a.as_str().len(), 32);
    /// assert_ne!(a, b);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn generate() -> Result<Self, Error> {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut bytes = [0u8; 20];
        getrandom::fill(&mut bytes).map_err(|e| {
            Error::invalid(
                FIELD,
                format!("the operating system random number generator failed: {e}"),
            )
        })?;
        // 20 bytes = 160 bits = 32 groups of 5 bits.
        let mut out = String::with_capacity(32);
        let mut acc: u64 = 0;
        let mut bits = 0;
        for b in bytes {
            acc = (acc << 8) | u64::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
            }
        }
        Ok(ExternalId(out))
    }
}

fn is_external_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | ':' | '/' | '-')
}

string_newtype!(ExternalId);

impl fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ExternalId").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert!(ExternalId::new("ab").is_ok());
        assert!(ExternalId::new("a").is_err());
        assert!(ExternalId::new("").is_err());
        assert!(ExternalId::new("x".repeat(1224)).is_ok());
        let err = ExternalId::new("x".repeat(1225)).unwrap_err();
        assert!(err.to_string().contains("2 to 1224"), "{err}");
        let err = ExternalId::new("abcé").unwrap_err().to_string();
        assert!(err.starts_with("invalid external_id:"), "{err}");
        assert!(err.contains("_+=,.@:/-"), "{err}");
    }

    #[test]
    fn generated_ids_are_valid_distinct_and_long() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = ExternalId::generate().unwrap();
            assert_eq!(id.as_str().len(), 32);
            assert!(ExternalId::new(id.as_str()).is_ok());
            assert!(seen.insert(id));
        }
    }

    proptest! {
        #[test]
        fn valid_alphabet_is_accepted(s in "[A-Za-z0-9_+=,.@:/-]{2,1224}") {
            prop_assert_eq!(ExternalId::new(s.clone()).unwrap().to_string(), s);
        }

        #[test]
        fn any_other_character_is_rejected(
            a in "[A-Za-z0-9]{1,10}",
            bad in "[^A-Za-z0-9_+=,.@:/-]",
            b in "[A-Za-z0-9]{1,10}",
        ) {
            let err = ExternalId::new(format!("{a}{bad}{b}")).unwrap_err();
            let is_field = matches!(err, Error::InvalidParameter { field: "external_id", .. });
            prop_assert!(is_field);
        }
    }
}
