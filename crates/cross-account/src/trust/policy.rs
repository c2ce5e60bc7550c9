//! `TrustPolicy`: the role trust policy the trusting account attaches to its role.

use crate::arn::PARTITIONS;
use crate::error::Error;
use crate::params::ExternalId;

use super::json::Json;
use super::principal::{is_account_id, validate_trusted_arn};

/// A validated role trust policy: who may call `sts:AssumeRole` on the role, with which
/// external IDs, and whether MFA is required.
///
/// Built with [`TrustPolicy::builder`]; rendered with [`to_json`](TrustPolicy::to_json),
/// [`to_value`](TrustPolicy::to_value) or
/// [`to_cloudformation`](TrustPolicy::to_cloudformation).
///
/// # Examples
///
/// ```
/// use cross_account::trust::TrustPolicy;
///
/// let policy = TrustPolicy::builder()
///     .trusted_account("123456780123")
///     .external_id("ExternalId123")
///     .build()?;
/// assert_eq!(
///     policy.to_json(),
///     r#"{
///   "Version": "2012-10-17",
///   "Statement": [
///     {
///       "Effect": "Allow",
///       "Principal": {
///         "AWS": "arn:aws:iam::123456780123:root"
///       },
///       "Action": "sts:AssumeRole",
///       "Condition": {
///         "StringEquals": {
///           "sts:ExternalId": "ExternalId123"
///         }
///       }
///     }
///   ]
/// }"#
/// );
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    partition: String,
    principals: Vec<String>,
    external_ids: Vec<String>,
    require_mfa: bool,
    allow_source_identity: bool,
    allow_tag_session: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Trusted {
    Account(String),
    Principal(String),
}

/// Builder for [`TrustPolicy`]; every setter takes `self` and returns it, and
/// [`build`](TrustPolicyBuilder::build) checks everything.
///
/// # Examples
///
/// ```
/// use cross_account::trust::TrustPolicy;
///
/// let policy = TrustPolicy::builder()
///     .partition("aws-cn")
///     .trusted_account("111122223333")
///     .trusted_principal("arn:aws-cn:iam::444455556666:role/Sync")
///     .external_id("tenant-42-Zr9Q1x7PkW3mNa")
///     .require_mfa(true)
///     .allow_tag_session(true)
///     .build()?;
/// let doc = policy.to_value();
/// assert_eq!(doc["Statement"][0]["Principal"]["AWS"][0], "arn:aws-cn:iam::111122223333:root");
/// assert_eq!(doc["Statement"][0]["Action"][1], "sts:TagSession");
/// assert_eq!(doc["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"], "true");
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrustPolicyBuilder {
    partition: Option<String>,
    trusted: Vec<Trusted>,
    external_ids: Vec<String>,
    require_mfa: bool,
    allow_source_identity: bool,
    allow_tag_session: bool,
}

impl TrustPolicy {
    /// Starts a builder.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let err = TrustPolicy::builder().build().unwrap_err();
    /// assert!(err.to_string().contains("at least one trusted principal"));
    /// ```
    pub fn builder() -> TrustPolicyBuilder {
        TrustPolicyBuilder::default()
    }

