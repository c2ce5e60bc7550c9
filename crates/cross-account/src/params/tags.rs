use std::collections::HashSet;
use std::fmt;

use crate::error::Error;

const TAGS_FIELD: &str = "tags";
const TRANSITIVE_FIELD: &str = "transitive_tag_keys";
const RULE: &str = "letters, digits, spaces and _.:/=+-@";

/// Session tags (`Tags`) and which of them pass on through role chaining (`TransitiveTagKeys`).
///
/// At most 50 tags; keys 1 to 128 characters, values 0 to 256, both of letters, digits,
/// spaces and `_.:/=+-@`; keys unique ignoring case. Transitive keys must be tag keys.
///
/// # Examples
///
/// ```
/// use cross_account::SessionTags;
///
/// let tags = SessionTags::new([("team", "data"), ("cost-center", "42")])?
///     .with_transitive_keys(["team"])?;
/// assert_eq!(tags.len(), 2);
/// assert_eq!(tags.transitive_keys().collect::<Vec<_>>(), ["team"]);
/// assert!(SessionTags::new([("a", "1"), ("A", "2")]).is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SessionTags {
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
}

impl SessionTags {
    /// Validates a list of `(key, value)` tags.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::SessionTags::new([("project", "Ünïcode ok")]).is_ok());
    /// ```
    pub fn new<I, K, V>(tags: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let tags: Vec<(String, String)> = tags
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        if tags.len() > 50 {
            return Err(Error::invalid(
                TAGS_FIELD,
                format!(
                    "at most 50 session tags may be passed, but {} were given",
                    tags.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        for (key, value) in &tags {
            let klen = key.chars().count();
            if !(1..=128).contains(&klen) {
                return Err(Error::invalid(
                    TAGS_FIELD,
                    format!("tag key {key:?} must be 1 to 128 characters long, but it has {klen}"),
                ));
            }
            let vlen = value.chars().count();
            if vlen > 256 {
                return Err(Error::invalid(
                    TAGS_FIELD,
                    format!("value of tag {key:?} must be at most 256 characters long, but it has {vlen}"),
                ));
            }
            if let Some(c) = key.chars().find(|c| !is_tag_char(*c)) {
                return Err(Error::invalid(
                    TAGS_FIELD,
                    format!(
                        "tag key {key:?} has character U+{:04X}; allowed are {RULE}",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = value.chars().find(|c| !is_tag_char(*c)) {
                return Err(Error::invalid(
                    TAGS_FIELD,
                    format!(
                        "value of tag {key:?} has character U+{:04X}; allowed are {RULE}",
                        c as u32
                    ),
                ));
            }
            if !seen.insert(key.to_lowercase()) {
                return Err(Error::invalid(
                    TAGS_FIELD,
                    format!("tag key {key:?} appears twice; keys must be unique ignoring case"),
                ));
            }
        }
        Ok(SessionTags {
            tags,
            transitive: Vec::new(),
        })
    }

    /// Marks tags as transitive: they stay on the session through role chaining.
    ///
    /// # Examples
    ///
    /// ```
    /// let tags = cross_account::SessionTags::new([("team", "data")])?;
    /// assert!(tags.clone().with_transitive_keys(["team"]).is_ok());
    /// assert!(tags.with_transitive_keys(["other"]).is_err());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn with_transitive_keys<I, S>(mut self, keys: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let keys: Vec<String> = keys.into_iter().map(Into::into).collect();
        if keys.len() > 50 {
            return Err(Error::invalid(
                TRANSITIVE_FIELD,
                format!(
                    "at most 50 transitive tag keys may be passed, but {} were given",
                    keys.len()
                ),
            ));
        }
        for key in &keys {
            if !self
                .tags
                .iter()
                .any(|(k, _)| k.to_lowercase() == key.to_lowercase())
            {
                return Err(Error::invalid(
                    TRANSITIVE_FIELD,
                    format!("{key:?} is not one of the session tag keys; a transitive key must also be passed as a tag"),
                ));
            }
        }
        self.transitive = keys;
        Ok(self)
    }

    /// How many tags there are.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cross_account::SessionTags::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are no tags.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::SessionTags::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The tags in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let tags = cross_account::SessionTags::new([("k", "v")])?;
    /// assert_eq!(tags.iter().next(), Some(("k", "v")));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The transitive keys in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let tags = cross_account::SessionTags::new([("k", "v")])?;
    /// assert_eq!(tags.transitive_keys().count(), 0);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn transitive_keys(&self) -> impl Iterator<Item = &str> {
        self.transitive.iter().map(String::as_str)
    }
}

impl fmt::Display for SessionTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.tags.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for SessionTags {
    type Err = Error;
    /// Parses `k=v,k2=v2`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let pairs = s
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.split_once('=')
                    .ok_or_else(|| Error::invalid(TAGS_FIELD, format!("{p:?} must be KEY=VALUE")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        SessionTags::new(pairs)
    }
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`. Rust's `is_alphabetic` is Unicode `Alphabetic` (letters plus
/// letter-like marks), `is_numeric` is `N`, and separators are the non-control whitespace.
fn is_tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tag_rules() {
        assert!(SessionTags::new([("k", "")]).is_ok());
        assert!(SessionTags::new([("", "v")]).is_err());
        assert!(SessionTags::new([("k".repeat(128), "v".repeat(256))]).is_ok());
        assert!(SessionTags::new([("k".repeat(129), "v")]).is_err());
        assert!(SessionTags::new([("k", "v".repeat(257))]).is_err());
        assert!(SessionTags::new([("日本", "値 1")]).is_ok());
        assert!(SessionTags::new([("k", "tab\there")]).is_err());
        assert!(SessionTags::new([("k!", "v")]).is_err());
        let fifty: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(SessionTags::new(fifty.clone()).is_ok());
        let mut fifty_one = fifty;
        fifty_one.push(("k50".into(), "v".into()));
        assert!(SessionTags::new(fifty_one).is_err());
        let err = SessionTags::new([("Team", "a"), ("team", "b")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unique ignoring case"), "{err}");
        let err = SessionTags::new([("a", "1")])
            .unwrap()
            .with_transitive_keys(["b"])
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                field: "transitive_tag_keys",
                ..
            }
        ));
        assert!(SessionTags::new([("Team", "1")])
            .unwrap()
            .with_transitive_keys(["team"])
            .is_ok());
        assert_eq!(
            "a=1,b=2".parse::<SessionTags>().unwrap().to_string(),
            "a=1,b=2"
        );
        assert!("a".parse::<SessionTags>().is_err());
    }

    proptest! {
        #[test]
        fn valid_tags_accepted(key in "[\\p{L}\\p{N}_.:/=+@-]{1,128}", value in "[\\p{L}\\p{N} _.:/=+@-]{0,256}") {
            prop_assert!(SessionTags::new([(key, value)]).is_ok());
        }

        #[test]
        fn arbitrary_never_panics(key in "\\PC{0,140}", value in "\\PC{0,40}") {
            let _ = SessionTags::new([(key, value)]);
        }
    }
}
