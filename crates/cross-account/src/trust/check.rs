//! `check`: the evaluator behind one front door, with the input validation every face needs.

use crate::error::Error;
use crate::params::ExternalId;

use super::document;
use super::evaluate::{decide, AssumeRoleRequest, Decision, Mode};
use super::grammar;
use super::principal::Caller;

/// Evaluates a role trust policy for one `sts:AssumeRole` request, like [`evaluate`], but
/// reports invalid input as an error instead of an [`Decision::Unknown`] answer:
///
/// - field `policy`: the text is not a trust policy IAM would accept, including what IAM's
///   grammar rejects in a well-formed document (a wildcard inside a principal ARN, condition
///   keys that differ only in case, an unknown condition operator);
/// - field `principal_arn`: the caller ARN is malformed;
/// - field `principal_role_arn`: the role ARN given for a session is not that session's role;
/// - field `external_id`: STS would refuse the external ID before reading any policy.
///
/// `Unknown` then only means what it says: a condition the evaluator does not decide.
///
/// [`evaluate`]: super::evaluate
///
/// # Examples
///
/// ```
/// use cross_account::trust::{check, AssumeRoleRequest};
/// use cross_account::Error;
///
/// let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///   "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
///   "Condition": {"StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}}}]}"#;
/// let partner = AssumeRoleRequest::new("arn:aws:sts::111122223333:assumed-role/Sync/nightly");
/// assert!(check(policy, &partner.clone().external_id("7M3Q9XKZ2R8TB4WN6PDC"))?.is_allowed());
/// assert!(check(policy, &partner)?.is_denied());
///
/// let err = check(policy, &AssumeRoleRequest::new("alice")).unwrap_err();
/// assert!(matches!(err, Error::InvalidParameter { field: "principal_arn", .. }));
/// let wildcard = policy.replace("111122223333\"", "arn:aws:iam::111122223333:role/*\"");
/// let err = check(&wildcard, &partner).unwrap_err();
/// assert!(matches!(err, Error::InvalidParameter { field: "policy", .. }));
/// # Ok::<(), cross_account::Error>(())
/// ```
pub fn check(policy_json: &str, request: &AssumeRoleRequest) -> Result<Decision, Error> {
    let doc = document::parse(policy_json).map_err(|reason| {
        Error::invalid("policy", format!("not a valid trust policy: {reason}"))
    })?;
    if let Some(reason) = grammar::first_error(&doc) {
        return Err(Error::invalid(
            "policy",
            format!("IAM would reject this trust policy: {reason}"),
        ));
    }
    let caller = Caller::parse(&request.principal_arn)
        .map_err(|reason| Error::invalid("principal_arn", reason))?;
    if let Some(role_arn) = &request.principal_role_arn {
        caller
            .check_role_arn(role_arn)
            .map_err(|reason| Error::invalid("principal_role_arn", reason))?;
    }
    if let Some(id) = &request.external_id {
        ExternalId::new(id.as_str())?;
    }
    Ok(decide(&doc, &caller, request, Mode::Exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
      "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}}}]}"#;
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Sync/nightly";

    fn field(result: Result<Decision, Error>) -> &'static str {
        match result {
            Err(Error::InvalidParameter { field, .. }) => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        }
    }

    #[test]
    fn invalid_input_names_the_field() {
        let ok = AssumeRoleRequest::new(SESSION);
        assert_eq!(field(check("{", &ok)), "policy");
        assert_eq!(field(check(r#"{"Statement": []"#, &ok)), "policy");
        let bad_operator = POLICY.replace("StringEquals", "StringEqual");
        assert_eq!(field(check(&bad_operator, &ok)), "policy");
        for bad in ["", "alice", "111122223333", "arn:aws:iam::12:user/a"] {
            assert_eq!(
                field(check(POLICY, &AssumeRoleRequest::new(bad))),
                "principal_arn",
                "{bad}"
            );
        }
        assert_eq!(
            field(check(POLICY, &ok.clone().external_id("has space"))),
            "external_id"
        );
        assert_eq!(
            field(check(
                POLICY,
                &ok.clone()
                    .principal_role_arn("arn:aws:iam::111122223333:role/Other")
            )),
            "principal_role_arn"
        );
        assert_eq!(
            field(check(
                POLICY,
                &AssumeRoleRequest::new("arn:aws:iam::111122223333:user/a")
                    .principal_role_arn("arn:aws:iam::111122223333:role/Sync")
            )),
            "principal_role_arn"
        );
    }

    #[test]
    fn root_callers_are_refused_as_sts_does() {
        let root = AssumeRoleRequest::new("arn:aws:iam::111122223333:root")
            .external_id("7M3Q9XKZ2R8TB4WN6PDC");
        let d = check(POLICY, &root).unwrap();
        assert!(d.is_denied(), "{d}");
        assert!(
            d.reason()
                .unwrap()
                .contains("Roles may not be assumed by root accounts"),
            "{d}"
        );
    }

    #[test]
    fn valid_input_is_evaluated() {
        let d = check(
            POLICY,
            &AssumeRoleRequest::new(SESSION).external_id("7M3Q9XKZ2R8TB4WN6PDC"),
        )
        .unwrap();
        assert!(d.is_allowed());
        // An operator the evaluator does not decide stays unknown, not an error.
        let numeric = POLICY.replace(
            r#""StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}"#,
            r#""NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}"#,
        );
        assert!(check(&numeric, &AssumeRoleRequest::new(SESSION))
            .unwrap()
            .is_unknown());
    }
}
