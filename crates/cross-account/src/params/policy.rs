use std::fmt;
use std::str::FromStr;

use crate::arn::{is_account_id, split_arn, PARTITIONS};
use crate::error::Error;

/// An inline session policy: further restricts what the assumed session may do.
///
/// It must be JSON, at most 2048 characters once whitespace is removed, and use only tab,
/// line feed, carriage return and U+0020 to U+00FF.
///
/// # Examples
///
/// ```
/// use cross_account::SessionPolicy;
///
/// let p: SessionPolicy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#.parse()?;
/// assert!(p.as_str().contains("s3:GetObject"));
/// assert!("{not json".parse::<SessionPolicy>().is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionPolicy(String);

const POLICY_FIELD: &str = "policy";

impl SessionPolicy {
    /// Validates a session policy document.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::SessionPolicy::new("{}").is_ok());
    /// ```
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        if let Some((pos, c)) = value
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
        {
            return Err(Error::invalid(
                POLICY_FIELD,
                format!(
                    "character U+{:04X} at position {} is not allowed; a session policy may use only tab, line feed, carriage return and U+0020 to U+00FF",
                    c as u32,
                    pos + 1
                ),
            ));
        }
        let parsed: serde_json::Value = serde_json::from_str(&value).map_err(|e| {
            Error::invalid(
                POLICY_FIELD,
                format!("must be a JSON document, but it does not parse: {e}"),
            )
        })?;
        if !parsed.is_object() {
            return Err(Error::invalid(
                POLICY_FIELD,
                "must be a JSON object (an IAM policy document)",
            ));
        }
        // STS counts the document without its insignificant whitespace.
        let compact = serde_json::to_string(&parsed)
            .unwrap_or_default()
            .chars()
            .count();
        if compact > 2048 {
            return Err(Error::invalid(
                POLICY_FIELD,
                format!("must be at most 2048 characters once whitespace is removed, but it has {compact}"),
            ));
        }
        Ok(SessionPolicy(value))
    }
}

super::string_newtype!(SessionPolicy);

impl fmt::Debug for SessionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionPolicy").field(&self.0).finish()
    }
}

/// Up to 10 managed policy ARNs used as session policies (`PolicyArns`).
///
/// # Examples
///
/// ```
/// use cross_account::PolicyArns;
///
/// let arns = PolicyArns::new(["arn:aws:iam::aws:policy/ReadOnlyAccess"])?;
/// assert_eq!(arns.len(), 1);
/// assert!(PolicyArns::new(["arn:aws:iam::aws:role/x"]).is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct PolicyArns(Vec<String>);

const ARNS_FIELD: &str = "policy_arns";

impl PolicyArns {
    /// Validates a list of IAM policy ARNs.
    ///
    /// # Examples
    ///
    /// ```
    /// let arns = cross_account::PolicyArns::new(vec!["arn:aws:iam::123456789012:policy/team/Read".to_string()])?;
    /// assert_eq!(arns.iter().next(), Some("arn:aws:iam::123456789012:policy/team/Read"));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn new<I, S>(arns: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let arns: Vec<String> = arns.into_iter().map(Into::into).collect();
        if arns.len() > 10 {
            return Err(Error::invalid(
                ARNS_FIELD,
                format!(
                    "at most 10 policy ARNs may be passed, but {} were given",
                    arns.len()
                ),
            ));
        }
        for (i, arn) in arns.iter().enumerate() {
            validate_policy_arn(arn).map_err(|reason| {
                Error::invalid(ARNS_FIELD, format!("entry {} {arn:?}: {reason}", i + 1))
            })?;
        }
        Ok(PolicyArns(arns))
    }

    /// How many ARNs there are.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cross_account::PolicyArns::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cross_account::PolicyArns::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ARNs in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let arns = cross_account::PolicyArns::new(["arn:aws:iam::aws:policy/ReadOnlyAccess"])?;
    /// assert_eq!(arns.iter().count(), 1);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl FromStr for PolicyArns {
    type Err = Error;
    /// Parses a comma-separated list.
    fn from_str(s: &str) -> Result<Self, Error> {
        PolicyArns::new(s.split(',').map(str::trim).filter(|s| !s.is_empty()))
    }
}

impl fmt::Display for PolicyArns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

