//! `SessionOptions`: every AssumeRole parameter and source setting of a session, as one plain
//! value that every face (builder, CLI flags, CLI cache key, `config-snippet`, Python keywords,
//! the pool's key, a worker's spec) maps onto.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Everything that decides which credentials a session gets: the AssumeRole parameters and
/// where the source credentials, region and endpoint come from. Plain values, validated when a
/// session is built from them; no secret is ever in here (an external ID is not a secret, and
/// the MFA code comes from a provider set on the builder).
///
/// The fields are public and the struct is deliberately **not** `#[non_exhaustive]`: each face
/// builds or destructures it exhaustively, so a new field fails to compile until every face
/// handles it. Two equal values ask STS for the same thing, so `Hash`/`Eq` make it a cache and
/// pool key.
///
/// # Examples
///
/// ```
/// use cross_account::{CrossAccountSession, SessionOptions};
///
/// let options = SessionOptions {
///     external_id: Some("ExternalId123".into()),
///     region: Some("eu-west-1".into()),
///     ..SessionOptions::new("arn:aws:iam::123456789012:role/DemoRole")
/// };
/// let json = serde_json::to_string(&options)?;
/// assert_eq!(serde_json::from_str::<SessionOptions>(&json)?, options);
///
/// let session = CrossAccountSession::builder().options(options.clone()).build()?;
/// assert_eq!(session.options(), &options);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionOptions {
    /// The role to assume, `arn:PARTITION:iam::ACCOUNT:role/NAME`. Required.
    pub role_arn: String,
    /// The external ID the trust policy requires (`sts:ExternalId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The role session name (default `cross-account-<unix millis>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// The session lifetime asked for, whole seconds, 15 minutes to 12 hours (default 1 hour).
    #[serde(
        with = "duration_secs",
        rename = "duration_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<Duration>,
    /// An inline session policy (JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed policies used as session policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Session tags, `(key, value)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Tag keys that pass on through role chaining.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// The source identity recorded in CloudTrail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// The MFA device the trust policy requires; the code comes from the builder's token
    /// provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_serial: Option<String>,
    /// The region whose STS endpoint is called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A custom STS endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The named profile the source credentials come from: exactly that profile's, even when
    /// the environment holds keys (as the AWS CLI's `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The source credentials come from exactly this place (a role profile's
    /// `credential_source`); not with `profile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_source: Option<CredentialSource>,
    /// Role chaining: the role assumed first, whose credentials then assume this one (the
    /// duration is clamped to 1 hour).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_role: Option<Box<SessionOptions>>,
}

impl SessionOptions {
    /// Options for `role_arn` with everything else at its default.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = cross_account::SessionOptions::new("arn:aws:iam::123456789012:role/R");
    /// assert_eq!(o.role_arn, "arn:aws:iam::123456789012:role/R");
    /// assert!(o.external_id.is_none());
    /// ```
    pub fn new(role_arn: impl Into<String>) -> Self {
        SessionOptions {
            role_arn: role_arn.into(),
            ..SessionOptions::default()
        }
    }

    /// The same options with the lists STS reads as sets in one order: tags by key, policy
    /// ARNs and transitive tag keys sorted, through the whole role chain. Options that differ
    /// only in those orders ask for the same credentials, so the pool keys its tenants and the
    /// CLI its cache on this form. Borrowed when the options already are in it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = cross_account::SessionOptions::new("arn:aws:iam::123456789012:role/R");
    /// a.tags = vec![("team".into(), "data".into()), ("env".into(), "prod".into())];
    /// let mut b = a.clone();
    /// b.tags.reverse();
    /// assert_ne!(a, b);
    /// assert_eq!(a.canonical(), b.canonical());
    /// ```
    pub fn canonical(&self) -> Cow<'_, SessionOptions> {
        if self.is_canonical() {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.clone().into_canonical())
        }
    }

    /// [`canonical`](Self::canonical), by value.
    pub fn into_canonical(mut self) -> SessionOptions {
        if !self.is_canonical() {
            self.tags
                .sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            self.policy_arns.sort();
            self.transitive_tag_keys.sort();
            self.source_role = self
                .source_role
                .map(|first| Box::new(first.into_canonical()));
        }
        self
    }

    fn is_canonical(&self) -> bool {
        self.tags.is_sorted_by(|a, b| (&a.0, &a.1) <= (&b.0, &b.1))
            && self.policy_arns.is_sorted()
            && self.transitive_tag_keys.is_sorted()
            && self.source_role.as_deref().is_none_or(Self::is_canonical)
    }

    /// A stable text form (JSON, fields in declaration order, defaults left out), for cache
    /// keys and for shipping the options to another process.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = cross_account::SessionOptions::new("arn:aws:iam::123456789012:role/R");
    /// assert_eq!(o.to_json(), r#"{"role_arn":"arn:aws:iam::123456789012:role/R"}"#);
    /// ```
    pub fn to_json(&self) -> String {
        // Only strings, numbers and lists: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The inverse of [`to_json`](Self::to_json). Unknown fields are refused.
    pub fn from_json(text: &str) -> Result<Self, crate::Error> {
        serde_json::from_str(text).map_err(|e| {
            crate::Error::invalid_parameter(
                "options",
                format!("is not a SessionOptions JSON object: {e}"),
            )
        })
    }
}

mod duration_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

/// Where the source credentials of a role profile come from when it names no
/// `source_profile`: the profile's `credential_source` key.
///
/// # Examples
///
/// ```
/// use cross_account::CredentialSource;
/// assert_eq!("Environment".parse::<CredentialSource>()?, CredentialSource::Environment);
/// assert_eq!(CredentialSource::EcsContainer.as_str(), "EcsContainer");
/// # Ok::<(), cross_account::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and nothing else.
    Environment,
    /// The EC2 instance profile, from the instance metadata service.
    Ec2InstanceMetadata,
    /// The ECS / container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_*`).
    EcsContainer,
}

impl CredentialSource {
    /// The value as written in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            CredentialSource::EcsContainer => "EcsContainer",
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CredentialSource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "Environment" => Ok(CredentialSource::Environment),
            "Ec2InstanceMetadata" => Ok(CredentialSource::Ec2InstanceMetadata),
            "EcsContainer" => Ok(CredentialSource::EcsContainer),
            other => Err(Error::invalid(
                "credential_source",
                format!(
                    "must be Environment, Ec2InstanceMetadata or EcsContainer, but it is {other:?}"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_field() {
        let options = SessionOptions {
            role_arn: "arn:aws:iam::123456789012:role/Target".into(),
            external_id: Some("ExternalId123".into()),
            session_name: Some("nightly".into()),
            duration: Some(Duration::from_secs(1800)),
            policy: Some("{}".into()),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            tags: vec![("team".into(), "data".into())],
            transitive_tag_keys: vec!["team".into()],
            source_identity: Some("alice".into()),
            mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
            region: Some("eu-west-1".into()),
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            profile: Some("partner".into()),
            credential_source: None,
            source_role: Some(Box::new(SessionOptions::new(
                "arn:aws:iam::111111111111:role/Hop",
            ))),
        };
        let json = options.to_json();
        assert!(json.contains(r#""duration_seconds":1800"#), "{json}");
        assert_eq!(SessionOptions::from_json(&json).unwrap(), options);
    }

    #[test]
    fn unknown_fields_are_refused_with_the_field_named() {
        let err = SessionOptions::from_json(r#"{"role_arn":"x","externalid":"y"}"#).unwrap_err();
        assert!(err.to_string().contains("externalid"), "{err}");
    }
}
