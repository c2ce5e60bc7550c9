//! `RoleArn`: the role to assume, parsed once and never malformed afterwards.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::validate::{check_chars, check_len, is_iam_name_char, IAM_NAME_RULE};

const FIELD: &str = "role_arn";

/// The partitions IAM roles live in.
pub(crate) const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The six `:`-separated parts of an ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`; the
/// resource may hold more colons. The one ARN splitter of the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArnParts<'a> {
    pub(crate) partition: &'a str,
    pub(crate) service: &'a str,
    pub(crate) region: &'a str,
    pub(crate) account: &'a str,
    pub(crate) resource: &'a str,
}

/// Splits an ARN into its parts, or `None` when it does not start with `arn:` or has fewer
/// than six parts. Checks nothing else.
pub(crate) fn split_arn(arn: &str) -> Option<ArnParts<'_>> {
    let mut parts = arn.splitn(6, ':');
    let prefix = parts.next()?;
    let partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    (prefix == "arn").then_some(ArnParts {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// A 12-digit AWS account ID.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The principal a trust policy names to let a caller in: for an assumed-role session
/// (`arn:P:sts::A:assumed-role/ROLE/SESSION`) its role, `arn:P:iam::A:role/ROLE` (a session ARN
/// does not carry the role's path); any other ARN is its own principal.
pub(crate) fn trust_principal_of(caller_arn: &str) -> String {
    if let Some(parts) = split_arn(caller_arn).filter(|p| p.service == "sts") {
        if let Some(rest) = parts.resource.strip_prefix("assumed-role/") {
            let role = rest.split('/').next().unwrap_or(rest);
            return format!("arn:{}:iam::{}:role/{role}", parts.partition, parts.account);
        }
    }
    caller_arn.to_string()
}

/// A validated IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
///
/// # Examples
///
/// ```
/// use cross_account::RoleArn;
///
/// let arn: RoleArn = "arn:aws:iam::123456789012:role/team/DemoRole".parse()?;
/// assert_eq!(arn.partition(), "aws");
/// assert_eq!(arn.account_id(), "123456789012");
/// assert_eq!(arn.path(), "/team/");
/// assert_eq!(arn.role_name(), "DemoRole");
/// assert_eq!(arn.to_string(), "arn:aws:iam::123456789012:role/team/DemoRole");
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleArn {
    arn: String,
    partition_end: usize,
    path_start: usize,
    name_start: usize,
}

impl RoleArn {
    /// Parses and validates an ARN; the same as [`str::parse`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::RoleArn;
    /// assert!(RoleArn::new("arn:aws:iam::123456789012:role/DemoRole").is_ok());
    /// assert!(RoleArn::new("arn:aws:iam::123456789012:user/alice").is_err());
    /// ```
    pub fn new(arn: impl Into<String>) -> Result<Self, Error> {
        let arn = arn.into();
        check_len(FIELD, &arn, 20, 2048)?;
        let invalid = |reason: String| Error::invalid(FIELD, reason);
        let shape = "must look like arn:PARTITION:iam::ACCOUNT_ID:role/NAME or arn:PARTITION:iam::ACCOUNT_ID:role/PATH/NAME";
        let Some(ArnParts {
            partition,
            service,
            region,
            account,
            resource,
        }) = split_arn(&arn)
        else {
            return Err(invalid(format!(
                "{shape}, but it does not start with \"arn:\" or has fewer than six ':'-separated parts"
            )));
        };
        if !PARTITIONS.contains(&partition) {
            return Err(invalid(format!(
                "partition {partition:?} is not one of {}",
                PARTITIONS.join(", ")
            )));
        }
        if service != "iam" {
            return Err(invalid(format!(
                "service must be \"iam\", but it is {service:?}"
            )));
        }
        if !region.is_empty() {
            return Err(invalid(format!(
                "IAM ARNs have no region (arn:PARTITION:iam::ACCOUNT_ID:...), but it has {region:?}"
            )));
        }
        if !is_account_id(account) {
            return Err(invalid(format!(
                "account ID must be exactly 12 digits, but it is {account:?}"
            )));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(invalid(format!(
                "resource must start with \"role/\" (only roles can be assumed), but it is {resource:?}"
            )));
        };
        // The name is what follows the last '/', the path everything up to and including it.
        let slash = path_and_name.rfind('/');
        let (path, name) = match slash {
            Some(i) => (&path_and_name[..=i], &path_and_name[i + 1..]),
            None => ("", path_and_name),
        };
        if name.is_empty() {
            return Err(invalid("role name is empty".into()));
        }
        let name_len = name.chars().count();
        if name_len > 64 {
            return Err(invalid(format!(
                "role name must be 1 to 64 characters long, but it has {name_len}"
            )));
        }
        check_chars(FIELD, name, is_iam_name_char, IAM_NAME_RULE, true)
            .map_err(|e| prefix_reason(e, "role name: "))?;
        if !path.is_empty() {
            let full_path = format!("/{path}");
            if full_path.len() > 512 {
                return Err(invalid(format!(
                    "role path must be at most 512 characters, but it has {}",
                    full_path.len()
                )));
            }
            // Each segment between slashes must be non-empty and printable ASCII without '/'.
            if path[..path.len() - 1].split('/').any(|seg| seg.is_empty()) {
                return Err(invalid(format!(
                    "role path {full_path:?} has an empty segment; it must be / or /SEG/.../"
                )));
            }
            check_chars(
                FIELD,
                path,
                |c| ('\u{21}'..='\u{7E}').contains(&c),
                "printable ASCII characters other than space",
                true,
            )
            .map_err(|e| prefix_reason(e, "role path: "))?;
        }
        let partition_end = 4 + partition.len();
        let resource_start = arn.len() - resource.len();
        let path_start = resource_start + "role".len();
        let name_start = arn.len() - name.len();
        Ok(RoleArn {
            arn,
            partition_end,
            path_start,
            name_start,
        })
    }

