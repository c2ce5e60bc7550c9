//! Confused-deputy, federation, grammar and hygiene findings for a trust policy.

use super::condition::{Base, Operator, SetQualifier};
use super::document::{self, Document, Effect, Principals, Statement};
use super::finding::{
    covers, requires_key, LintCode, LintOptions, LintWarning, MIN_EXTERNAL_ID_LEN,
};
use super::glob;
use super::{deputy, federated, grammar};

/// Checks a role trust policy, with no context about the trusting side (see [`lint_with`]):
///
/// - **confused deputy**: the evaluator is asked whether a principal the policy trusts is let
///   in with no external ID, or with one other than those agreed
///   ([`LintCode::ConfusedDeputy`]); so a `Deny` guard on `sts:ExternalId` counts, and
///   `...IfExists`, `ForAllValues:`, `Null` and `StringNotEquals` checks do not;
/// - **federation**: OIDC trusts (GitHub Actions, EKS, any provider) without `sub` or `aud`
///   conditions or with a `sub` wildcard, SAML trusts without `SAML:aud`, principals with an
///   action they cannot call, services without `aws:SourceAccount`/`aws:SourceArn`;
/// - **IAM's grammar** ([`Severity::Error`](super::Severity::Error)): wildcards inside principal ARNs, condition keys
///   that differ only in case, unknown condition operators; set operators on single-valued keys
///   (a warning);
/// - **hygiene**: `Principal` `"*"`, `sts:ExternalId` wildcards, `...IfExists`,
///   `ForAllValues:`, external IDs shorter than [`MIN_EXTERNAL_ID_LEN`] characters, a missing
///   or old `Version`.
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
    lint_with(policy_json, &LintOptions::default())
}

/// [`lint`] with context: principals in [`LintOptions`]' accounts and organisations get a
/// [`LintCode::ConfusedDeputyQuieted`] note instead of a confused-deputy warning.
///
/// # Examples
///
/// ```
/// use cross_account::trust::{lint_with, LintCode, LintOptions};
/// let org_wide = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
///   "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}"#;
/// assert_eq!(lint_with(org_wide, &LintOptions::default())[0].code, LintCode::ConfusedDeputy);
/// let mine = LintOptions::builder().org("o-a1b2c3d4e5").build()?;
/// let notes = lint_with(org_wide, &mine);
/// assert_eq!(notes[0].code, LintCode::ConfusedDeputyQuieted);
/// assert!(notes[0].message.contains("--org"));
/// # Ok::<(), cross_account::Error>(())
/// ```
pub fn lint_with(policy_json: &str, options: &LintOptions) -> Vec<LintWarning> {
    match document::parse(policy_json) {
        Ok(doc) => lint_document(&doc, options),
        Err(reason) => vec![LintWarning::new(
            LintCode::InvalidPolicy,
            format!("not a valid trust policy: {reason}"),
            None,
        )],
    }
}

pub(crate) fn lint_document(doc: &Document, options: &LintOptions) -> Vec<LintWarning> {
    let mut out = Vec::new();
    match doc.version.as_deref() {
        None => out.push(LintWarning::new(
            LintCode::MissingVersion,
            "the policy has no Version; add \"Version\": \"2012-10-17\" (without it IAM uses 2008-10-17, which has no policy variables)".into(),
            None,
        )),
        Some("2012-10-17") => {}
        Some(other) => out.push(LintWarning::new(
            LintCode::OldVersion,
            format!(
                "the policy's Version is {other:?}; use \"2012-10-17\", the current policy language"
            ),
            None,
        )),
    }
    let errors = grammar::check(doc);
    if !errors.is_empty() {
        // IAM rejects the document: what it would mean if accepted is beside the point.
        out.extend(errors);
        return out;
    }
    for statement in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        lint_statement(statement, &mut out);
        federated::check(statement, options, &mut out);
    }
    out.extend(grammar::warnings(doc));
    out.extend(deputy::check(doc, options));
    out
}

/// The keys that restrict who the principal is, so `"*"` with one of them is not public.
const PRINCIPAL_KEYS: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
];