fn validate_policy_arn(arn: &str) -> Result<(), String> {
    let n = arn.chars().count();
    if !(20..=2048).contains(&n) {
        return Err(format!(
            "must be 20 to 2048 characters long, but it has {n}"
        ));
    }
    let shape = "must look like arn:PARTITION:iam::ACCOUNT_ID:policy/NAME (ACCOUNT_ID may be \"aws\" for AWS managed policies)";
    let parts = split_arn(arn)
        .filter(|p| p.service == "iam" && p.region.is_empty())
        .ok_or_else(|| shape.to_string())?;
    if !PARTITIONS.contains(&parts.partition) {
        return Err(format!(
            "partition {:?} is not one of {}",
            parts.partition,
            PARTITIONS.join(", ")
        ));
    }
    let account = parts.account;
    if account != "aws" && !is_account_id(account) {
        return Err(format!(
            "account must be 12 digits or \"aws\", but it is {account:?}"
        ));
    }
    let Some(rest) = parts.resource.strip_prefix("policy/") else {
        return Err(shape.into());
    };
    let name = rest.rsplit('/').next().unwrap_or("");
    if name.is_empty() || name.chars().count() > 128 {
        return Err("policy name must be 1 to 128 characters".into());
    }
    if !rest
        .chars()
        .all(|c| c == '/' || crate::validate::is_iam_name_char(c))
    {
        return Err(format!(
            "policy path and name may use only {} and /",
            crate::validate::IAM_NAME_RULE
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn policy_rules() {
        assert!(SessionPolicy::new("{\n\t\"Version\": \"2012-10-17\"\r\n}").is_ok());
        let err = SessionPolicy::new("[]").unwrap_err().to_string();
        assert!(err.contains("JSON object"), "{err}");
        let err = SessionPolicy::new("{\"a\":\"\u{263A}\"}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("U+263A"), "{err}");
        let err = SessionPolicy::new("{,}").unwrap_err().to_string();
        assert!(err.contains("does not parse"), "{err}");
        // 2048 characters compact is the limit; whitespace does not count.
        let body = |n: usize| format!("{{\"a\":\"{}\"}}", "x".repeat(n));
        let at_limit = body(2048 - 8);
        assert_eq!(at_limit.len(), 2048);
        assert!(SessionPolicy::new(at_limit).is_ok());
        assert!(SessionPolicy::new(body(2048 - 7)).is_err());
        let padded = format!(
            "{{ {} \"a\" :\n\"{}\" }}",
            " ".repeat(4000),
            "x".repeat(2040)
        );
        assert!(SessionPolicy::new(padded).is_ok());
    }

    #[test]
    fn policy_arn_rules() {
        assert!(PolicyArns::new(["arn:aws:iam::aws:policy/service-role/AWSLambdaRole"]).is_ok());
        let ten: Vec<String> = (0..10)
            .map(|i| format!("arn:aws:iam::123456789012:policy/p{i}"))
            .collect();
        assert!(PolicyArns::new(ten.clone()).is_ok());
        let mut eleven = ten;
        eleven.push("arn:aws:iam::123456789012:policy/p10".into());
        let err = PolicyArns::new(eleven).unwrap_err().to_string();
        assert!(err.contains("at most 10"), "{err}");
        for bad in [
            "arn:aws:iam::12345:policy/p",
            "arn:aws:s3::123456789012:policy/p",
            "arn:aws:iam::123456789012:role/p",
            "arn:aws:iam::123456789012:policy/",
            "arn:nope:iam::123456789012:policy/p",
            "arn:aws:iam::123456789012:policy/p q",
        ] {
            let err = PolicyArns::new([bad]).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidParameter {
                        field: "policy_arns",
                        ..
                    }
                ),
                "{bad}"
            );
        }
        assert!("a,b".parse::<PolicyArns>().is_err());
        assert_eq!("".parse::<PolicyArns>().unwrap().len(), 0);
    }

    proptest! {
        #[test]
        fn policy_never_panics(s in "\\PC{0,300}") {
            let _ = SessionPolicy::new(s);
        }

        #[test]
        fn policy_arn_never_panics(s in "\\PC{0,120}") {
            let _ = PolicyArns::new([s]);
        }

        #[test]
        fn valid_policy_arns(account in "([0-9]{12}|aws)", name in "[A-Za-z0-9_+=,.@-]{1,128}") {
            let arn = format!("arn:aws:iam::{account}:policy/{name}");
            prop_assert!(PolicyArns::new([arn]).is_ok());
        }
    }
}
