//! The role trust policy examples from the AWS IAM documentation, with the decisions IAM makes
//! for them, checked against the local evaluator and the lint.
//!
//! Placeholders of the documentation ("Example Corp's AWS Account ID", "ACCOUNT-B-ID", ...) are
//! replaced by concrete values; the documents are otherwise as printed, including the single
//! statement written as an object rather than a list.
//!
//! Sources (IAM User Guide):
//! - "The confused deputy problem" / "Access to AWS accounts owned by third parties":
//!   trust policy with `StringEquals sts:ExternalId`.
//! - "Secure API access with MFA", "Granting access for MFA-authenticated cross-account access":
//!   trust policy with `Bool aws:MultiFactorAuthPresent` (and the `aws:MultiFactorAuthAge`
//!   variant).
//! - "AWS JSON policy elements: Principal": AWS account principals (root ARN and the short
//!   account ID form, several accounts in a list), IAM role principals, role session principals,
//!   and everyone (`"*"`).

use cross_account::trust::{
    evaluate, lint, AssumeRoleRequest, Decision, LintCode, PermissionPolicy, TrustPolicy,
};

/// The confused-deputy example: Example Corp (111122223333) may assume the role only with the
/// external ID it assigned to this customer.
const EXTERNAL_ID_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {
      "AWS": "111122223333"
    },
    "Action": "sts:AssumeRole",
    "Condition": {
      "StringEquals": {
        "sts:ExternalId": "Unique ID Assigned by Example Corp"
      }
    }
  }
}"#;

/// The MFA example: users of account B (444455556666) may assume the role only after
/// authenticating with MFA.
const MFA_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"AWS": "444455556666"},
    "Action": "sts:AssumeRole",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
  }
}"#;

/// The MFA example's variant that also limits how long ago MFA happened.
const MFA_AGE_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"AWS": "444455556666"},
    "Action": "sts:AssumeRole",
    "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
  }
}"#;

/// Several accounts, in the root ARN form and in the short account ID form.
const MULTIPLE_ACCOUNTS_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::123456789012:root",
          "999999999999"
        ]
      },
      "Action": "sts:AssumeRole"
    }
  ]
}"#;

/// The scenario's DemoRole (the CloudFormation template the trusting side deploys), as JSON.
const DEMO_ROLE_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::123456780123:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "ExternalId123"}}
    }
  ]
}"#;

fn role_principal(principal: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{principal}"}}, "Action": "sts:AssumeRole"}}]}}"#
    )
}

fn req(arn: &str) -> AssumeRoleRequest {
    AssumeRoleRequest::new(arn)
}

fn denied_because(decision: &Decision, expected: &str) {
    match decision {
        Decision::Denied { reason, .. } => {
            assert!(
                reason.contains(expected),
                "reason {reason:?} lacks {expected:?}"
            )
        }
        other => panic!("expected a denial containing {expected:?}, got {other}"),
    }
}

fn codes(policy: &str) -> Vec<LintCode> {
    lint(policy).into_iter().map(|w| w.code).collect()
}

const EXAMPLE_CORP: &str = "arn:aws:sts::111122223333:assumed-role/ExampleCorpMonitor/customer-42";

#[test]
fn external_id_example() {
    let id = "Unique ID Assigned by Example Corp";
    assert!(evaluate(EXTERNAL_ID_EXAMPLE, &req(EXAMPLE_CORP).external_id(id)).is_allowed());
    // Any principal of Example Corp's account, with the ID.
    assert!(evaluate(
        EXTERNAL_ID_EXAMPLE,
        &req("arn:aws:iam::111122223333:user/ops").external_id(id)
    )
    .is_allowed());
    // The confused deputy: Example Corp acting for another customer sends that customer's ID.
    denied_because(
        &evaluate(
            EXTERNAL_ID_EXAMPLE,
            &req(EXAMPLE_CORP).external_id("ID of another customer"),
        ),
        "sts:ExternalId is 'ID of another customer' but the policy requires 'Unique ID Assigned by Example Corp'",
    );
    denied_because(
        &evaluate(EXTERNAL_ID_EXAMPLE, &req(EXAMPLE_CORP)),
        "no external ID was sent but the policy requires 'Unique ID Assigned by Example Corp'",
    );
    // StringEquals is case-sensitive.
    assert!(evaluate(
        EXTERNAL_ID_EXAMPLE,
        &req(EXAMPLE_CORP).external_id(id.to_uppercase())
    )
    .is_denied());
    // Another account, even with the right ID.
    denied_because(
        &evaluate(
            EXTERNAL_ID_EXAMPLE,
            &req("arn:aws:iam::777788889999:user/mallory").external_id(id),
        ),
        "principal arn:aws:iam::777788889999:user/mallory is not trusted (the policy trusts 111122223333)",
    );
    // The ID is long enough, so the lint is silent.
    assert_eq!(codes(EXTERNAL_ID_EXAMPLE), []);
}

