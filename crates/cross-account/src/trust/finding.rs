//! What the trust-policy lint reports (codes, severities, warnings) and what it is told
//! (options), plus the statement predicates its checks share: the vocabulary of `lint.rs`,
//! `deputy.rs`, `federated.rs` and `grammar.rs`, which all depend on it and not on each other.

use std::fmt;

use crate::error::Error;

use super::condition::Operator;
use super::document::{Actions, Statement};
use super::glob;
use super::principal::is_account_id;

/// External IDs shorter than this are flagged: they can be guessed or collide between customers.
///
/// # Examples
///
/// ```
/// use cross_account::{trust::MIN_EXTERNAL_ID_LEN, ExternalId};
/// assert!(ExternalId::generate()?.as_str().len() >= MIN_EXTERNAL_ID_LEN);
/// # Ok::<(), cross_account::Error>(())
/// ```
pub const MIN_EXTERNAL_ID_LEN: usize = 16;

/// How bad a [`LintWarning`] is.
///
/// # Examples
///
/// ```
/// use cross_account::trust::{LintCode, Severity};
/// assert_eq!(LintCode::WildcardInPrincipalArn.severity(), Severity::Error);
/// assert_eq!(LintCode::ConfusedDeputy.severity(), Severity::Warning);
/// assert_eq!(Severity::Note.as_str(), "note");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// IAM rejects the policy (`trust-policy lint` and `check` exit 2).
    Error,
    /// IAM accepts it, but it is risky or does not do what it seems to.
    Warning,
    /// Information only, e.g. a warning quieted by the context given.
    Note,
}

impl Severity {
    /// `"error"`, `"warning"` or `"note"` (SARIF's level names).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a [`LintWarning`] is about.
///
/// # Examples
///
/// ```
/// use cross_account::trust::LintCode;
/// assert_eq!(LintCode::ConfusedDeputy.as_str(), "confused-deputy");
/// assert_eq!(LintCode::ShortExternalId.to_string(), "short-external-id");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintCode {
    /// A trusted AWS principal is let in with no external ID, or with one other than the
    /// agreed ones, as the evaluator decides: the confused deputy problem.
    ConfusedDeputy,
    /// An Allow trusts `"*"`: any AWS principal in any account.
    WildcardPrincipal,
    /// `sts:ExternalId` is matched with `StringLike` and a wildcard.
    ExternalIdWildcard,
    /// `sts:ExternalId` is checked with an `...IfExists` operator: a request without an external
    /// ID passes.
    ExternalIdIfExists,
    /// `sts:ExternalId` is checked with `ForAllValues:`: a request without an external ID passes.
    ExternalIdForAllValues,
    /// A required external ID is shorter than [`MIN_EXTERNAL_ID_LEN`] characters.
    ShortExternalId,
    /// The policy has no `Version` (IAM then uses 2008-10-17, without policy variables).
    MissingVersion,
    /// The policy's `Version` is not 2012-10-17.
    OldVersion,
    /// The text is not a role trust policy IAM would accept.
    InvalidPolicy,
    /// A principal ARN has a wildcard inside it, which IAM rejects (only `"*"` alone is allowed).
    WildcardInPrincipalArn,
    /// Two condition keys of one operator differ only in case: IAM rejects the policy (keys
    /// are case-insensitive, so they are the same key twice).
    DuplicateConditionKey,
    /// A condition operator IAM does not know (misspelled, or in the wrong case).
    UnknownConditionOperator,
    /// `ForAnyValue:`/`ForAllValues:` on a key that has one value in an AssumeRole request.
    SetOperatorOnSingleValuedKey,
    /// An action that the statement's principals cannot call (a federated principal with
    /// `sts:AssumeRole`, an AWS principal with `sts:AssumeRoleWithWebIdentity`, ...).
    PrincipalActionMismatch,
    /// An OIDC trust (GitHub Actions, EKS) without a condition on the token's `sub`.
    OidcSubMissing,
    /// An OIDC trust whose `sub` condition is a wildcard that pins no repository or namespace.
    OidcSubWildcard,
    /// An OIDC trust without a condition on the token's `aud`.
    OidcAudMissing,
    /// A SAML trust without a condition on `SAML:aud`.
    SamlAudMissing,
    /// A service principal without `aws:SourceAccount` or `aws:SourceArn`: the cross-service
    /// confused deputy.
    ServiceWithoutSource,
    /// A confused-deputy finding quieted because the principal is in an account or
    /// organisation given as the user's own (a note).
    ConfusedDeputyQuieted,
}

