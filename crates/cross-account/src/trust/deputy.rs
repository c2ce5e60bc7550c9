//! The confused-deputy verdict, decided by the evaluator: is a principal the policy trusts let
//! in with no external ID, or with an external ID other than the agreed ones?
//!
//! Looking at one statement at a time misses Deny guards (`Allow` the account, `Deny` unless
//! `sts:ExternalId` matches) and needs a rule for every weak form (`IfExists`, `ForAllValues:`,
//! `Null`, `StringNotEquals`, ...). Asking the evaluator covers all of them at once: the probe
//! callers are the trusted principals themselves, acting for someone else.

use super::condition::Operator;
use super::document::{Document, Effect, Principals, Statement};
use super::evaluate::{decide, AssumeRoleRequest, Decision, Mode};
use super::finding::{covers, LintCode, LintOptions, LintWarning};
use super::principal::{account_of, probe_callers, Caller};
use super::source::TEMPLATE_ACCOUNT;

/// Stands for an external ID the trusted party was given by someone else: no policy should
/// accept it.
const OTHER_EXTERNAL_ID: &str = "cross-account-probe-not-the-agreed-external-id";

const NO_ID: &str = "with no external ID";
const OTHER_ID: &str = "with an external ID other than the agreed ones";

struct Hit {
    /// The statement that lets the probe in.
    allowed_by: usize,
    entry: String,
    how: &'static str,
    quiet: Option<String>,
}