#[test]
fn builder_reproduces_the_external_id_example() {
    let built = TrustPolicy::builder()
        .trusted_account("123456780123")
        .external_id("ExternalId123")
        .build()
        .unwrap();
    let expected: serde_json::Value = serde_json::from_str(DEMO_ROLE_EXAMPLE).unwrap();
    assert_eq!(built.to_value(), expected);
    let template = built
        .to_cloudformation(
            "DemoRole",
            &[PermissionPolicy::s3_read_only("demo-bucket", None).unwrap()],
        )
        .unwrap();
    assert!(template.contains("  DemoRole:\n    Type: \"AWS::IAM::Role\"\n"));
}

#[test]
fn demo_role_example() {
    let partner = "arn:aws:sts::123456780123:assumed-role/Reader/demo-session";
    assert!(evaluate(
        DEMO_ROLE_EXAMPLE,
        &req(partner).external_id("ExternalId123")
    )
    .is_allowed());
    denied_because(
        &evaluate(DEMO_ROLE_EXAMPLE, &req(partner).external_id("abc")),
        "sts:ExternalId is 'abc' but the policy requires 'ExternalId123'",
    );
    denied_because(
        &evaluate(DEMO_ROLE_EXAMPLE, &req(partner)),
        "no external ID was sent but the policy requires 'ExternalId123'",
    );
    // "ExternalId123" is 13 characters: guessable.
    assert_eq!(codes(DEMO_ROLE_EXAMPLE), [LintCode::ShortExternalId]);
}

#[test]
fn mfa_example() {
    let user = req("arn:aws:iam::444455556666:user/joe");
    assert!(evaluate(MFA_EXAMPLE, &user.clone().mfa(true)).is_allowed());
    assert!(evaluate(
        MFA_EXAMPLE,
        &user.clone().mfa(true).long_term_credentials(true)
    )
    .is_allowed());
    denied_because(
        &evaluate(MFA_EXAMPLE, &user.clone()),
        "aws:MultiFactorAuthPresent is 'false' but the policy requires 'true'",
    );
    // Long-term access keys without MFA: the key is absent, and Bool fails on an absent key.
    denied_because(
        &evaluate(MFA_EXAMPLE, &user.clone().long_term_credentials(true)),
        "aws:MultiFactorAuthPresent is not in the request",
    );
    // MFA does not make another account trusted.
    assert!(evaluate(
        MFA_EXAMPLE,
        &req("arn:aws:iam::111122223333:user/joe").mfa(true)
    )
    .is_denied());
    // No external ID: a warning if account B belongs to someone else.
    assert_eq!(codes(MFA_EXAMPLE), [LintCode::ConfusedDeputy]);
}

#[test]
fn mfa_age_example_is_unknown_not_allowed() {
    let user = req("arn:aws:iam::444455556666:user/joe");
    for request in [user.clone().mfa(true), user.clone()] {
        match evaluate(MFA_AGE_EXAMPLE, &request) {
            Decision::Unknown { reason, .. } => {
                assert!(reason.contains("NumericLessThan"), "{reason}");
                assert!(reason.contains("Statement[0]"), "{reason}");
            }
            other => panic!("expected unknown, got {other}"),
        }
    }
    // The operator is irrelevant for a principal that is not trusted anyway.
    assert!(evaluate(MFA_AGE_EXAMPLE, &req("arn:aws:iam::111122223333:user/joe")).is_denied());
}