impl LintCode {
    /// Every code, in the order of their documentation (the SARIF rules list).
    pub const ALL: &'static [LintCode] = &[
        LintCode::ConfusedDeputy,
        LintCode::WildcardPrincipal,
        LintCode::ExternalIdWildcard,
        LintCode::ExternalIdIfExists,
        LintCode::ExternalIdForAllValues,
        LintCode::ShortExternalId,
        LintCode::MissingVersion,
        LintCode::OldVersion,
        LintCode::InvalidPolicy,
        LintCode::WildcardInPrincipalArn,
        LintCode::DuplicateConditionKey,
        LintCode::UnknownConditionOperator,
        LintCode::SetOperatorOnSingleValuedKey,
        LintCode::PrincipalActionMismatch,
        LintCode::OidcSubMissing,
        LintCode::OidcSubWildcard,
        LintCode::OidcAudMissing,
        LintCode::SamlAudMissing,
        LintCode::ServiceWithoutSource,
        LintCode::ConfusedDeputyQuieted,
    ];

    /// The stable kebab-case name, for output and for suppressing a warning.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::LintCode;
    /// assert_eq!(LintCode::WildcardPrincipal.as_str(), "wildcard-principal");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            LintCode::ConfusedDeputy => "confused-deputy",
            LintCode::WildcardPrincipal => "wildcard-principal",
            LintCode::ExternalIdWildcard => "external-id-wildcard",
            LintCode::ExternalIdIfExists => "external-id-if-exists",
            LintCode::ExternalIdForAllValues => "external-id-for-all-values",
            LintCode::ShortExternalId => "short-external-id",
            LintCode::MissingVersion => "missing-version",
            LintCode::OldVersion => "old-version",
            LintCode::InvalidPolicy => "invalid-policy",
            LintCode::WildcardInPrincipalArn => "wildcard-in-principal-arn",
            LintCode::DuplicateConditionKey => "duplicate-condition-key",
            LintCode::UnknownConditionOperator => "unknown-condition-operator",
            LintCode::SetOperatorOnSingleValuedKey => "set-operator-on-single-valued-key",
            LintCode::PrincipalActionMismatch => "principal-action-mismatch",
            LintCode::OidcSubMissing => "oidc-sub-missing",
            LintCode::OidcSubWildcard => "oidc-sub-wildcard",
            LintCode::OidcAudMissing => "oidc-aud-missing",
            LintCode::SamlAudMissing => "saml-aud-missing",
            LintCode::ServiceWithoutSource => "service-without-source",
            LintCode::ConfusedDeputyQuieted => "confused-deputy-quieted",
        }
    }

    /// The code of a name given by [`as_str`](LintCode::as_str).
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::LintCode;
    /// assert_eq!(LintCode::from_name("oidc-sub-missing"), Some(LintCode::OidcSubMissing));
    /// assert_eq!(LintCode::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<LintCode> {
        LintCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// How bad a finding of this code is: [`Severity::Error`] for what IAM rejects.
    pub fn severity(self) -> Severity {
        match self {
            LintCode::InvalidPolicy
            | LintCode::WildcardInPrincipalArn
            | LintCode::DuplicateConditionKey
            | LintCode::UnknownConditionOperator => Severity::Error,
            LintCode::ConfusedDeputyQuieted => Severity::Note,
            _ => Severity::Warning,
        }
    }

    /// One paragraph on the rule and its fix (SARIF `help`, `--help` text).
    pub fn help(self) -> &'static str {
        match self {
            LintCode::ConfusedDeputy => "A principal of another account can assume the role without the external ID agreed with you, so whoever gets that party to call AssumeRole with your role's ARN gets in (the confused deputy problem). Require the ID with \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"...\"}}, unique to you. For your own accounts or organisation, pass --own-account / --org.",
            LintCode::WildcardPrincipal => "\"Principal\": \"*\" trusts every AWS principal in every account. Name the trusted accounts or roles, or restrict \"*\" with aws:PrincipalOrgID / aws:PrincipalAccount.",
            LintCode::ExternalIdWildcard => "sts:ExternalId is matched against a pattern, so other external IDs get in too. Require the exact value with StringEquals.",
            LintCode::ExternalIdIfExists => "An ...IfExists operator on sts:ExternalId holds when no external ID is sent. Drop IfExists.",
            LintCode::ExternalIdForAllValues => "ForAllValues: holds when the key is absent, so a request without an external ID passes. Use plain StringEquals.",
            LintCode::ShortExternalId => "Short external IDs can be guessed or collide between customers. Use at least 16 random characters (cross-account external-id generate).",
            LintCode::MissingVersion => "Without \"Version\": \"2012-10-17\" IAM reads the policy in the 2008-10-17 language, which has no policy variables.",
            LintCode::OldVersion => "Use \"Version\": \"2012-10-17\", the current policy language.",
            LintCode::InvalidPolicy => "IAM rejects this document as a role trust policy (MalformedPolicyDocument). Fix the element named in the message.",
            LintCode::WildcardInPrincipalArn => "IAM allows \"*\" alone as a principal, but no wildcard inside a principal ARN; it rejects the policy. Name each principal, or use \"*\" with an aws:PrincipalArn ArnLike condition.",
            LintCode::DuplicateConditionKey => "Condition keys are case-insensitive, so keys of one operator that differ only in case are the same key twice; IAM rejects the policy (Access Analyzer: error). Keep one key with all its values.",
            LintCode::UnknownConditionOperator => "The condition operator is not in IAM's grammar (operators are case-sensitive); IAM rejects the policy. Use StringEquals, StringLike, ArnLike, Bool, Null, ...",
            LintCode::SetOperatorOnSingleValuedKey => "ForAnyValue:/ForAllValues: are for multivalued keys. On a single-valued key ForAllValues: also holds when the key is absent. Use the plain operator.",
            LintCode::PrincipalActionMismatch => "Federated principals call sts:AssumeRoleWithWebIdentity (OIDC) or sts:AssumeRoleWithSAML (SAML); AWS and service principals call sts:AssumeRole. An action the principal cannot call grants nothing; one it can is missing.",
            LintCode::OidcSubMissing => "Without a condition on the token's sub, any identity of the provider (any GitHub repository, any Kubernetes service account of the cluster) can assume the role. Add StringEquals/StringLike on PROVIDER:sub, e.g. \"repo:ORG/REPO:ref:refs/heads/main\".",
            LintCode::OidcSubWildcard => "The sub pattern pins no repository (GitHub: repo:ORG/REPO:...) or namespace (EKS: system:serviceaccount:NAMESPACE:NAME), so identities of other owners match. Pin the owner before any wildcard.",
            LintCode::OidcAudMissing => "Without a condition on the token's aud, tokens issued to other applications of the provider are accepted. Add StringEquals PROVIDER:aud (sts.amazonaws.com for GitHub and EKS, the client ID otherwise).",
            LintCode::SamlAudMissing => "Without SAML:aud, assertions meant for other service providers are accepted. Add StringEquals \"SAML:aud\": \"https://signin.aws.amazon.com/saml\".",
            LintCode::ServiceWithoutSource => "A service principal without aws:SourceAccount or aws:SourceArn can be made to act on your role by another account's resources (the cross-service confused deputy). Add StringEquals aws:SourceAccount YOUR_ACCOUNT and ArnLike aws:SourceArn for the resource, where the service sets these keys.",
            LintCode::ConfusedDeputyQuieted => "A principal let in without an external ID is in an account or organisation given as your own (--own-account, --org), so no confused-deputy warning is given.",
        }
    }
}