fn lint_statement(statement: &Statement, out: &mut Vec<LintWarning>) {
    let label = statement.label();
    let warn = |code, message: String| LintWarning::new(code, message, Some(statement.index));
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

    if covers(statement, "sts:AssumeRole") {
        let everyone = match &statement.principals {
            Principals::Everyone => true,
            Principals::Aws(list) => list.iter().any(|p| p == "*"),
        };
        let restricted = PRINCIPAL_KEYS.iter().any(|k| requires_key(statement, k));
        if everyone && !restricted {
            out.push(warn(
                LintCode::WildcardPrincipal,
                format!(
                    "{label} trusts \"*\": any AWS principal in any account may assume the role if the conditions hold; name the trusted account instead, or restrict it with aws:PrincipalOrgID or aws:PrincipalAccount"
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
        let patterns = op.base == Base::StringLike;
        if patterns {
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
            // A pattern's length says nothing: the wildcard warning covers it.
            for value in values
                .iter()
                .filter(|v| !(patterns && glob::has_wildcard(v)))
            {
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
    use crate::trust::finding::Severity;

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
        // Services are not AWS principals: no external ID is expected of them, but their
        // source account or ARN is.
        assert_eq!(
            codes(&one(r#"{"Service": "ec2.amazonaws.com"}"#, ASSUME, "")),
            [LintCode::ServiceWithoutSource]
        );
        assert_eq!(
            codes(&one(
                r#"{"Service": "ec2.amazonaws.com"}"#,
                ASSUME,
                r#"{"StringEquals": {"aws:SourceAccount": "444455556666"}}"#
            )),
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
        // A pattern that still pins the ID: the wildcard warning, no confused deputy, and no
        // length warning (the pattern's length says nothing).
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
        // "*" alone lets any ID in: the evaluator says so.
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringLike", "*"))),
            [LintCode::ExternalIdWildcard, LintCode::ConfusedDeputy]
        );
        // StringLike without a wildcard is just StringEquals.
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringLike", LONG_ID))),
            []
        );
        // IfExists and ForAllValues let a request without an ID in: both the form's warning
        // and the evaluator's confused-deputy verdict.
        assert_eq!(
            codes(&one(ACCOUNT, ASSUME, &ext("StringEqualsIfExists", LONG_ID))),
            [LintCode::ExternalIdIfExists, LintCode::ConfusedDeputy]
        );
        assert_eq!(
            codes(&one(
                ACCOUNT,
                ASSUME,
                &ext("ForAllValues:StringEquals", LONG_ID)
            )),
            [LintCode::ExternalIdForAllValues, LintCode::ConfusedDeputy]
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
                LintCode::SetOperatorOnSingleValuedKey,
                LintCode::ConfusedDeputy
            ]
        );
        // Key names are case-insensitive.
        let w = codes(&one(
            ACCOUNT,
            ASSUME,
            r#"{"StringEqualsIfExists": {"STS:EXTERNALID": "7M3Q9XKZ2R8TB4WN6PDC"}}"#,
        ));
        assert_eq!(w, [LintCode::ExternalIdIfExists, LintCode::ConfusedDeputy]);
    }

    #[test]
    fn deny_guards_are_judged_by_the_evaluator() {
        let policy = |deny_condition: &str| {
            format!(
                r#"{{"Version": "2012-10-17", "Statement": [
                {{"Effect": "Allow", "Principal": {ACCOUNT}, "Action": "sts:AssumeRole"}},
                {{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {deny_condition}}}]}}"#
            )
        };
        // The guard works: no finding.
        assert_eq!(codes(&policy(&ext("StringNotEquals", LONG_ID))), []);
        assert_eq!(codes(&policy(&ext("StringNotEqualsIfExists", LONG_ID))), []);
        // Guards that leave a way in: without an ID (IfExists on the Allow side, Null true
        // only) or with any ID.
        let w = lint(&policy(r#"{"Null": {"sts:ExternalId": "true"}}"#));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, LintCode::ConfusedDeputy);
        assert!(
            w[0].message.contains("other than the agreed ones"),
            "{}",
            w[0]
        );
        assert_eq!(w[0].statement, Some(0));
        // A Deny on a key the evaluator does not know is a property of the deputy: it
        // does not stop it.
        assert_eq!(
            codes(&policy(
                r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#
            )),
            [LintCode::ConfusedDeputy]
        );
    }

    #[test]
    fn own_accounts_and_orgs_quiet_the_deputy_warning() {
        let own = LintOptions::builder()
            .own_account("444455556666")
            .org("o-a1b2c3d4e5")
            .build()
            .unwrap();
        let w = lint_with(
            &one(
                r#"{"AWS": ["arn:aws:iam::444455556666:root", "111122223333"]}"#,
                ASSUME,
                "",
            ),
            &own,
        );
        let got: Vec<(LintCode, Severity)> = w.iter().map(|w| (w.code, w.severity)).collect();
        assert_eq!(
            got,
            [
                (LintCode::ConfusedDeputyQuieted, Severity::Note),
                (LintCode::ConfusedDeputy, Severity::Warning)
            ]
        );
        assert!(w[0]
            .message
            .contains("444455556666 is your own account (--own-account)"));
        assert!(w[1].message.contains("lets 111122223333 "), "{}", w[1]);
        assert!(!w[1].message.contains("444455556666"), "{}", w[1]);
        // "*" narrowed to the organisation, or to own accounts.
        let org = one(
            r#""*""#,
            ASSUME,
            r#"{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#,
        );
        assert_eq!(
            lint_with(&org, &own)[0].code,
            LintCode::ConfusedDeputyQuieted
        );
        assert_eq!(codes(&org), [LintCode::ConfusedDeputy]);
        let other_org = org.replace("o-a1b2c3d4e5", "o-zzzzzzzzzz");
        assert_eq!(
            lint_with(&other_org, &own)[0].code,
            LintCode::ConfusedDeputy
        );
        let accounts = one(
            r#""*""#,
            ASSUME,
            r#"{"StringEquals": {"aws:PrincipalAccount": "444455556666"}}"#,
        );
        assert_eq!(
            lint_with(&accounts, &own)[0].code,
            LintCode::ConfusedDeputyQuieted
        );
        for bad in [
            LintOptions::builder().own_account("12345").build(),
            LintOptions::builder().org("o-short").build(),
            LintOptions::builder().org("O-A1B2C3D4E5").build(),
        ] {
            assert!(bad.is_err());
        }
    }

    #[test]
    fn every_code_has_a_name_and_help() {
        for code in LintCode::ALL {
            assert_eq!(LintCode::from_name(code.as_str()), Some(*code));
            assert!(code.help().len() > 40, "{code}");
        }
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
