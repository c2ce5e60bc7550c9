//! Confused-deputy and hygiene warnings for a trust policy.

use std::fmt;

use super::condition::{Base, Operator, SetQualifier};
use super::document::{self, Actions, Effect, Principals, Statement};
use super::glob;

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
    /// An Allow trusts AWS principals (such as another account) without requiring
    /// `sts:ExternalId`: the confused deputy problem.
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
}

impl LintCode {
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
        }
    }
}

impl fmt::Display for LintCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of [`lint`].
///
/// # Examples
///
/// ```
/// use cross_account::trust::{lint, LintCode};
/// let warnings = lint(r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}"#);
/// let codes: Vec<LintCode> = warnings.iter().map(|w| w.code).collect();
/// assert_eq!(codes, [LintCode::MissingVersion, LintCode::WildcardPrincipal, LintCode::ConfusedDeputy]);
/// assert!(warnings[1].to_string().starts_with("wildcard-principal: Statement[0] "));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintWarning {
    /// What kind of problem it is.
    pub code: LintCode,
    /// What is wrong, where, and what to do instead.
    pub message: String,
    /// The statement concerned (`Statement[i]`, counted from 0), if any.
    pub statement: Option<usize>,
}

impl fmt::Display for LintWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Checks a role trust policy for the confused deputy problem and for hygiene:
///
/// - an Allow for `sts:AssumeRole` that trusts AWS principals (an account, a role, a user,
///   `"*"`) without a `StringEquals`/`StringLike` condition on `sts:ExternalId`
///   ([`LintCode::ConfusedDeputy`]; the policy's own account cannot be told apart, so a
///   same-account principal is flagged too);
/// - `Principal` `"*"` in an Allow ([`LintCode::WildcardPrincipal`]);
/// - `sts:ExternalId` matched with wildcards, `...IfExists` or `ForAllValues:`;
/// - an external ID shorter than [`MIN_EXTERNAL_ID_LEN`] characters;
/// - a missing `Version`, or one other than 2012-10-17.
///
/// Text that is not a trust policy IAM would accept gives one [`LintCode::InvalidPolicy`]
/// warning. A clean policy gives none.
///
/// # Examples
///
/// ```
/// use cross_account::trust::{lint, LintCode};
///
/// let clean = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///   "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
///   "Condition": {"StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}}}]}"#;
/// assert!(lint(clean).is_empty());
///
/// let risky = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///   "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]}"#;
/// assert_eq!(lint(risky)[0].code, LintCode::ConfusedDeputy);
/// ```
pub fn lint(policy_json: &str) -> Vec<LintWarning> {
    let doc = match document::parse(policy_json) {
        Ok(doc) => doc,
        Err(reason) => {
            return vec![LintWarning {
                code: LintCode::InvalidPolicy,
                message: format!("not a valid trust policy: {reason}"),
                statement: None,
            }]
        }
    };
    let mut out = Vec::new();
    match doc.version.as_deref() {
        None => out.push(LintWarning {
            code: LintCode::MissingVersion,
            message: "the policy has no Version; add \"Version\": \"2012-10-17\" (without it IAM uses 2008-10-17, which has no policy variables)".into(),
            statement: None,
        }),
        Some("2012-10-17") => {}
        Some(other) => out.push(LintWarning {
            code: LintCode::OldVersion,
            message: format!(
                "the policy's Version is {other:?}; use \"2012-10-17\", the current policy language"
            ),
            statement: None,
        }),
    }
    for statement in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        lint_statement(statement, &mut out);
    }
    out
}

fn covers_assume_role(statement: &Statement) -> bool {
    let hit = |patterns: &[String]| {
        patterns
            .iter()
            .any(|p| glob::matches(p, "sts:AssumeRole", true))
    };
    match &statement.actions {
        Actions::Action(patterns) => hit(patterns),
        Actions::NotAction(patterns) => !hit(patterns),
    }
}