impl fmt::Display for LintCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of [`lint`](super::lint()).
///
/// # Examples
///
/// ```
/// use cross_account::trust::{lint, LintCode, Severity};
/// let warnings = lint(r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}"#);
/// let codes: Vec<LintCode> = warnings.iter().map(|w| w.code).collect();
/// assert_eq!(codes, [LintCode::MissingVersion, LintCode::WildcardPrincipal, LintCode::ConfusedDeputy]);
/// assert!(warnings[1].to_string().starts_with("wildcard-principal: Statement[0] "));
/// assert_eq!(warnings[1].severity, Severity::Warning);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LintWarning {
    /// What kind of problem it is.
    pub code: LintCode,
    /// What is wrong, where, and what to do instead.
    pub message: String,
    /// The statement concerned (`Statement[i]`, counted from 0), if any.
    pub statement: Option<usize>,
    /// How bad it is (the code's [`severity`](LintCode::severity)).
    pub severity: Severity,
}

impl LintWarning {
    /// A finding of `code` about `statement`, with the code's severity; for bindings that
    /// rebuild a warning from its parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{LintCode, LintWarning, Severity};
    /// let w = LintWarning::new(LintCode::OldVersion, "use 2012-10-17".into(), None);
    /// assert_eq!(w.severity, Severity::Warning);
    /// assert_eq!(w.to_string(), "old-version: use 2012-10-17");
    /// ```
    pub fn new(code: LintCode, message: String, statement: Option<usize>) -> LintWarning {
        LintWarning {
            code,
            message,
            statement,
            severity: code.severity(),
        }
    }
}

