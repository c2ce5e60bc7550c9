use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::Error;

const FIELD: &str = "duration";

/// The requested session lifetime, `DurationSeconds`: 900 to 43200 seconds (15 minutes to
/// 12 hours). The role's own maximum session duration (1 hour unless raised) may be lower;
/// role chaining caps it at 1 hour.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cross_account::SessionDuration;
///
/// let d = SessionDuration::new(Duration::from_secs(3600))?;
/// assert_eq!(d.as_secs(), 3600);
/// assert!(SessionDuration::new(Duration::from_secs(60)).is_err());
/// assert_eq!("900".parse::<SessionDuration>()?.as_secs(), 900);
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SessionDuration(u32);

impl SessionDuration {
    /// The shortest session STS grants.
    pub const MIN: SessionDuration = SessionDuration(900);
    /// The longest session STS grants.
    pub const MAX: SessionDuration = SessionDuration(43200);
    /// The longest session allowed when the source credentials are themselves assumed-role credentials.
    pub const CHAINED_MAX: SessionDuration = SessionDuration(3600);
    /// What is asked for when nothing is set.
    pub const DEFAULT: SessionDuration = SessionDuration(3600);

    /// Validates a duration; it must be a whole number of seconds in 900..=43200.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(cross_account::SessionDuration::new(Duration::from_millis(900_500)).is_err());
    /// ```
    pub fn new(duration: Duration) -> Result<Self, Error> {
        if duration.subsec_nanos() != 0 {
            return Err(Error::invalid(
                FIELD,
                format!("must be a whole number of seconds, but it is {duration:?}"),
            ));
        }
        Self::from_secs(duration.as_secs())
    }

    /// Validates a duration given in seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::SessionDuration::from_secs(43200).is_ok());
    /// assert!(cross_account::SessionDuration::from_secs(43201).is_err());
    /// ```
    pub fn from_secs(secs: u64) -> Result<Self, Error> {
        if !(900..=43200).contains(&secs) {
            return Err(out_of_range(secs));
        }
        Ok(SessionDuration(secs as u32))
    }

    /// Seconds, as sent in `DurationSeconds`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cross_account::SessionDuration::DEFAULT.as_secs(), 3600);
    /// ```
    pub fn as_secs(&self) -> u32 {
        self.0
    }

    /// As a [`Duration`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cross_account::SessionDuration::MIN.as_duration().as_secs(), 900);
    /// ```
    pub fn as_duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.0))
    }
}

impl Default for SessionDuration {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for SessionDuration {
    type Err = Error;
    /// Parses whole seconds, e.g. `"3600"`. A whole number outside the range, negative or
    /// too large for any integer type, gets the range rule.
    fn from_str(s: &str) -> Result<Self, Error> {
        let text = s.trim();
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                FIELD,
                format!("must be a whole number of seconds (900 to 43200), but it is {s:?}"),
            ));
        }
        match text.parse::<u64>() {
            Ok(secs) => Self::from_secs(secs),
            Err(_) => Err(out_of_range(text)),
        }
    }
}

fn out_of_range(secs: impl fmt::Display) -> Error {
    Error::invalid(
        FIELD,
        format!("must be 900 to 43200 seconds (15 minutes to 12 hours), but it is {secs} seconds"),
    )
}

impl fmt::Display for SessionDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl AsRef<u32> for SessionDuration {
    fn as_ref(&self) -> &u32 {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_outside_any_integer_type_get_the_range_rule() {
        for text in ["-5", "99999999999999999999999", "60"] {
            let err = text.parse::<SessionDuration>().unwrap_err();
            assert_eq!(err.field(), Some("duration"));
            assert!(
                err.message().starts_with("must be 900 to 43200 seconds"),
                "{err}"
            );
            assert!(
                err.message().contains(&format!("it is {text} seconds")),
                "{err}"
            );
        }
        assert_eq!("+900".parse::<SessionDuration>().unwrap().as_secs(), 900);
        for text in ["", "-", "+", "1.5", "15m", "--900"] {
            let err = text.parse::<SessionDuration>().unwrap_err();
            assert!(
                err.message().starts_with("must be a whole number"),
                "{text}: {err}"
            );
        }
    }
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert!(SessionDuration::from_secs(899).is_err());
        assert!(SessionDuration::from_secs(900).is_ok());
        assert!(SessionDuration::from_secs(43200).is_ok());
        assert!(SessionDuration::from_secs(43201).is_err());
        assert!(SessionDuration::from_secs(0).is_err());
        assert!("".parse::<SessionDuration>().is_err());
        assert!("1h".parse::<SessionDuration>().is_err());
        assert!("-900".parse::<SessionDuration>().is_err());
        let err = SessionDuration::from_secs(60).unwrap_err().to_string();
        assert_eq!(err, "invalid duration: must be 900 to 43200 seconds (15 minutes to 12 hours), but it is 60 seconds");
    }

    proptest! {
        #[test]
        fn in_range_iff_accepted(secs in 0u64..100_000) {
            prop_assert_eq!(SessionDuration::from_secs(secs).is_ok(), (900..=43200).contains(&secs));
        }

        #[test]
        fn text_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<SessionDuration>();
        }
    }
}
