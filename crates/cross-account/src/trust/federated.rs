//! Principals other than AWS accounts: federated identities (OIDC, SAML), services, and the
//! actions each kind of principal can call.

use super::condition::Operator;
use super::document::{Actions, Principals, Statement};
use super::finding::{covers, requires_key, LintCode, LintOptions, LintWarning};
use super::glob;

const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
const SAML: &str = "sts:AssumeRoleWithSAML";
const ASSUME_ROLE: &str = "sts:AssumeRole";
const GITHUB: &str = "token.actions.githubusercontent.com";

/// Federation, service and principal/action findings of one Allow statement.
pub(crate) fn check(statement: &Statement, options: &LintOptions, out: &mut Vec<LintWarning>) {
    mismatch(statement, out);
    if covers(statement, WEB_IDENTITY) {
        for provider in statement.federated.iter().filter(|f| !is_saml(f)) {
            oidc(statement, provider, out);
        }
    }
    if covers(statement, SAML)
        && statement.federated.iter().any(|f| is_saml(f))
        && !requires_key(statement, "SAML:aud")
    {
        out.push(LintWarning::new(
            LintCode::SamlAudMissing,
            format!(
                "{} trusts a SAML provider with no SAML:aud condition, so assertions meant for other service providers are accepted; add \"Condition\": {{\"StringEquals\": {{\"SAML:aud\": \"https://signin.aws.amazon.com/saml\"}}}}",
                statement.label()
            ),
            Some(statement.index),
        ));
    }
    if covers(statement, ASSUME_ROLE) && !statement.services.is_empty() {
        service(statement, options, out);
    }
}

fn is_saml(federated: &str) -> bool {
    federated.contains(":saml-provider/")
}

/// The issuer host and path of an OIDC provider: the ARN's resource after `oidc-provider/`,
/// or the name itself (`accounts.google.com`, `cognito-identity.amazonaws.com`).
fn issuer(provider: &str) -> &str {
    provider
        .split_once(":oidc-provider/")
        .map_or(provider, |(_, host)| host)
}

fn oidc(statement: &Statement, provider: &str, out: &mut Vec<LintWarning>) {
    let label = statement.label();
    let host = issuer(provider);
    let (sub, aud) = (format!("{host}:sub"), format!("{host}:aud"));
    let github = host == GITHUB;
    let eks = host.starts_with("oidc.eks.");
    let warn = |code, message: String| LintWarning::new(code, message, Some(statement.index));
    if github || eks {
        if !requires_key(statement, &sub) {
            let example = if github {
                "\"repo:ORG/REPO:ref:refs/heads/main\""
            } else {
                "\"system:serviceaccount:NAMESPACE:NAME\""
            };
            let who = if github {
                "any GitHub repository's workflow"
            } else {
                "any service account of the cluster"
            };
            out.push(warn(
                LintCode::OidcSubMissing,
                format!(
                    "{label} trusts {host} with no condition on {sub}, so {who} can assume the role; add \"StringEquals\" or \"StringLike\" {{\"{sub}\": {example}}}"
                ),
            ));
        } else {
            for value in sub_values(statement, &sub) {
                if !pinned(&value, github) {
                    let owner = if github {
                        "repo:ORG/REPO"
                    } else {
                        "system:serviceaccount:NAMESPACE:"
                    };
                    out.push(warn(
                        LintCode::OidcSubWildcard,
                        format!(
                            "{label} matches {sub} against '{value}', which pins no owner: identities of others match too; start the pattern with {owner} before any wildcard"
                        ),
                    ));
                }
            }
        }
    }
    if !requires_key(statement, &aud) {
        let expected = if github || eks {
            "\"sts.amazonaws.com\""
        } else {
            "your application's client ID"
        };
        out.push(warn(
            LintCode::OidcAudMissing,
            format!(
                "{label} trusts the OIDC provider {host} with no condition on {aud}, so tokens issued to other applications are accepted; add \"StringEquals\" {{\"{aud}\": {expected}}}"
            ),
        ));
    }
}