    /// The partition of the policy's ARNs (`aws` unless set).
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").external_id("ExternalId123").build()?;
    /// assert_eq!(p.partition(), "aws");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The trusted principals as they appear in `Principal.AWS`, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").external_id("ExternalId123").build()?;
    /// assert_eq!(p.principals(), ["arn:aws:iam::111122223333:root"]);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn principals(&self) -> &[String] {
        &self.principals
    }

    /// The external IDs the policy accepts (any one of them), in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").external_id("ExternalId123").build()?;
    /// assert_eq!(p.external_ids(), ["ExternalId123"]);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn external_ids(&self) -> &[String] {
        &self.external_ids
    }

    /// Whether the policy requires MFA.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").require_mfa(true).external_id("ExternalId123").build()?;
    /// assert!(p.requires_mfa());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn requires_mfa(&self) -> bool {
        self.require_mfa
    }

    /// The policy document as pretty JSON: `Version` 2012-10-17 and one statement, keys in the
    /// order IAM shows them (`Effect`, `Principal`, `Action`, `Condition`), so the same inputs
    /// always give the same text.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").external_id("ExternalId123").build()?;
    /// let json = p.to_json();
    /// assert!(json.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": ["));
    /// assert!(json.contains("\"sts:ExternalId\": \"ExternalId123\""));
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
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder()
    ///     .trusted_account("111122223333")
    ///     .external_id("first-id-0001")
    ///     .external_id("second-id-0002")
    ///     .build()?;
    /// let ids = &p.to_value()["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"];
    /// assert_eq!(ids, &serde_json::json!(["first-id-0001", "second-id-0002"]));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn to_value(&self) -> serde_json::Value {
        self.document().to_value()
    }

    pub(crate) fn document(&self) -> Json {
        let mut actions = vec!["sts:AssumeRole".to_string()];
        if self.allow_source_identity {
            actions.push("sts:SetSourceIdentity".into());
        }
        if self.allow_tag_session {
            actions.push("sts:TagSession".into());
        }
        let mut statement = vec![
            ("Effect", Json::str("Allow")),
            (
                "Principal",
                Json::obj([("AWS", Json::one_or_many(self.principals.clone()))]),
            ),
            ("Action", Json::one_or_many(actions)),
        ];
        let mut conditions = Vec::new();
        if !self.external_ids.is_empty() {
            conditions.push((
                "StringEquals",
                Json::obj([(
                    "sts:ExternalId",
                    Json::one_or_many(self.external_ids.clone()),
                )]),
            ));
        }
        if self.require_mfa {
            conditions.push((
                "Bool",
                Json::obj([("aws:MultiFactorAuthPresent", Json::str("true"))]),
            ));
        }
        if !conditions.is_empty() {
            statement.push(("Condition", Json::obj(conditions)));
        }
        Json::obj([
            ("Version", Json::str("2012-10-17")),
            ("Statement", Json::Arr(vec![Json::obj(statement)])),
        ])
    }
}

impl TrustPolicyBuilder {
    /// The partition of the ARNs: `aws` (default), `aws-cn`, `aws-us-gov`, ...
    /// Error field: `partition`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().partition("aws-us-gov").trusted_account("111122223333").external_id("ExternalId123").build()?;
    /// assert_eq!(p.principals(), ["arn:aws-us-gov:iam::111122223333:root"]);
    /// assert!(TrustPolicy::builder().partition("azure").trusted_account("111122223333").external_id("ExternalId123").build().is_err());
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// Trusts an account (12 digits): `arn:PARTITION:iam::ID:root`, meaning any principal of
    /// that account whose own permissions allow `sts:AssumeRole` on the role. Repeatable.
    /// Error field: `trusted_account`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::{trust::TrustPolicy, Error};
    /// let err = TrustPolicy::builder().trusted_account("12345").external_id("ExternalId123").build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidParameter { field: "trusted_account", .. }));
    /// ```
    pub fn trusted_account(mut self, account_id: impl Into<String>) -> Self {
        self.trusted.push(Trusted::Account(account_id.into()));
        self
    }

