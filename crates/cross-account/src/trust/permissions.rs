//! Permission policies: what the role may do once assumed.

use crate::arn::PARTITIONS;
use crate::error::Error;
use crate::validate::{check_chars, check_len, is_iam_name_char, IAM_NAME_RULE};

use super::json::Json;

/// An inline permission policy for the role: a name and an IAM policy document.
///
/// # Examples
///
/// ```
/// use cross_account::trust::PermissionPolicy;
///
/// let policy = PermissionPolicy::s3_read_only("partner-reports", Some("exports/"))?;
/// assert_eq!(policy.name(), "s3-read-only-partner-reports");
/// let doc = policy.to_value();
/// assert_eq!(doc["Statement"][0]["Resource"], "arn:aws:s3:::partner-reports/exports/*");
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionPolicy {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    S3ReadOnly {
        partition: String,
        bucket: String,
        prefix: Option<String>,
    },
}

/// The permission policies of an optional S3 read grant, as the faces take it: none without a
/// bucket, [`PermissionPolicy::s3_read_only`] in `partition` with one. A prefix without a
/// bucket is an error (field `prefix`): it would silently grant nothing.
///
/// # Examples
///
/// ```
/// use cross_account::trust::s3_read_only_permissions;
/// assert!(s3_read_only_permissions(None, None, "aws")?.is_empty());
/// assert_eq!(s3_read_only_permissions(Some("partner-reports"), Some("exports/"), "aws")?.len(), 1);
/// assert!(s3_read_only_permissions(None, Some("exports/"), "aws").is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
pub fn s3_read_only_permissions(
    bucket: Option<&str>,
    prefix: Option<&str>,
    partition: &str,
) -> Result<Vec<PermissionPolicy>, Error> {
    match (bucket, prefix) {
        (Some(bucket), prefix) => Ok(vec![
            PermissionPolicy::s3_read_only(bucket, prefix)?.with_partition(partition)?
        ]),
        (None, Some(_)) => Err(Error::invalid(
            "prefix",
            "a prefix needs a bucket (the bucket the prefix is in)",
        )),
        (None, None) => Ok(Vec::new()),
    }
}