    /// The partition, e.g. `aws` or `aws-cn`.
    ///
    /// # Examples
    ///
    /// ```
    /// let arn: cross_account::RoleArn = "arn:aws-cn:iam::123456789012:role/R".parse()?;
    /// assert_eq!(arn.partition(), "aws-cn");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn partition(&self) -> &str {
        &self.arn[4..self.partition_end]
    }

    /// The 12-digit account that owns the role.
    ///
    /// # Examples
    ///
    /// ```
    /// let arn: cross_account::RoleArn = "arn:aws:iam::123456789012:role/R".parse()?;
    /// assert_eq!(arn.account_id(), "123456789012");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn account_id(&self) -> &str {
        let start = self.partition_end + ":iam::".len();
        &self.arn[start..start + 12]
    }

    /// The role name, the part after the last `/`.
    ///
    /// # Examples
    ///
    /// ```
    /// let arn: cross_account::RoleArn = "arn:aws:iam::123456789012:role/a/b/R".parse()?;
    /// assert_eq!(arn.role_name(), "R");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn role_name(&self) -> &str {
        &self.arn[self.name_start..]
    }

    /// The role path: `/` or `/seg/.../`.
    ///
    /// # Examples
    ///
    /// ```
    /// let arn: cross_account::RoleArn = "arn:aws:iam::123456789012:role/R".parse()?;
    /// assert_eq!(arn.path(), "/");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.arn[self.path_start..self.name_start]
    }

    /// The ARN as text.
    ///
    /// # Examples
    ///
    /// ```
    /// let arn: cross_account::RoleArn = "arn:aws:iam::123456789012:role/R".parse()?;
    /// assert_eq!(arn.as_str(), "arn:aws:iam::123456789012:role/R");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.arn
    }
}

fn prefix_reason(err: Error, prefix: &str) -> Error {
    match err {
        Error::InvalidParameter {
            field,
            reason,
            source,
        } => Error::InvalidParameter {
            field,
            reason: format!("{prefix}{reason}"),
            source,
        },
        other => other,
    }
}

impl FromStr for RoleArn {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RoleArn::new(s)
    }
}

impl TryFrom<String> for RoleArn {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        RoleArn::new(s)
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

impl fmt::Debug for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RoleArn").field(&self.arn).finish()
    }
}