/// The confused-deputy warnings (and quieted notes) of a document IAM accepts.
pub(crate) fn check(doc: &Document, options: &LintOptions) -> Vec<LintWarning> {
    let mut hits: Vec<Hit> = Vec::new();
    for statement in doc
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && covers(s, "sts:AssumeRole"))
    {
        let entries: Vec<String> = match &statement.principals {
            Principals::Everyone => vec!["*".into()],
            Principals::Aws(list) => list.clone(),
        };
        let narrowed = narrowing_accounts(statement);
        for entry in entries {
            if hits.iter().any(|h| h.entry == entry) {
                continue;
            }
            let Some((allowed_by, how)) = let_in(doc, &entry, &narrowed) else {
                continue;
            };
            let quiet = quiet_reason(&entry, statement, options);
            hits.push(Hit {
                allowed_by,
                entry,
                how,
                quiet,
            });
        }
    }

    let mut out: Vec<LintWarning> = Vec::new();
    let mut groups: Vec<(usize, &'static str, bool)> = Vec::new();
    for h in &hits {
        let key = (h.allowed_by, h.how, h.quiet.is_some());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (allowed_by, how, quiet) in groups {
        let members: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.allowed_by == allowed_by && h.how == how && h.quiet.is_some() == quiet)
            .collect();
        let label = doc.statements[allowed_by].label();
        let who = members
            .iter()
            .map(|h| h.entry.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if quiet {
            let reasons = members
                .iter()
                .filter_map(|h| h.quiet.as_deref())
                .collect::<Vec<_>>()
                .join("; ");
            out.push(LintWarning::new(
                LintCode::ConfusedDeputyQuieted,
                format!(
                    "{label} lets {who} assume the role {how}; not reported as confused-deputy because {reasons}"
                ),
                Some(allowed_by),
            ));
        } else {
            out.push(LintWarning::new(
                LintCode::ConfusedDeputy,
                format!(
                    "{label} lets {who} assume the role {how}; if that is another party's account, anyone who gets that party to call AssumeRole with your role's ARN gets in (confused deputy). Add \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"...\"}}}} with an ID unique to you (for your own accounts or organisation, pass --own-account or --org)"
                ),
                Some(allowed_by),
            ));
        }
    }
    out
}

/// The statement that lets a caller named by `entry` in without the agreed external ID, and
/// how; `None` when every probe is refused.
fn let_in(doc: &Document, entry: &str, narrowed: &[String]) -> Option<(usize, &'static str)> {
    for (external_id, how) in [(None, NO_ID), (Some(OTHER_EXTERNAL_ID), OTHER_ID)] {
        for (arn, role_arn) in probe_callers(entry, narrowed) {
            let Ok(caller) = Caller::parse(&arn) else {
                continue;
            };
            let is_user = arn.contains(":user/");
            for (mfa, long_term) in [(false, false), (true, false), (false, true), (true, true)] {
                if long_term && !is_user {
                    continue;
                }
                let mut request = AssumeRoleRequest::new(arn.as_str())
                    .mfa(mfa)
                    .long_term_credentials(long_term);
                if let Some(role_arn) = &role_arn {
                    request = request.principal_role_arn(role_arn.as_str());
                }
                if let Some(id) = external_id {
                    request = request.external_id(id);
                }
                if let Decision::Allowed { statement, .. } =
                    decide(doc, &caller, &request, Mode::Deputy)
                {
                    return Some((statement, how));
                }
            }
        }
    }
    None
}

/// The accounts a statement's conditions narrow `"*"` to (aws:PrincipalAccount values, the
/// accounts of aws:PrincipalArn values).
fn narrowing_accounts(statement: &Statement) -> Vec<String> {
    let mut accounts: Vec<String> = Vec::new();
    for c in &statement.conditions {
        if !(c.key.eq_ignore_ascii_case("aws:PrincipalAccount")
            || c.key.eq_ignore_ascii_case("aws:PrincipalArn"))
        {
            continue;
        }
        for v in &c.values {
            if let Some(a) = account_of(v) {
                if !accounts.iter().any(|x| x == a) {
                    accounts.push(a.to_string());
                }
            }
        }
    }
    accounts
}

/// Why a principal let in without an external ID is the trusting side's own, if it is.
fn quiet_reason(entry: &str, statement: &Statement, options: &LintOptions) -> Option<String> {
    let required = |key: &str| -> Vec<&String> {
        statement
            .conditions
            .iter()
            .filter(|c| c.key.eq_ignore_ascii_case(key))
            .filter(|c| Operator::parse(&c.operator).is_ok_and(|op| op.requires_match()))
            .flat_map(|c| c.values.iter())
            .collect()
    };
    let orgs = required("aws:PrincipalOrgID");
    if !orgs.is_empty() && orgs.iter().all(|o| options.is_own_org(o)) {
        let list: Vec<&str> = orgs.iter().map(|o| o.as_str()).collect();
        return Some(format!(
            "the statement requires aws:PrincipalOrgID {}, your organisation (--org)",
            list.join(", ")
        ));
    }
    if entry == "*" {
        let accounts = required("aws:PrincipalAccount");
        if !accounts.is_empty() && accounts.iter().all(|a| options.is_own_account(a)) {
            let list: Vec<&str> = accounts.iter().map(|a| a.as_str()).collect();
            return Some(format!(
                "the statement requires aws:PrincipalAccount {}, your own (--own-account)",
                list.join(", ")
            ));
        }
        return None;
    }
    let account = account_of(entry)?;
    if account == TEMPLATE_ACCOUNT {
        return Some("it is the template's own account (AWS::AccountId)".into());
    }
    options
        .is_own_account(account)
        .then(|| format!("{account} is your own account (--own-account)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::{evaluate, lint, LintCode, Severity};
    use proptest::prelude::*;

    const PARTNER_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Sync/nightly";
    const ID: &str = "7M3Q9XKZ2R8TB4WN6PDC";

    fn statement() -> impl Strategy<Value = String> {
        let effect = prop::sample::select(vec!["Allow", "Deny"]);
        let principal = prop::sample::select(vec![
            r#""*""#,
            r#"{"AWS": "111122223333"}"#,
            r#"{"AWS": "arn:aws:iam::111122223333:role/Sync"}"#,
            r#"{"AWS": "444455556666"}"#,
        ]);
        let operator = prop::sample::select(vec![
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIfExists",
            "StringNotEqualsIfExists",
            "StringLike",
            "StringNotLike",
            "ForAllValues:StringEquals",
            "ForAnyValue:StringEquals",
            "Null",
            "",
        ]);
        let value = prop::sample::select(vec![ID, "*", "true", "false", "other-000000000000"]);
        let mfa = any::<bool>();
        (effect, principal, operator, value, mfa).prop_map(|(e, p, op, v, mfa)| {
            let mut conditions = Vec::new();
            if !op.is_empty() {
                conditions.push(format!(r#""{op}": {{"sts:ExternalId": "{v}"}}"#));
            }
            if mfa {
                conditions.push(r#""Bool": {"aws:MultiFactorAuthPresent": "true"}"#.to_string());
            }
            format!(
                r#"{{"Effect": "{e}", "Principal": {p}, "Action": "sts:AssumeRole", "Condition": {{{}}}}}"#,
                conditions.join(", ")
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A caller the evaluator lets in without the agreed external ID always gives a
        /// confused-deputy warning, and a warning always has such a caller, or one the
        /// evaluator cannot decide for (a condition it does not evaluate, which the deputy is
        /// assumed to meet). The lint and the evaluator never disagree.
        #[test]
        fn the_verdict_is_the_evaluators(statements in prop::collection::vec(statement(), 1..4)) {
            let policy = format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, statements.join(", "));
            let warnings = lint(&policy);
            prop_assume!(!warnings.iter().any(|w| w.severity == Severity::Error));
            let flagged = warnings.iter().any(|w| w.code == LintCode::ConfusedDeputy);
            let (mut open, mut undecided) = (false, false);
            for mfa in [false, true] {
                for id in [None, Some(OTHER_EXTERNAL_ID)] {
                    for caller in [
                        PARTNER_SESSION,
                        "arn:aws:sts::111122223333:assumed-role/Other/s",
                        "arn:aws:iam::111122223333:user/u",
                        "arn:aws:sts::444455556666:assumed-role/X/s",
                        "arn:aws:iam::444455556666:user/u",
                        "arn:aws:sts::999988887777:assumed-role/Y/s",
                    ] {
                        let mut request = AssumeRoleRequest::new(caller).mfa(mfa);
                        if let Some(id) = id {
                            request = request.external_id(id);
                        }
                        let decision = evaluate(&policy, &request);
                        open |= decision.is_allowed();
                        undecided |= decision.is_unknown();
                    }
                }
            }
            prop_assert!(!open || flagged, "missed: {}\n{:?}", policy, warnings);
            prop_assert!(!flagged || open || undecided, "spurious: {}\n{:?}", policy, warnings);
        }
    }
}