impl PermissionPolicy {
    /// Read-only access to one S3 bucket, or to the keys under one prefix of it:
    /// `s3:GetObject` on `arn:aws:s3:::BUCKET/PREFIX*`, and `s3:ListBucket` on the bucket,
    /// limited by `StringLike s3:prefix ["PREFIX*"]` when a prefix is given.
    ///
    /// The prefix is taken literally: `"exports/"` covers one folder, `"exports"` also covers
    /// `exports-old/...`. `Some("")` is the same as `None`. It may not contain `*`, `?` or
    /// `${` (IAM wildcards and policy variables) or control characters, and is at most 1024
    /// bytes long, as an S3 key. Bucket names follow the S3 naming rules for general purpose
    /// buckets. Errors name the argument: `bucket` or `prefix`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::PermissionPolicy;
    ///
    /// let whole = PermissionPolicy::s3_read_only("partner-reports", None)?;
    /// assert_eq!(whole.to_value()["Statement"][1]["Resource"], "arn:aws:s3:::partner-reports");
    /// assert!(PermissionPolicy::s3_read_only("Not_A_Bucket", None).is_err());
    /// assert!(PermissionPolicy::s3_read_only("ok-bucket", Some("a*")).is_err());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn s3_read_only(bucket: &str, prefix: Option<&str>) -> Result<PermissionPolicy, Error> {
        validate_bucket(bucket)?;
        let prefix = match prefix {
            None | Some("") => None,
            Some(p) => {
                validate_prefix(p)?;
                Some(p.to_string())
            }
        };
        Ok(PermissionPolicy {
            name: format!("s3-read-only-{bucket}"),
            kind: Kind::S3ReadOnly {
                partition: "aws".into(),
                bucket: bucket.to_string(),
                prefix,
            },
        })
    }

    /// The same policy for another partition (`aws-cn`, `aws-us-gov`, ...): the ARNs in it
    /// change. Error field: `partition`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::PermissionPolicy;
    /// let cn = PermissionPolicy::s3_read_only("reports", None)?.with_partition("aws-cn")?;
    /// assert_eq!(cn.to_value()["Statement"][1]["Resource"], "arn:aws-cn:s3:::reports");
    /// assert!(PermissionPolicy::s3_read_only("reports", None)?.with_partition("mars").is_err());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn with_partition(mut self, partition: &str) -> Result<PermissionPolicy, Error> {
        if !PARTITIONS.contains(&partition) {
            return Err(Error::invalid(
                "partition",
                format!("{partition:?} is not one of {}", PARTITIONS.join(", ")),
            ));
        }
        match &mut self.kind {
            Kind::S3ReadOnly { partition: p, .. } => *p = partition.to_string(),
        }
        Ok(self)
    }

    /// The same policy under another name (1 to 128 characters of `[\w+=,.@-]`), e.g. to attach
    /// two policies that would otherwise share one. Error field: `policy_name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::PermissionPolicy;
    /// let p = PermissionPolicy::s3_read_only("reports", None)?.with_name("ReadReports")?;
    /// assert_eq!(p.name(), "ReadReports");
    /// assert!(p.with_name("has space").is_err());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn with_name(mut self, name: impl Into<String>) -> Result<PermissionPolicy, Error> {
        let name = name.into();
        validate_policy_name(&name)?;
        self.name = name;
        Ok(self)
    }

    /// The policy's name, as an inline policy of the role (`s3-read-only-BUCKET` by default).
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::PermissionPolicy;
    /// assert_eq!(PermissionPolicy::s3_read_only("reports", None)?.name(), "s3-read-only-reports");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy document as pretty JSON, keys in IAM's usual order.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::PermissionPolicy;
    /// let json = PermissionPolicy::s3_read_only("reports", Some("exports/"))?.to_json();
    /// assert!(json.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": ["));
    /// assert!(json.contains("\"s3:prefix\": [\n"));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        self.document().pretty()
    }

    /// The policy document as a `serde_json::Value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::PermissionPolicy;
    /// let doc = PermissionPolicy::s3_read_only("reports", Some("exports/"))?.to_value();
    /// assert_eq!(doc["Statement"][1]["Condition"]["StringLike"]["s3:prefix"][0], "exports/*");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn to_value(&self) -> serde_json::Value {
        self.document().to_value()
    }

    pub(crate) fn document(&self) -> Json {
        match &self.kind {
            Kind::S3ReadOnly {
                partition,
                bucket,
                prefix,
            } => {
                let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
                let pattern = format!("{}*", prefix.as_deref().unwrap_or(""));
                let read = Json::obj([
                    ("Sid", Json::str("ReadObjects")),
                    ("Effect", Json::str("Allow")),
                    ("Action", Json::str("s3:GetObject")),
                    ("Resource", Json::str(format!("{bucket_arn}/{pattern}"))),
                ]);
                let mut list = vec![
                    ("Sid", Json::str("ListBucket")),
                    ("Effect", Json::str("Allow")),
                    ("Action", Json::str("s3:ListBucket")),
                    ("Resource", Json::str(bucket_arn.clone())),
                ];
                if prefix.is_some() {
                    list.push((
                        "Condition",
                        Json::obj([(
                            "StringLike",
                            Json::obj([("s3:prefix", Json::Arr(vec![Json::str(pattern)]))]),
                        )]),
                    ));
                }
                Json::obj([
                    ("Version", Json::str("2012-10-17")),
                    ("Statement", Json::Arr(vec![read, Json::obj(list)])),
                ])
            }
        }
    }
}

pub(crate) fn validate_policy_name(name: &str) -> Result<(), Error> {
    check_len("policy_name", name, 1, 128)?;
    check_chars("policy_name", name, is_iam_name_char, IAM_NAME_RULE, true)
}