#[test]
fn multiple_accounts_example() {
    assert!(evaluate(
        MULTIPLE_ACCOUNTS_EXAMPLE,
        &req("arn:aws:iam::123456789012:user/a")
    )
    .is_allowed());
    assert!(evaluate(
        MULTIPLE_ACCOUNTS_EXAMPLE,
        &req("arn:aws:sts::999999999999:assumed-role/Ops/s1")
    )
    .is_allowed());
    assert!(evaluate(
        MULTIPLE_ACCOUNTS_EXAMPLE,
        &req("arn:aws:iam::999999999999:role/Any")
    )
    .is_allowed());
    denied_because(
        &evaluate(MULTIPLE_ACCOUNTS_EXAMPLE, &req("arn:aws:iam::111122223333:user/a")),
        "principal arn:aws:iam::111122223333:user/a is not trusted (the policy trusts arn:aws:iam::123456789012:root, 999999999999)",
    );
    let built = TrustPolicy::builder()
        .trusted_account("123456789012")
        .trusted_account("999999999999")
        .external_id("ExternalId123")
        .build()
        .unwrap();
    for arn in [
        "arn:aws:iam::123456789012:user/a",
        "arn:aws:sts::999999999999:assumed-role/Ops/s1",
        "arn:aws:iam::111122223333:user/a",
    ] {
        // The builder always adds the external ID, which the AWS example does not check.
        let request = req(arn).external_id("ExternalId123");
        assert_eq!(
            evaluate(&built.to_json(), &request).kind(),
            evaluate(MULTIPLE_ACCOUNTS_EXAMPLE, &request).kind(),
            "{arn}"
        );
    }
    assert_eq!(codes(MULTIPLE_ACCOUNTS_EXAMPLE), [LintCode::ConfusedDeputy]);
}

#[test]
fn role_and_role_session_principals() {
    let role = role_principal("arn:aws:iam::111122223333:role/role-name");
    // A role principal covers the role's sessions.
    assert!(evaluate(
        &role,
        &req("arn:aws:sts::111122223333:assumed-role/role-name/any-session")
    )
    .is_allowed());
    assert!(evaluate(
        &role,
        &req("arn:aws:sts::111122223333:assumed-role/other-role/s")
    )
    .is_denied());
    assert!(evaluate(&role, &req("arn:aws:iam::111122223333:user/role-name")).is_denied());

    let session =
        role_principal("arn:aws:sts::111122223333:assumed-role/role-name/role-session-name");
    assert!(evaluate(
        &session,
        &req("arn:aws:sts::111122223333:assumed-role/role-name/role-session-name")
    )
    .is_allowed());
    assert!(evaluate(
        &session,
        &req("arn:aws:sts::111122223333:assumed-role/role-name/other-session")
    )
    .is_denied());
}

#[test]
fn everyone_principal() {
    for everyone in [
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}"#,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}"#,
    ] {
        assert!(evaluate(everyone, &req("arn:aws:iam::777788889999:user/anyone")).is_allowed());
        assert_eq!(
            codes(everyone),
            [LintCode::WildcardPrincipal, LintCode::ConfusedDeputy]
        );
    }
}

#[test]
fn explicit_deny_beside_the_external_id_example() {
    // The external ID example plus a Deny for sessions without MFA (BoolIfExists, as the IAM
    // documentation recommends for denials, so long-term keys without MFA are denied too).
    let policy = r#"{
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}},
        {"Sid": "DenyWithoutMfa", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
      ]
    }"#;
    let ok = req(EXAMPLE_CORP).external_id("Unique ID Assigned by Example Corp");
    assert!(evaluate(policy, &ok.clone().mfa(true)).is_allowed());
    match evaluate(policy, &ok.clone()) {
        Decision::Denied {
            reason, statement, ..
        } => {
            assert_eq!(statement, Some(1));
            assert!(
                reason.starts_with("Statement[1] (Sid \"DenyWithoutMfa\") explicitly denies"),
                "{reason}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(evaluate(policy, &ok.long_term_credentials(true)).is_denied());
}