    /// Trusts one principal by ARN: an IAM role (which also covers its sessions), an IAM user
    /// or an account root, in the policy's partition. Repeatable.
    /// Error field: `trusted_principal`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::{trust::TrustPolicy, Error};
    /// let p = TrustPolicy::builder()
    ///     .trusted_principal("arn:aws:iam::111122223333:role/Sync")
    ///     .external_id("ExternalId123")
    ///     .build()?;
    /// assert_eq!(p.principals(), ["arn:aws:iam::111122223333:role/Sync"]);
    /// let err = TrustPolicy::builder().trusted_principal("arn:aws:iam::111122223333:group/G").external_id("ExternalId123").build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidParameter { field: "trusted_principal", .. }));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn trusted_principal(mut self, arn: impl Into<String>) -> Self {
        self.trusted.push(Trusted::Principal(arn.into()));
        self
    }

    /// Requires `sts:ExternalId` to equal this value. Repeatable: any of the values is then
    /// accepted. Checked as an [`ExternalId`](crate::ExternalId). Error field: `external_id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::{trust::TrustPolicy, Error};
    /// let err = TrustPolicy::builder().trusted_account("111122223333").external_id("has space").build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidParameter { field: "external_id", .. }));
    /// ```
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_ids.push(external_id.into());
        self
    }

    /// Requires MFA: `"Bool": {"aws:MultiFactorAuthPresent": "true"}`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").require_mfa(true).external_id("ExternalId123").build()?;
    /// assert!(p.to_json().contains("\"aws:MultiFactorAuthPresent\": \"true\""));
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn require_mfa(mut self, require: bool) -> Self {
        self.require_mfa = require;
        self
    }

    /// Also allows `sts:SetSourceIdentity`, needed when the caller passes a `SourceIdentity`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").allow_source_identity(true).external_id("ExternalId123").build()?;
    /// assert_eq!(p.to_value()["Statement"][0]["Action"][1], "sts:SetSourceIdentity");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn allow_source_identity(mut self, allow: bool) -> Self {
        self.allow_source_identity = allow;
        self
    }

    /// Also allows `sts:TagSession`, needed when the caller passes session tags.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder().trusted_account("111122223333").allow_tag_session(true).external_id("ExternalId123").build()?;
    /// assert_eq!(p.to_value()["Statement"][0]["Action"][1], "sts:TagSession");
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn allow_tag_session(mut self, allow: bool) -> Self {
        self.allow_tag_session = allow;
        self
    }

    /// Checks everything and builds the policy. Duplicate principals and external IDs are kept
    /// once. Fails with [`Error::InvalidParameter`] naming the setter: `partition`,
    /// `trusted_account`, `trusted_principal` or `external_id`; with no principal at all, the
    /// field is `trusted_account`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::TrustPolicy;
    /// let p = TrustPolicy::builder()
    ///     .trusted_account("111122223333")
    ///     .trusted_account("111122223333")
    ///     .external_id("ExternalId123")
    ///     .build()?;
    /// assert_eq!(p.principals().len(), 1);
    /// # Ok::<(), cross_account::Error>(())
    /// ```
    pub fn build(self) -> Result<TrustPolicy, Error> {
        let partition = self.partition.unwrap_or_else(|| "aws".to_string());
        if !PARTITIONS.contains(&partition.as_str()) {
            return Err(Error::invalid(
                "partition",
                format!("{partition:?} is not one of {}", PARTITIONS.join(", ")),
            ));
        }
        let mut principals: Vec<String> = Vec::new();
        for trusted in self.trusted {
            let arn = match trusted {
                Trusted::Account(id) => {
                    if !is_account_id(&id) {
                        return Err(Error::invalid(
                            "trusted_account",
                            format!("account ID must be exactly 12 digits, but it is {id:?}"),
                        ));
                    }
                    format!("arn:{partition}:iam::{id}:root")
                }
                Trusted::Principal(arn) => {
                    validate_trusted_arn(&arn, &partition)
                        .map_err(|reason| Error::invalid("trusted_principal", reason))?;
                    arn
                }
            };
            if !principals.contains(&arn) {
                principals.push(arn);
            }
        }
        if principals.is_empty() {
            return Err(Error::invalid(
                "trusted_account",
                "at least one trusted principal is required: call trusted_account(ID) or trusted_principal(ARN)",
            ));
        }
        let mut external_ids: Vec<String> = Vec::new();
        for id in self.external_ids {
            let id = ExternalId::new(id)?.as_str().to_string();
            if !external_ids.contains(&id) {
                external_ids.push(id);
            }
        }
        if external_ids.is_empty() {
            return Err(Error::invalid(
                "external_id",
                "at least one external ID is required: without sts:ExternalId the role is open to the confused deputy problem (generate one with ExternalId::generate(), `cross-account external-id generate` or generate_external_id())",
            ));
        }
        Ok(TrustPolicy {
            partition,
            principals,
            external_ids,
            require_mfa: self.require_mfa,
            allow_source_identity: self.allow_source_identity,
            allow_tag_session: self.allow_tag_session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::{evaluate, AssumeRoleRequest};

    fn field(err: Error) -> (&'static str, String) {
        match err {
            Error::InvalidParameter { field, reason, .. } => (field, reason),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn exact_json_everything() {
        let p = TrustPolicy::builder()
            .trusted_account("111122223333")
            .trusted_principal("arn:aws:iam::444455556666:user/alice")
            .external_id("ExternalId123")
            .external_id("ExternalId456")
            .require_mfa(true)
            .allow_source_identity(true)
            .allow_tag_session(true)
            .build()
            .unwrap();
        assert_eq!(
            p.to_json(),
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111122223333:root",
          "arn:aws:iam::444455556666:user/alice"
        ]
      },
      "Action": [
        "sts:AssumeRole",
        "sts:SetSourceIdentity",
        "sts:TagSession"
      ],
      "Condition": {
        "StringEquals": {
          "sts:ExternalId": [
            "ExternalId123",
            "ExternalId456"
          ]
        },
        "Bool": {
          "aws:MultiFactorAuthPresent": "true"
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
    fn exact_json_minimal() {
        let p = TrustPolicy::builder()
            .trusted_principal("arn:aws:iam::111122223333:role/path/Sync")
            .external_id("ExternalId123")
            .build()
            .unwrap();
        assert_eq!(
            p.to_json(),
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:role/path/Sync"
      },
      "Action": "sts:AssumeRole",
      "Condition": {
        "StringEquals": {
          "sts:ExternalId": "ExternalId123"
        }
      }
    }
  ]
}"#
        );
    }

    #[test]
    fn validation_names_the_setter() {
        let b = || TrustPolicy::builder().trusted_account("111122223333");
        assert_eq!(
            field(
                b().partition("aws-xx")
                    .external_id("ExternalId123")
                    .build()
                    .unwrap_err()
            )
            .0,
            "partition"
        );
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "arn:aws:iam::111122223333:root",
        ] {
            let (f, reason) = field(
                TrustPolicy::builder()
                    .trusted_account(bad)
                    .external_id("ExternalId123")
                    .build()
                    .unwrap_err(),
            );
            assert_eq!(f, "trusted_account", "{bad}");
            assert!(reason.contains("12 digits"), "{reason}");
        }
        for bad in [
            "111122223333",
            "arn:aws:iam::111122223333:group/g",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "arn:aws-cn:iam::111122223333:root",
        ] {
            let (f, _) = field(b().trusted_principal(bad).build().unwrap_err());
            assert_eq!(f, "trusted_principal", "{bad}");
        }
        let (f, reason) = field(b().external_id("a").build().unwrap_err());
        assert_eq!(f, "external_id");
        assert!(reason.contains("2 to 1224"), "{reason}");
        let (f, reason) = field(
            TrustPolicy::builder()
                .external_id("ExternalId123")
                .build()
                .unwrap_err(),
        );
        assert_eq!(f, "trusted_account");
        assert!(
            reason.contains("at least one trusted principal"),
            "{reason}"
        );
    }

    #[test]
    fn partitions_and_dedup() {
        let p = TrustPolicy::builder()
            .partition("aws-cn")
            .trusted_account("111122223333")
            .trusted_principal("arn:aws-cn:iam::111122223333:root")
            .external_id("ExternalId123")
            .external_id("ExternalId123")
            .build()
            .unwrap();
        assert_eq!(p.partition(), "aws-cn");
        assert_eq!(p.principals(), ["arn:aws-cn:iam::111122223333:root"]);
        assert_eq!(p.external_ids(), ["ExternalId123"]);
        assert!(!p.requires_mfa());
    }

    #[test]
    fn generated_policies_evaluate_as_intended() {
        let p = TrustPolicy::builder()
            .trusted_account("111122223333")
            .external_id("ExternalId123-long-enough")
            .require_mfa(true)
            .build()
            .unwrap()
            .to_json();
        let user = AssumeRoleRequest::new("arn:aws:iam::111122223333:user/alice");
        let id = "ExternalId123-long-enough";
        assert!(evaluate(&p, &user.clone().external_id(id).mfa(true)).is_allowed());
        assert!(evaluate(&p, &user.clone().external_id(id)).is_denied());
        assert!(evaluate(&p, &user.clone().external_id("nope").mfa(true)).is_denied());
        assert!(evaluate(&p, &user.mfa(true)).is_denied());
        assert!(
            crate::trust::lint(&p).is_empty(),
            "{:?}",
            crate::trust::lint(&p)
        );
    }
}