/// The S3 naming rules for general purpose buckets.
fn validate_bucket(bucket: &str) -> Result<(), Error> {
    let fail = |reason: String| Err(Error::invalid("bucket", reason));
    check_len("bucket", bucket, 3, 63)?;
    if let Some(c) = bucket
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return fail(format!(
            "bucket name {bucket:?} has character {c:?}; allowed are lowercase letters, digits, '.' and '-'"
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(bucket.chars().next()) || !alnum(bucket.chars().last()) {
        return fail(format!(
            "bucket name {bucket:?} must begin and end with a letter or digit"
        ));
    }
    if bucket.contains("..") {
        return fail(format!(
            "bucket name {bucket:?} must not have two adjacent periods"
        ));
    }
    let parts: Vec<&str> = bucket.split('.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return fail(format!(
            "bucket name {bucket:?} must not be formatted as an IP address"
        ));
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if bucket.starts_with(prefix) {
            return fail(format!(
                "bucket name {bucket:?} must not start with {prefix:?}, a prefix reserved by S3"
            ));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if bucket.ends_with(suffix) {
            return fail(format!(
                "bucket name {bucket:?} must not end with {suffix:?}, a suffix reserved by S3"
            ));
        }
    }
    Ok(())
}

fn validate_prefix(prefix: &str) -> Result<(), Error> {
    let fail = |reason: String| Err(Error::invalid("prefix", reason));
    if prefix.len() > 1024 {
        return fail(format!(
            "must be at most 1024 bytes long (an S3 key), but it has {}",
            prefix.len()
        ));
    }
    if let Some(c) = prefix.chars().find(|c| matches!(c, '*' | '?')) {
        return fail(format!(
            "{prefix:?} has {c:?}, an IAM wildcard; give the literal prefix, the policy adds '*'"
        ));
    }
    if prefix.contains("${") {
        return fail(format!(
            "{prefix:?} has \"${{\", which starts an IAM policy variable"
        ));
    }
    if prefix.chars().any(char::is_control) {
        return fail("the prefix has a control character".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(err: Error) -> &'static str {
        match err {
            Error::InvalidParameter { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn exact_json_with_prefix() {
        let p = PermissionPolicy::s3_read_only("partner-reports", Some("exports/")).unwrap();
        assert_eq!(
            p.to_json(),
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadObjects",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::partner-reports/exports/*"
    },
    {
      "Sid": "ListBucket",
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::partner-reports",
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "exports/*"
          ]
        }
      }
    }
  ]
}"#
        );
        let reparsed: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(reparsed, p.to_value());
    }

    #[test]
    fn whole_bucket() {
        let p = PermissionPolicy::s3_read_only("my.bucket-1", None).unwrap();
        let v = p.to_value();
        assert_eq!(v["Statement"][0]["Resource"], "arn:aws:s3:::my.bucket-1/*");
        assert_eq!(v["Statement"][1]["Resource"], "arn:aws:s3:::my.bucket-1");
        assert!(v["Statement"][1].get("Condition").is_none());
        assert_eq!(
            p,
            PermissionPolicy::s3_read_only("my.bucket-1", Some("")).unwrap()
        );
        let gov = p.with_partition("aws-us-gov").unwrap();
        assert_eq!(
            gov.to_value()["Statement"][0]["Resource"],
            "arn:aws-us-gov:s3:::my.bucket-1/*"
        );
    }

    #[test]
    fn bucket_rules() {
        for ok in [
            "abc",
            "a-b.c",
            "123",
            &"a".repeat(63),
            "my.bucket.1.2",
            "1.2.3.4a",
        ] {
            assert!(PermissionPolicy::s3_read_only(ok, None).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            ".ab",
            "ab.",
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "sthree-abc",
            "abc-s3alias",
            "abc--ol-s3",
            "abc.mrap",
            "abc--x-s3",
            "a b",
            "ünï",
        ] {
            let err = PermissionPolicy::s3_read_only(bad, None).unwrap_err();
            assert_eq!(field(err), "bucket", "{bad}");
        }
    }

    #[test]
    fn prefix_rules() {
        for bad in ["a*", "a?b", "${aws:username}/", "a\nb", &"k".repeat(1025)] {
            let err = PermissionPolicy::s3_read_only("bucket", Some(bad)).unwrap_err();
            assert_eq!(field(err), "prefix", "{bad:?}");
        }
        let p =
            PermissionPolicy::s3_read_only("bucket", Some("dir with \"quotes\"/日本/")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(
            v["Statement"][0]["Resource"],
            "arn:aws:s3:::bucket/dir with \"quotes\"/日本/*"
        );
    }

    #[test]
    fn names() {
        let p = PermissionPolicy::s3_read_only("bucket", None).unwrap();
        assert_eq!(field(p.clone().with_name("").unwrap_err()), "policy_name");
        assert_eq!(
            field(p.clone().with_name("x".repeat(129)).unwrap_err()),
            "policy_name"
        );
        assert_eq!(
            field(p.clone().with_partition("nope").unwrap_err()),
            "partition"
        );
        assert_eq!(p.with_name("a+=,.@-_1").unwrap().name(), "a+=,.@-_1");
    }
}