impl fmt::Display for LintWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// What the lint may assume about the trusting side: its own accounts and organisation.
/// Principals in them get a [`LintCode::ConfusedDeputyQuieted`] note instead of a
/// [`LintCode::ConfusedDeputy`] warning.
///
/// # Examples
///
/// ```
/// use cross_account::trust::{lint_with, LintCode, LintOptions};
/// let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///   "Principal": {"AWS": "arn:aws:iam::444455556666:role/Deployer"}, "Action": "sts:AssumeRole"}]}"#;
/// let mine = LintOptions::builder().own_account("444455556666").build()?;
/// assert_eq!(lint_with(policy, &mine)[0].code, LintCode::ConfusedDeputyQuieted);
/// assert!(LintOptions::builder().org("acme").build().is_err());
/// # Ok::<(), cross_account::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintOptions {
    own_accounts: Vec<String>,
    orgs: Vec<String>,
}

/// Builder for [`LintOptions`].
#[derive(Debug, Clone, Default)]
pub struct LintOptionsBuilder {
    own_accounts: Vec<String>,
    orgs: Vec<String>,
}

impl LintOptions {
    /// Starts a builder.
    pub fn builder() -> LintOptionsBuilder {
        LintOptionsBuilder::default()
    }

    /// The accounts given as the trusting side's own.
    pub fn own_accounts(&self) -> &[String] {
        &self.own_accounts
    }

    /// The organisations given as the trusting side's own.
    pub fn orgs(&self) -> &[String] {
        &self.orgs
    }

    pub(crate) fn is_own_account(&self, account: &str) -> bool {
        self.own_accounts.iter().any(|a| a == account)
    }

    pub(crate) fn is_own_org(&self, org: &str) -> bool {
        self.orgs.iter().any(|o| o == org)
    }
}

impl LintOptionsBuilder {
    /// An account (12 digits) of the trusting side's own (repeatable).
    pub fn own_account(mut self, account: impl Into<String>) -> Self {
        self.own_accounts.push(account.into());
        self
    }

    /// The trusting side's AWS Organizations ID, `o-` and 10 to 32 lowercase letters or
    /// digits (repeatable).
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.orgs.push(org.into());
        self
    }

    /// Checks the values: errors name the field `own_account` or `org`.
    pub fn build(self) -> Result<LintOptions, Error> {
        for account in &self.own_accounts {
            if !is_account_id(account) {
                return Err(Error::invalid(
                    "own_account",
                    format!("an account ID is exactly 12 digits, but it is {account:?}"),
                ));
            }
        }
        for org in &self.orgs {
            let ok = org.strip_prefix("o-").is_some_and(|rest| {
                (10..=32).contains(&rest.len())
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
            if !ok {
                return Err(Error::invalid(
                    "org",
                    format!("an organization ID is o- and 10 to 32 lowercase letters or digits (o-a1b2c3d4e5), but it is {org:?}"),
                ));
            }
        }
        Ok(LintOptions {
            own_accounts: self.own_accounts,
            orgs: self.orgs,
        })
    }
}

/// Whether the statement's actions cover `action` (wildcards, NotAction).
pub(crate) fn covers(statement: &Statement, action: &str) -> bool {
    let hit = |patterns: &[String]| patterns.iter().any(|p| glob::matches(p, action, true));
    match &statement.actions {
        Actions::Action(patterns) => hit(patterns),
        Actions::NotAction(patterns) => !hit(patterns),
    }
}

/// Whether a condition that requires a match restricts `key` (case-insensitive).
pub(crate) fn requires_key(statement: &Statement, key: &str) -> bool {
    statement.conditions.iter().any(|c| {
        c.key.eq_ignore_ascii_case(key)
            && Operator::parse(&c.operator).is_ok_and(|op| op.requires_match())
    })
}