fn lint_statement(statement: &Statement, out: &mut Vec<LintWarning>) {
    let label = statement.label();
    let warn = |code, message: String| LintWarning {
        code,
        message,
        statement: Some(statement.index),
    };
    let external_id_checks: Vec<(Operator, &Vec<String>)> = statement
        .conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case("sts:ExternalId"))
        .filter_map(|c| Operator::parse(&c.operator).ok().map(|op| (op, &c.values)))
        .collect();
    let requires = |op: &Operator| {
        matches!(
            op.base,
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike
        )
    };

    if covers_assume_role(statement) {
        let (everyone, aws): (bool, Vec<&str>) = match &statement.principals {
            Principals::Everyone => (true, vec!["*"]),
            Principals::Aws(list) => (
                list.iter().any(|p| p == "*"),
                list.iter().map(String::as_str).collect(),
            ),
        };
        if everyone {
            out.push(warn(
                LintCode::WildcardPrincipal,
                format!(
                    "{label} trusts \"*\": any AWS principal in any account may assume the role if the conditions hold; name the trusted account instead"
                ),
            ));
        }
        if !aws.is_empty() && !external_id_checks.iter().any(|(op, _)| requires(op)) {
            out.push(warn(
                LintCode::ConfusedDeputy,
                format!(
                    "{label} lets {} assume the role without an sts:ExternalId condition; if that is another party's account, anyone who gets that party to call AssumeRole with your role's ARN gets in (confused deputy). Add \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"...\"}}}} with an ID unique to you",
                    aws.join(", ")
                ),
            ));
        }
    }

    for (op, values) in &external_id_checks {
        if op.if_exists {
            out.push(warn(
                LintCode::ExternalIdIfExists,
                format!(
                    "{label} checks sts:ExternalId with an IfExists operator, so a request without any external ID passes; drop IfExists"
                ),
            ));
        }
        if op.set == Some(SetQualifier::ForAllValues) {
            out.push(warn(
                LintCode::ExternalIdForAllValues,
                format!(
                    "{label} checks sts:ExternalId with ForAllValues:, which holds when no external ID is sent; use plain StringEquals"
                ),
            ));
        }
        if op.base == Base::StringLike {
            for value in values.iter().filter(|v| glob::has_wildcard(v)) {
                out.push(warn(
                    LintCode::ExternalIdWildcard,
                    format!(
                        "{label} matches sts:ExternalId against the pattern '{value}'; a wildcard lets other external IDs in, so require the exact value with StringEquals"
                    ),
                ));
            }
        }
        if requires(op) {
            for value in values.iter() {
                let len = value.chars().count();
                if len < MIN_EXTERNAL_ID_LEN {
                    out.push(warn(
                        LintCode::ShortExternalId,
                        format!(
                            "{label} requires the external ID '{value}', {len} characters long; use at least {MIN_EXTERNAL_ID_LEN} random characters (cross-account can generate one)"
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG_ID: &str = "7M3Q9XKZ2R8TB4WN6PDC";

    fn codes(json: &str) -> Vec<LintCode> {
        lint(json).into_iter().map(|w| w.code).collect()
    }

    fn one(principal: &str, action: &str, condition: &str) -> String {
        let condition = if condition.is_empty() {
            String::new()
        } else {
            format!(r#", "Condition": {condition}"#)
        };
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {principal}, "Action": {action}{condition}}}]}}"#
        )
    }

    fn ext(op: &str, value: &str) -> String {
        format!(r#"{{"{op}": {{"sts:ExternalId": "{value}"}}}}"#)
    }

    const ACCOUNT: &str = r#"{"AWS": "arn:aws:iam::111122223333:root"}"#;
    const ASSUME: &str = r#""sts:AssumeRole""#;

    #[test]
    fn clean_policies_give_nothing() {
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringEquals", LONG_ID))),
            []
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                r#"["sts:AssumeRole", "sts:TagSession"]"#,
                &ext("StringEqualsIgnoreCase", LONG_ID)
            )),
            []
        );
        // Services are not AWS principals: no external ID is expected of them.
        assert_eq!(
            codes(&one(r#"{"Service": "ec2.amazonaws.com"}"#, ASSUME, "")),
            []
        );
        // A Deny with anything is not a finding.
        let deny = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]}"#;
        assert_eq!(codes(deny), []);
        // A statement that does not grant AssumeRole needs no external ID.
        assert_eq!(codes(&one(ACCOUNT, r#""sts:TagSession""#, "")), []);
        // And the builder's output with a generated ID.
        let built = crate::trust::TrustPolicy::builder()
            .trusted_account("111122223333")
            .external_id(crate::ExternalId::generate().unwrap().as_str())
            .build()
            .unwrap();
        assert_eq!(lint(&built.to_json()), []);
    }

    #[test]
    fn confused_deputy() {
        let w = lint(&one(ACCOUNT, ASSUME, ""));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, LintCode::ConfusedDeputy);
        assert_eq!(w[0].statement, Some(0));
        assert!(
            w[0].message.contains("arn:aws:iam::111122223333:root"),
            "{}",
            w[0]
        );
        assert!(w[0].message.contains("confused deputy"), "{}", w[0]);
        // Other conditions do not replace the external ID.
        assert_eq!(
            codes(&one(
                ACCOUNT,
                r#""sts:*""#,
                r#"{"Bool": {"aws:MultiFactorAuthPresent": "true"}}"#
            )),
            [LintCode::ConfusedDeputy]
        );
        // Neither does a negated check or a Null check.
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringNotEquals", LONG_ID))),
            [LintCode::ConfusedDeputy]
        );
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("Null", "false"))),
            [LintCode::ConfusedDeputy]
        );
        // NotAction that leaves AssumeRole in.
        assert_eq!(
            codes(
                &one(ACCOUNT, "null", "").replace(r#""Action": null"#, r#""NotAction": "iam:*""#)
            ),
            [LintCode::ConfusedDeputy]
        );
        // Roles and users of another account as well.
        assert_eq!(
            codes(&one(
                r#"{"AWS": ["arn:aws:iam::111122223333:role/R", "444455556666"]}"#,
                ASSUME,
                ""
            )),
            [LintCode::ConfusedDeputy]
        );
    }

    #[test]
    fn wildcard_principal() {
        for principal in [
            r#""*""#,
            r#"{"AWS": "*"}"#,
            r#"{"AWS": ["111122223333", "*"]}"#,
        ] {
            assert_eq!(
                codes(&one(principal, ASSUME, &ext("StringEquals", LONG_ID))),
                [LintCode::WildcardPrincipal],
                "{principal}"
            );
            assert_eq!(
                codes(&one(principal, ASSUME, "")),
                [LintCode::WildcardPrincipal, LintCode::ConfusedDeputy],
                "{principal}"
            );
        }
    }

    #[test]
    fn external_id_forms() {
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("StringLike", "7M3Q9XKZ2R8TB4WN*")
            )),
            [LintCode::ExternalIdWildcard]
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("StringLike", "7M3Q9XKZ2R8TB4W?")
            )),
            [LintCode::ExternalIdWildcard]
        );
        // StringLike without a wildcard is just StringEquals.
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringLike", LONG_ID))),
            []
        );
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringEqualsIfExists", LONG_ID))),
            [LintCode::ExternalIdIfExists]
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("ForAllValues:StringEquals", LONG_ID)
            )),
            [LintCode::ExternalIdForAllValues]
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("ForAnyValue:StringLikeIfExists", "*")
            )),
            [
                LintCode::ExternalIdIfExists,
                LintCode::ExternalIdWildcard,
                LintCode::ShortExternalId
            ]
        );
        // Key names are case-insensitive.
        let w = codes(&one(
            ACCOUNT,
            ASSUME,
            r#"{"StringEqualsIfExists": {"STS:EXTERNALID": "7M3Q9XKZ2R8TB4WN6PDC"}}"#,
        ));
        assert_eq!(w, [LintCode::ExternalIdIfExists]);
    }

    #[test]
    fn short_external_id() {
        let w = lint(&one(ACCOUNT, ASSUME, &ext("StringEquals", "ExternalId123")));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, LintCode::ShortExternalId);
        assert!(
            w[0].message.contains("'ExternalId123', 13 characters"),
            "{}",
            w[0]
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("StringEquals", "0123456789abcdef")
            )),
            []
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("StringEquals", "0123456789abcde")
            )),
            [LintCode::ShortExternalId]
        );
        let two = one(
            ACCOUNT,
            ASSUME,
            r#"{"StringEquals": {"sts:ExternalId": ["short1", "7M3Q9XKZ2R8TB4WN6PDC", "short2"]}}"#,
        );
        assert_eq!(
            codes(&two),
            [LintCode::ShortExternalId, LintCode::ShortExternalId]
        );
    }

    #[test]
    fn versions_and_invalid() {
        let no_version = one(ACCOUNT, ASSUME, &ext("StringEquals", LONG_ID))
            .replace(r#""Version": "2012-10-17", "#, "");
        assert_eq!(codes(&no_version), [LintCode::MissingVersion]);
        let old =
            one(ACCOUNT, ASSUME, &ext("StringEquals", LONG_ID)).replace("2012-10-17", "2008-10-17");
        assert_eq!(codes(&old), [LintCode::OldVersion]);
        for bad in [
            "",
            "{",
            "[]",
            r#"{"Version": "2012-10-17"}"#,
            r#"{"Version": "1.0", "Statement": []}"#,
        ] {
            let w = lint(bad);
            assert_eq!(w.len(), 1, "{bad}");
            assert_eq!(w[0].code, LintCode::InvalidPolicy);
            assert!(w[0].message.starts_with("not a valid trust policy: "));
        }
    }
}
