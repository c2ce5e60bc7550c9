"""Writes cases.json: the trust-policy corpus (run once by hand; the JSON is what is committed).

Each case: a trust policy, the lint findings IAM's documented logic says it deserves
(`expect`, codes in any order), optional lint context (`own_accounts`, `org`) and requests with
the decision IAM makes for them (`checks`). `source` says where the policy comes from.
"""

import json

P = "111122223333"  # the partner (trusted, third party)
OWN = "444455556666"  # the trusting account itself
X = "7M3Q9XKZ2R8TB4WN6PDC"  # a good external ID
GH = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
EKS_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
EKS = f"arn:aws:iam::{OWN}:oidc-provider/{EKS_HOST}"
SAML = f"arn:aws:iam::{OWN}:saml-provider/ExampleOrgSSOProvider"
SESSION = f"arn:aws:sts::{P}:assumed-role/Sync/nightly"
USER = f"arn:aws:iam::{P}:user/alice"
STRANGER = "arn:aws:sts::999988887777:assumed-role/Other/s"


def doc(*statements, version="2012-10-17"):
    d = {"Statement": list(statements)}
    if version:
        d = {"Version": version, **d}
    return d


def allow(principal, action="sts:AssumeRole", condition=None, **extra):
    s = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        s["Condition"] = condition
    s.update(extra)
    return s


def deny(principal, action="sts:AssumeRole", condition=None):
    s = {"Effect": "Deny", "Principal": principal, "Action": action}
    if condition:
        s["Condition"] = condition
    return s


def ext(value, op="StringEquals"):
    return {op: {"sts:ExternalId": value}}


def chk(principal, expect, external_id=None, mfa=False, principal_role_arn=None):
    c = {"principal": principal, "expect": expect}
    if external_id is not None:
        c["external_id"] = external_id
    if mfa:
        c["mfa"] = True
    if principal_role_arn:
        c["principal_role_arn"] = principal_role_arn
    return c


def github(sub=None, aud=True, action="sts:AssumeRoleWithWebIdentity"):
    """A statement trusting GitHub Actions' OIDC provider: its audience unless ``aud`` is
    False, and the ``sub`` pattern (StringLike) when given."""
    condition = {}
    if aud:
        condition["StringEquals"] = {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
        }
    if sub is not None:
        condition["StringLike"] = {"token.actions.githubusercontent.com:sub": sub}
    return allow({"Federated": GH}, action, condition)


def only_with(external_id):
    """The checks of a guarded policy: the agreed ID lets the partner in; none or a guess not."""
    return [
        chk(SESSION, "allowed", external_id),
        chk(SESSION, "denied"),
        chk(SESSION, "denied", GUESS),
    ]


GUESS = "guess-0000000000"
ACC = {"AWS": f"arn:aws:iam::{P}:root"}
cases = []


def case(id, source, policy, expect, checks=(), **options):
    cases.append(
        {
            "id": id,
            "source": source,
            "policy": policy,
            "expect": sorted(expect),
            "checks": list(checks),
            **options,
        }
    )