impl AsRef<str> for RoleArn {
    fn as_ref(&self) -> &str {
        &self.arn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_trust_principal() {
        let parts = split_arn("arn:aws:s3:::bucket:with:colons").unwrap();
        assert_eq!(
            (parts.partition, parts.service, parts.region),
            ("aws", "s3", "")
        );
        assert_eq!((parts.account, parts.resource), ("", "bucket:with:colons"));
        assert_eq!(split_arn("arn:aws:iam::123456789012"), None);
        assert_eq!(split_arn("nra:aws:iam::123456789012:root"), None);
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901a"));
        assert_eq!(
            trust_principal_of("arn:aws:sts::111122223333:assumed-role/Hop/session-1"),
            "arn:aws:iam::111122223333:role/Hop"
        );
        assert_eq!(
            trust_principal_of("arn:aws-cn:iam::111122223333:user/alice"),
            "arn:aws-cn:iam::111122223333:user/alice"
        );
        assert_eq!(trust_principal_of("garbage"), "garbage");
    }
    use proptest::prelude::*;

    fn reason(s: &str) -> String {
        match RoleArn::new(s).unwrap_err() {
            Error::InvalidParameter { field, reason, .. } => {
                assert_eq!(field, "role_arn");
                reason
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn accepts_every_partition_and_paths() {
        for p in PARTITIONS {
            let arn = RoleArn::new(format!("arn:{p}:iam::123456789012:role/x")).unwrap();
            assert_eq!(arn.partition(), *p);
            assert_eq!(arn.path(), "/");
            assert_eq!(arn.role_name(), "x");
        }
        let arn = RoleArn::new("arn:aws:iam::000000000000:role/a/b-c/Name+=,.@_-9").unwrap();
        assert_eq!(arn.path(), "/a/b-c/");
        assert_eq!(arn.role_name(), "Name+=,.@_-9");
        assert_eq!(arn.account_id(), "000000000000");
    }

    #[test]
    fn rejections_name_the_rule() {
        assert!(reason("").contains("it is empty"));
        assert!(reason("arn:aws:iam::12345678901:role/x").contains("exactly 12 digits"));
        assert!(reason("arn:aws:iam::1234567890123:role/x").contains("exactly 12 digits"));
        assert!(reason("arn:aws:iam::12345678901a:role/x").contains("exactly 12 digits"));
        assert!(reason("arn:aws:iam::123456789012:user/x").contains("role/"));
        assert!(reason("arn:aws:s3::123456789012:role/x").contains("\"iam\""));
        assert!(reason("arn:aws:iam:us-east-1:123456789012:role/x").contains("no region"));
        assert!(reason("arn:azure:iam::123456789012:role/x").contains("partition"));
        assert!(reason("arn:aws:iam::123456789012:role/").contains("empty"));
        assert!(reason("arn:aws:iam::123456789012:role/a//x").contains("empty segment"));
        assert!(reason("arn:aws:iam::123456789012:role/na me").contains("role name"));
        assert!(reason("arn:aws:iam::123456789012:role/é").contains("U+00E9"));
        assert!(reason("xrn:aws:iam::123456789012:role/x").contains("arn:"));
        assert!(reason("arn:aws:iam::123456789012").contains("six"));
    }

    #[test]
    fn name_and_path_limits() {
        let ok = format!("arn:aws:iam::123456789012:role/{}", "n".repeat(64));
        assert_eq!(RoleArn::new(ok).unwrap().role_name().len(), 64);
        let long = format!("arn:aws:iam::123456789012:role/{}", "n".repeat(65));
        assert!(reason(&long).contains("1 to 64"));
        // path "/" + 510 chars + "/" = 512 is the maximum
        let path = format!("{}/", "p".repeat(510));
        let ok = format!("arn:aws:iam::123456789012:role/{path}n");
        assert_eq!(RoleArn::new(ok).unwrap().path().len(), 512);
        let path = format!("{}/", "p".repeat(511));
        let long = format!("arn:aws:iam::123456789012:role/{path}n");
        assert!(reason(&long).contains("at most 512"));
        let huge = format!("arn:aws:iam::123456789012:role/{}", "n".repeat(3000));
        assert!(reason(&huge).contains("20 to 2048"));
    }

    proptest! {
        #[test]
        fn valid_arns_round_trip(
            partition in proptest::sample::select(PARTITIONS),
            account in "[0-9]{12}",
            segs in proptest::collection::vec("[a-zA-Z0-9_.-]{1,8}", 0..4),
            name in "[a-zA-Z0-9_+=,.@-]{1,64}",
        ) {
            let path = if segs.is_empty() { String::new() } else { format!("{}/", segs.join("/")) };
            let text = format!("arn:{partition}:iam::{account}:role/{path}{name}");
            let arn: RoleArn = text.parse().unwrap();
            prop_assert_eq!(arn.to_string(), text.clone());
            prop_assert_eq!(arn.partition(), partition);
            prop_assert_eq!(arn.account_id(), account);
            prop_assert_eq!(arn.role_name(), name);
            prop_assert_eq!(arn.path(), format!("/{path}"));
        }

        #[test]
        fn arbitrary_text_never_panics_and_valid_means_reparseable(s in "\\PC{0,80}") {
            if let Ok(arn) = RoleArn::new(s.clone()) {
                prop_assert_eq!(arn.as_str(), s.as_str());
                prop_assert!(RoleArn::new(arn.to_string()).is_ok());
            }
        }
    }
}