/// The values of the conditions that require a match on `key`.
fn sub_values(statement: &Statement, key: &str) -> Vec<String> {
    statement
        .conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case(key))
        .filter(|c| Operator::parse(&c.operator).is_ok_and(|op| op.requires_match()))
        .flat_map(|c| c.values.iter().cloned())
        .collect()
}

/// Whether a `sub` value names its owner before any wildcard: GitHub `repo:ORG/...`,
/// EKS `system:serviceaccount:NAMESPACE:...`.
fn pinned(value: &str, github: bool) -> bool {
    let literal = value.split(['*', '?']).next().unwrap_or("");
    if literal.len() == value.len() {
        return true;
    }
    if github {
        literal
            .strip_prefix("repo:")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(org, _)| !org.is_empty())
    } else {
        literal
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(namespace, _)| !namespace.is_empty())
    }
}

/// An action named (without wildcards) that no principal of the statement can call.
fn mismatch(statement: &Statement, out: &mut Vec<LintWarning>) {
    let Actions::Action(actions) = &statement.actions else {
        return;
    };
    let (aws, everyone) = match &statement.principals {
        Principals::Everyone => (true, true),
        Principals::Aws(list) => (!list.is_empty(), false),
    };
    if everyone {
        return;
    }
    let oidc = statement.federated.iter().any(|f| !is_saml(f));
    let saml = statement.federated.iter().any(|f| is_saml(f));
    let services = !statement.services.is_empty();
    for action in actions.iter().filter(|a| !glob::has_wildcard(a)) {
        let (fits, caller) = if action.eq_ignore_ascii_case(ASSUME_ROLE) {
            (aws || services, "AWS and service principals")
        } else if action.eq_ignore_ascii_case(WEB_IDENTITY) {
            (oidc, "OIDC federated principals")
        } else if action.eq_ignore_ascii_case(SAML) {
            (saml, "SAML federated principals")
        } else {
            continue;
        };
        if fits {
            continue;
        }
        let right = if oidc {
            WEB_IDENTITY
        } else if saml {
            SAML
        } else {
            ASSUME_ROLE
        };
        out.push(LintWarning::new(
            LintCode::PrincipalActionMismatch,
            format!(
                "{} allows {action}, which only {caller} call, but its principals are not of that kind, so it grants nothing; use {right}",
                statement.label()
            ),
            Some(statement.index),
        ));
    }
}

fn service(statement: &Statement, options: &LintOptions, out: &mut Vec<LintWarning>) {
    let restricted = [
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
    ]
    .iter()
    .any(|k| requires_key(statement, k));
    if restricted {
        return;
    }
    let account = options
        .own_accounts()
        .first()
        .map_or("YOUR_ACCOUNT_ID", String::as_str);
    out.push(LintWarning::new(
        LintCode::ServiceWithoutSource,
        format!(
            "{} lets the service {} assume the role with no aws:SourceAccount or aws:SourceArn condition, so a resource in another account can make the service act with this role (cross-service confused deputy). Fix, where the service sets these keys: \"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": \"{account}\"}}, \"ArnLike\": {{\"aws:SourceArn\": \"arn:aws:SERVICE:REGION:{account}:RESOURCE\"}}}}",
            statement.label(),
            statement.services.join(", ")
        ),
        Some(statement.index),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_pinning() {
        assert!(pinned("repo:octo-org/octo-repo:*", true));
        assert!(pinned("repo:octo-org/*", true));
        assert!(pinned("repo:octo-org/octo-repo:ref:refs/heads/main", true));
        assert!(!pinned("*", true));
        assert!(!pinned("repo:*", true));
        assert!(!pinned("repo:/*", true));
        assert!(!pinned("repo:octo*", true));
        assert!(pinned("system:serviceaccount:default:*", false));
        assert!(!pinned("system:serviceaccount:*", false));
        assert!(!pinned("system:*", false));
    }

    #[test]
    fn issuers() {
        assert_eq!(
            issuer("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"),
            GITHUB
        );
        assert_eq!(issuer("accounts.google.com"), "accounts.google.com");
        assert!(is_saml("arn:aws:iam::111122223333:saml-provider/Okta"));
    }
}