# --- AWS documentation examples -------------------------------------------------------------
case(
    "aws-doc-external-id",
    "IAM User Guide, 'The confused deputy problem' (third-party access with an external ID; the placeholder ID made a valid one)",
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": P},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"sts:ExternalId": "UniqueIdAssignedByExampleCorp"}
            },
        },
    },
    [],
    only_with("UniqueIdAssignedByExampleCorp"),
)
case(
    "aws-doc-mfa",
    "IAM User Guide, 'Configuring MFA-protected API access' (cross-account with MFA)",
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": P},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
    },
    ["confused-deputy"],
    [chk(USER, "allowed", mfa=True), chk(USER, "denied")],
)
case(
    "aws-doc-mfa-own-account",
    "IAM User Guide, MFA example, trusting its own account (--own-account)",
    doc(
        allow({"AWS": OWN}, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    ),
    ["confused-deputy-quieted"],
    [chk(f"arn:aws:iam::{OWN}:user/bob", "allowed", mfa=True)],
    own_accounts=[OWN],
)
case(
    "aws-doc-multiple-accounts",
    "IAM User Guide, 'AWS JSON policy elements: Principal' (several accounts)",
    doc(allow({"AWS": [f"arn:aws:iam::{P}:root", "999999999999"]})),
    ["confused-deputy"],
    [chk(SESSION, "allowed"), chk("arn:aws:iam::999999999999:user/u", "allowed")],
)
case(
    "aws-doc-role-principal",
    "IAM User Guide, 'Principal': IAM role principal",
    doc(allow({"AWS": f"arn:aws:iam::{P}:role/role-name"}, condition=ext(X))),
    [],
    [
        chk(f"arn:aws:sts::{P}:assumed-role/role-name/s", "allowed", X),
        chk(SESSION, "denied", X),
    ],
)
case(
    "aws-doc-session-principal",
    "IAM User Guide, 'Principal': role session principal",
    doc(
        allow(
            {"AWS": f"arn:aws:sts::{P}:assumed-role/role-name/role-session-name"},
            condition=ext(X),
        )
    ),
    [],
    [
        chk(f"arn:aws:sts::{P}:assumed-role/role-name/role-session-name", "allowed", X),
        chk(f"arn:aws:sts::{P}:assumed-role/role-name/other", "denied", X),
    ],
)
case(
    "aws-doc-ec2-service",
    "IAM User Guide, 'Use an IAM role to grant permissions to applications on EC2' (service role)",
    doc(allow({"Service": "ec2.amazonaws.com"})),
    ["service-without-source"],
)
case(
    "aws-doc-service-source-arn",
    "IAM User Guide, 'Cross-service confused deputy prevention'",
    doc(
        allow(
            {"Service": "sns.amazonaws.com"},
            condition={
                "ArnLike": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OWN}:*"},
                "StringEquals": {"aws:SourceAccount": OWN},
            },
        )
    ),
    [],
)
case(
    "aws-doc-github-oidc",
    "IAM User Guide, 'Configuring a role for GitHub OIDC identity provider'",
    doc(github(sub="repo:octo-org/octo-repo:*")),
    [],
)
case(
    "aws-doc-eks-irsa",
    "Amazon EKS User Guide, 'Assign IAM roles to Kubernetes service accounts'",
    doc(
        allow(
            {"Federated": EKS},
            "sts:AssumeRoleWithWebIdentity",
            {
                "StringEquals": {
                    f"{EKS_HOST}:sub": "system:serviceaccount:default:my-service-account",
                    f"{EKS_HOST}:aud": "sts.amazonaws.com",
                }
            },
        )
    ),
    [],
)
case(
    "aws-doc-saml",
    "IAM User Guide, 'Creating a role for SAML 2.0 federation'",
    doc(
        allow(
            {"Federated": SAML},
            "sts:AssumeRoleWithSAML",
            {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        )
    ),
    [],
)
case(
    "aws-doc-cognito",
    "Amazon Cognito Developer Guide, 'IAM roles' (identity pool trust policy)",
    doc(
        allow(
            {"Federated": "cognito-identity.amazonaws.com"},
            "sts:AssumeRoleWithWebIdentity",
            {
                "StringEquals": {
                    "cognito-identity.amazonaws.com:aud": "us-east-1:12345678-abcd-abcd-abcd-123456789012"
                },
                "ForAnyValue:StringLike": {
                    "cognito-identity.amazonaws.com:amr": "authenticated"
                },
            },
        )
    ),
    [],
)
case(
    "aws-doc-org-id",
    "IAM User Guide, 'aws:PrincipalOrgID' (everyone in the organisation, --org)",
    doc(allow("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})),
    ["confused-deputy-quieted"],
    org="o-a1b2c3d4e5",
)
case(
    "aws-doc-org-id-no-context",
    "IAM User Guide, 'aws:PrincipalOrgID', linted without --org",
    doc(allow("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})),
    ["confused-deputy"],
)
case(
    "aws-doc-principal-account",
    "IAM User Guide, 'aws:PrincipalAccount'",
    doc(
        allow(
            "*",
            condition={
                "StringEquals": {"aws:PrincipalAccount": P, "sts:ExternalId": X}
            },
        )
    ),
    [],
    [chk(SESSION, "allowed", X), chk(SESSION, "denied"), chk(STRANGER, "denied", X)],
)
case(
    "generated-by-cross-account",
    "cross-account trust-policy new --trusted-account 111122223333 --external-id ...",
    doc(allow(ACC, condition=ext(X))),
    [],
    [chk(SESSION, "allowed", X), chk(SESSION, "denied")],
)
case(
    "seed-demo-role",
    "the scenario's DemoRole (seed note), ExternalId123",
    doc(allow({"AWS": f"arn:aws:iam::{P}:root"}, condition=ext("ExternalId123"))),
    ["short-external-id"],
    [chk(USER, "allowed", "ExternalId123"), chk(USER, "denied")],
)

# --- confused deputy: statement-level view versus the evaluator -----------------------------
case(
    "no-external-id",
    "the confused deputy problem",
    doc(allow(ACC)),
    ["confused-deputy"],
    [chk(SESSION, "allowed")],
)
case(
    "deny-guard-not-equals",
    "Allow root + Deny if StringNotEquals sts:ExternalId",
    doc(allow(ACC), deny("*", condition=ext(X, "StringNotEquals"))),
    [],
    only_with(X),
)
case(
    "deny-guard-null",
    "Deny when sts:ExternalId is absent, but any value passes",
    doc(allow(ACC), deny("*", condition={"Null": {"sts:ExternalId": "true"}})),
    ["confused-deputy"],
    [chk(SESSION, "denied"), chk(SESSION, "allowed", GUESS)],
)
case(
    "deny-guard-if-exists",
    "Deny with StringNotEqualsIfExists: an absent ID makes the Deny apply",
    doc(allow(ACC), deny("*", condition=ext(X, "StringNotEqualsIfExists"))),
    [],
    only_with(X),
)
case(
    "if-exists",
    "StringEqualsIfExists sts:ExternalId",
    doc(allow(ACC, condition=ext(X, "StringEqualsIfExists"))),
    ["external-id-if-exists", "confused-deputy"],
    [chk(SESSION, "allowed"), chk(SESSION, "denied", GUESS)],
)
case(
    "for-all-values",
    "ForAllValues:StringEquals sts:ExternalId",
    doc(allow(ACC, condition=ext(X, "ForAllValues:StringEquals"))),
    ["external-id-for-all-values", "confused-deputy"],
    [chk(SESSION, "allowed")],
)
case(
    "null-false",
    "Null sts:ExternalId false: any ID",
    doc(allow(ACC, condition={"Null": {"sts:ExternalId": "false"}})),
    ["confused-deputy"],
    [chk(SESSION, "denied"), chk(SESSION, "allowed", GUESS)],
)
case(
    "not-equals-allow",
    "Allow with StringNotEquals sts:ExternalId",
    doc(allow(ACC, condition=ext(X, "StringNotEquals"))),
    ["confused-deputy"],
    [chk(SESSION, "allowed"), chk(SESSION, "denied", X)],
)
case(
    "wildcard-id",
    "StringLike sts:ExternalId with a wildcard",
    doc(allow(ACC, condition=ext("7M3Q9XKZ2R8T*", "StringLike"))),
    ["external-id-wildcard"],
    [chk(SESSION, "allowed", "7M3Q9XKZ2R8TB4WN6PDC"), chk(SESSION, "denied")],
)
case(
    "wildcard-only-id",
    "StringLike sts:ExternalId '*'",
    doc(allow(ACC, condition=ext("*", "StringLike"))),
    ["external-id-wildcard", "confused-deputy"],
    [chk(SESSION, "denied"), chk(SESSION, "allowed", GUESS)],
)
case(
    "two-statements-one-open",
    "one statement with the ID, one without",
    doc(allow(ACC, condition=ext(X)), allow({"AWS": f"arn:aws:iam::{P}:role/Sync"})),
    ["confused-deputy"],
    [chk(SESSION, "allowed")],
)
case(
    "mfa-and-id",
    "external ID and MFA",
    doc(
        allow(ACC, condition={**ext(X), "Bool": {"aws:MultiFactorAuthPresent": "true"}})
    ),
    [],
    [chk(USER, "allowed", X, mfa=True), chk(USER, "denied", X)],
)
case(
    "ignore-case-id",
    "StringEqualsIgnoreCase sts:ExternalId",
    doc(allow(ACC, condition=ext(X, "StringEqualsIgnoreCase"))),
    [],
    [chk(SESSION, "allowed", X.lower()), chk(SESSION, "denied")],
)
case(
    "not-action",
    "NotAction leaves sts:AssumeRole in",
    doc({"Effect": "Allow", "Principal": ACC, "NotAction": "iam:*"}),
    ["confused-deputy"],
    [chk(SESSION, "allowed")],
)
case(
    "wildcard-principal",
    "Principal '*' with the external ID",
    doc(allow("*", condition=ext(X))),
    ["wildcard-principal"],
    [chk(STRANGER, "allowed", X), chk(STRANGER, "denied")],
)
case(
    "wildcard-principal-open",
    "Principal '*' and no condition: public role",
    doc(allow("*")),
    ["wildcard-principal", "confused-deputy"],
    [chk(STRANGER, "allowed")],
)
case(
    "aws-wildcard-principal",
    "Principal {AWS: '*'} and no condition",
    doc(allow({"AWS": "*"})),
    ["wildcard-principal", "confused-deputy"],
    [chk(STRANGER, "allowed")],
)
case(
    "own-account-exact-role",
    "same-account role by exact ARN, --own-account",
    doc(allow({"AWS": f"arn:aws:iam::{OWN}:role/Deployer"})),
    ["confused-deputy-quieted"],
    [chk(f"arn:aws:sts::{OWN}:assumed-role/Deployer/ci", "allowed")],
    own_accounts=[OWN],
)
case(
    "own-account-not-partner",
    "--own-account does not quiet a partner account",
    doc(allow({"AWS": [f"arn:aws:iam::{OWN}:root", P]})),
    ["confused-deputy", "confused-deputy-quieted"],
    own_accounts=[OWN],
)
case(
    "short-id",
    "a short external ID",
    doc(allow(ACC, condition=ext("abc123"))),
    ["short-external-id"],
    [chk(SESSION, "allowed", "abc123")],
)
case(
    "missing-version",
    "no Version",
    doc(allow(ACC, condition=ext(X)), version=None),
    ["missing-version"],
)
case(
    "old-version",
    "Version 2008-10-17",
    doc(allow(ACC, condition=ext(X)), version="2008-10-17"),
    ["old-version"],
)
case(
    "root-caller",
    "STS refuses root user credentials",
    doc(allow(ACC, condition=ext(X))),
    [],
    [chk(f"arn:aws:iam::{P}:root", "denied", X), chk(USER, "allowed", X)],
)
case(
    "principal-arn-path",
    "aws:PrincipalArn of a role session needs the role's path",
    doc(
        allow(
            ACC,
            condition={
                **ext(X),
                "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{P}:role/ops/Sync"},
            },
        )
    ),
    [],
    [
        chk(SESSION, "unknown", X),
        chk(
            SESSION, "allowed", X, principal_role_arn=f"arn:aws:iam::{P}:role/ops/Sync"
        ),
        chk(SESSION, "denied", X, principal_role_arn=f"arn:aws:iam::{P}:role/Sync"),
    ],
)

# --- federated principals -------------------------------------------------------------------
case(
    "github-no-sub",
    "GitHub OIDC without a sub condition",
    doc(github()),
    ["oidc-sub-missing"],
)
case(
    "github-sub-star",
    "GitHub OIDC with sub '*'",
    doc(github(sub="*")),
    ["oidc-sub-wildcard"],
)
case(
    "github-sub-any-org",
    "GitHub OIDC with sub 'repo:*'",
    doc(github(sub="repo:*")),
    ["oidc-sub-wildcard"],
)
case(
    "github-no-aud",
    "GitHub OIDC with sub but no aud",
    doc(github(sub="repo:octo-org/octo-repo:ref:refs/heads/main", aud=False)),
    ["oidc-aud-missing"],
)
case(
    "github-no-conditions",
    "GitHub OIDC with no condition at all",
    doc(github(aud=False)),
    ["oidc-sub-missing", "oidc-aud-missing"],
)
case(
    "eks-no-sub",
    "EKS IRSA without the sub condition",
    doc(
        allow(
            {"Federated": EKS},
            "sts:AssumeRoleWithWebIdentity",
            {"StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com"}},
        )
    ),
    ["oidc-sub-missing"],
)
case(
    "eks-sub-wildcard",
    "EKS IRSA with any service account",
    doc(
        allow(
            {"Federated": EKS},
            "sts:AssumeRoleWithWebIdentity",
            {
                "StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{EKS_HOST}:sub": "system:serviceaccount:*"},
            },
        )
    ),
    ["oidc-sub-wildcard"],
)
case(
    "generic-oidc-no-aud",
    "Google as a web identity provider, without aud",
    doc(allow({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity")),
    ["oidc-aud-missing"],
)
case(
    "saml-no-aud",
    "SAML federation without SAML:aud",
    doc(allow({"Federated": SAML}, "sts:AssumeRoleWithSAML")),
    ["saml-aud-missing"],
)
case(
    "federated-assume-role",
    "Federated principal with sts:AssumeRole",
    doc(github(sub="repo:octo-org/octo-repo:*", action="sts:AssumeRole")),
    ["principal-action-mismatch"],
)
case(
    "aws-web-identity",
    "AWS principal with sts:AssumeRoleWithWebIdentity",
    doc(allow(ACC, "sts:AssumeRoleWithWebIdentity")),
    ["principal-action-mismatch"],
    [chk(SESSION, "denied", X)],
)
case(
    "aws-saml",
    "AWS principal with sts:AssumeRoleWithSAML",
    doc(allow(ACC, "sts:AssumeRoleWithSAML")),
    ["principal-action-mismatch"],
)

# --- IAM grammar --------------------------------------------------------------------------
case(
    "wildcard-in-principal-arn",
    "IAM rejects wildcards inside principal ARNs",
    doc(allow({"AWS": f"arn:aws:iam::{P}:role/*"}, condition=ext(X))),
    ["wildcard-in-principal-arn"],
)
case(
    "duplicate-key-case",
    "sts:ExternalId and STS:EXTERNALID in one block",
    doc(
        allow(
            ACC,
            condition={
                "StringEquals": {
                    "sts:ExternalId": X,
                    "STS:EXTERNALID": "ZZ3Q9XKZ2R8TB4WN6PDC",
                }
            },
        )
    ),
    ["duplicate-condition-key"],
)
case(
    "for-any-value-single",
    "ForAnyValue on the single-valued sts:ExternalId",
    doc(allow(ACC, condition=ext(X, "ForAnyValue:StringEquals"))),
    ["set-operator-on-single-valued-key"],
    [chk(SESSION, "allowed", X), chk(SESSION, "denied")],
)
case(
    "for-all-values-principal-arn",
    "ForAllValues on the single-valued aws:PrincipalArn",
    doc(
        allow(
            ACC,
            condition={
                **ext(X),
                "ForAllValues:ArnLike": {
                    "aws:PrincipalArn": f"arn:aws:iam::{P}:role/*"
                },
            },
        )
    ),
    ["set-operator-on-single-valued-key"],
)
case(
    "unknown-operator",
    "a misspelled condition operator",
    doc(allow(ACC, condition=ext(X, "StringEqual"))),
    ["unknown-condition-operator"],
)
case(
    "unknown-operator-case",
    "operators are case-sensitive",
    doc(allow(ACC, condition=ext(X, "stringequals"))),
    ["unknown-condition-operator"],
)
case(
    "null-if-exists",
    "NullIfExists does not exist",
    doc(allow(ACC, condition={**ext(X), "NullIfExists": {"aws:SourceIp": "true"}})),
    ["unknown-condition-operator"],
)

with open("cases.json", "w") as out:
    json.dump(cases, out, indent=1)
print(len(cases), "cases")
