//! IAM's grammar beyond what the parser enforces: what IAM rejects in an otherwise well-formed
//! document ([`Severity::Error`](super::Severity::Error)), and set operators on single-valued
//! keys (a warning, which IAM accepts).

use super::condition::{self, Operator};
use super::document::{Document, Principals, Statement};
use super::finding::{LintCode, LintWarning};
use super::glob::has_wildcard;

/// The grammar errors of a document, statement by statement. Empty when IAM would accept it.
pub(crate) fn check(doc: &Document) -> Vec<LintWarning> {
    let mut out = Vec::new();
    for statement in &doc.statements {
        check_statement(statement, &mut out);
    }
    out
}

/// The grammar warnings of a document that IAM accepts.
pub(crate) fn warnings(doc: &Document) -> Vec<LintWarning> {
    let mut out = Vec::new();
    for statement in &doc.statements {
        set_operators(statement, &mut out);
    }
    out
}

/// The first reason IAM would reject the document, for `check`.
pub(crate) fn first_error(doc: &Document) -> Option<String> {
    check(doc).into_iter().next().map(|w| w.message)
}

fn check_statement(statement: &Statement, out: &mut Vec<LintWarning>) {
    let label = statement.label();
    let error = |code, message: String| LintWarning::new(code, message, Some(statement.index));
    if let Principals::Aws(entries) = &statement.principals {
        for entry in entries
            .iter()
            .filter(|e| e.starts_with("arn:") && has_wildcard(e))
        {
            out.push(error(
                LintCode::WildcardInPrincipalArn,
                format!(
                    "{label} names the principal {entry:?}, with a wildcard inside the ARN; IAM rejects it (\"Invalid principal in policy\"): only \"*\" alone may be a wildcard principal. Name each principal, or use \"*\" with an ArnLike aws:PrincipalArn condition"
                ),
            ));
        }
    }
    let mut reported_operators: Vec<&str> = Vec::new();
    for entry in &statement.conditions {
        if reported_operators.contains(&entry.operator.as_str()) {
            continue;
        }
        if let Err(reason) = condition::check_grammar(&entry.operator) {
            reported_operators.push(&entry.operator);
            out.push(error(
                LintCode::UnknownConditionOperator,
                format!("{label}: {reason}"),
            ));
        }
    }
    for (i, a) in statement.conditions.iter().enumerate() {
        let twin = statement.conditions[..i].iter().find(|b| {
            b.operator == a.operator && b.key != a.key && b.key.eq_ignore_ascii_case(&a.key)
        });
        if let Some(b) = twin {
            out.push(error(
                LintCode::DuplicateConditionKey,
                format!(
                    "{label}: {} has the keys {:?} and {:?}, which differ only in case; condition keys are case-insensitive, so this is one key twice and IAM rejects the policy. Keep one key with all its values",
                    a.operator, b.key, a.key
                ),
            ));
        }
    }
}

fn set_operators(statement: &Statement, out: &mut Vec<LintWarning>) {
    for entry in &statement.conditions {
        let Some(rest) = entry
            .operator
            .strip_prefix("ForAnyValue:")
            .or_else(|| entry.operator.strip_prefix("ForAllValues:"))
        else {
            continue;
        };
        if !condition::is_single_valued(&entry.key) {
            continue;
        }
        // ForAllValues on the external ID has its own, more precise warning.
        let own_warning = entry.key.eq_ignore_ascii_case("sts:ExternalId")
            && Operator::parse(&entry.operator)
                .is_ok_and(|op| op.set == Some(condition::SetQualifier::ForAllValues));
        if own_warning {
            continue;
        }
        out.push(LintWarning::new(
            LintCode::SetOperatorOnSingleValuedKey,
            format!(
                "{}: {} on {}, a single-valued key: set operators are for multivalued keys (ForAllValues: even holds when the key is absent); use {rest}",
                statement.label(),
                entry.operator,
                entry.key
            ),
            Some(statement.index),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::document;

    fn codes(json: &str) -> Vec<LintCode> {
        let doc = document::parse(json).unwrap();
        let mut all = check(&doc);
        if all.is_empty() {
            all.extend(warnings(&doc));
        }
        all.into_iter().map(|w| w.code).collect()
    }

    fn with(principal: &str, condition: &str) -> String {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {principal}, "Action": "sts:AssumeRole", "Condition": {condition}}}]}}"#
        )
    }

    const ACC: &str = r#"{"AWS": "111122223333"}"#;

    #[test]
    fn wildcards_inside_principal_arns() {
        for p in [
            r#"{"AWS": "arn:aws:iam::111122223333:role/*"}"#,
            r#"{"AWS": ["111122223333", "arn:aws:iam::*:root"]}"#,
            r#"{"AWS": "arn:aws:iam::111122223333:user/a?"}"#,
        ] {
            assert_eq!(
                codes(&with(p, "{}")),
                [LintCode::WildcardInPrincipalArn],
                "{p}"
            );
        }
        // "*" alone, and a plain account, are fine.
        assert_eq!(codes(&with(r#"{"AWS": "*"}"#, "{}")), []);
        assert_eq!(codes(&with(ACC, "{}")), []);
    }

    #[test]
    fn operators_and_duplicate_keys() {
        for op in [
            "StringEqual",
            "stringequals",
            "NullIfExists",
            "ForAnyValue:Null",
            "Foo",
        ] {
            let p = with(ACC, &format!(r#"{{"{op}": {{"sts:ExternalId": "x"}}}}"#));
            assert_eq!(codes(&p), [LintCode::UnknownConditionOperator], "{op}");
        }
        let doc = document::parse(&with(ACC, r#"{"stringEquals": {"a": "x"}}"#)).unwrap();
        assert!(check(&doc)[0]
            .message
            .contains("did you mean \"StringEquals\""));
        for op in [
            "StringEquals",
            "NumericLessThanIfExists",
            "ForAnyValue:StringLike",
            "IpAddress",
            "DateGreaterThan",
        ] {
            let p = with(ACC, &format!(r#"{{"{op}": {{"aws:TagKeys": "x"}}}}"#));
            assert_eq!(codes(&p), [], "{op}");
        }
        let dup = with(
            ACC,
            r#"{"StringEquals": {"sts:ExternalId": "a", "STS:EXTERNALID": "b"}}"#,
        );
        assert_eq!(codes(&dup), [LintCode::DuplicateConditionKey]);
        // The same key under two operators is legal (both must hold).
        let two_ops = with(
            ACC,
            r#"{"StringEquals": {"sts:ExternalId": "a"}, "StringLike": {"STS:EXTERNALID": "a*"}}"#,
        );
        assert_eq!(codes(&two_ops), []);
    }

    #[test]
    fn set_operators_on_single_valued_keys() {
        assert_eq!(
            codes(&with(
                ACC,
                r#"{"ForAnyValue:StringEquals": {"sts:ExternalId": "x"}}"#
            )),
            [LintCode::SetOperatorOnSingleValuedKey]
        );
        assert_eq!(
            codes(&with(
                ACC,
                r#"{"ForAllValues:ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}"#
            )),
            [LintCode::SetOperatorOnSingleValuedKey]
        );
        // ForAllValues on the external ID has its own code; multivalued keys are fine.
        assert_eq!(
            codes(&with(
                ACC,
                r#"{"ForAllValues:StringEquals": {"sts:ExternalId": "x"}}"#
            )),
            []
        );
        assert_eq!(
            codes(&with(
                ACC,
                r#"{"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}"#
            )),
            []
        );
    }
}
