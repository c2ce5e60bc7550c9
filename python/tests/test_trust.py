"""cross_account.trust: documents, the local evaluator and the lint (no AWS call)."""

from __future__ import annotations

import json
import pickle
import re
from typing import Any

import pytest

import cross_account
from cross_account import InvalidParameterError, trust
from cross_account.trust import Decision, LintWarning

PARTNER = "111122223333"
EXTERNAL_ID = "7M3Q9XKZ2R8TB4WN6PDC"
USER = "arn:aws:iam::111122223333:user/alice"
SESSION = "arn:aws:sts::111122223333:assumed-role/Sync/nightly"
STRANGER = "arn:aws:iam::444455556666:user/mallory"


def policy(**kwargs: Any) -> str:
    kwargs.setdefault("trusted_accounts", [PARTNER])
    kwargs.setdefault("external_ids", [EXTERNAL_ID])
    return trust.trust_policy(**kwargs)


def allow_partner(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement that lets PARTNER assume the role under ``condition`` (default: the
    external ID)."""
    return {
        "Effect": "Allow",
        "Principal": {"AWS": PARTNER},
        "Action": "sts:AssumeRole",
        "Condition": condition or {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
    }


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document of ``statements``."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


# --- API surface -------------------------------------------------------------------------


def test_all_is_complete_and_documented() -> None:
    assert trust.__doc__
    for name in trust.__all__:
        obj = getattr(trust, name)
        assert obj.__doc__, f"{name} has no docstring"
    for cls in (Decision, LintWarning):
        for name in (n for n in dir(cls) if not n.startswith("_")):
            attr = getattr(cls, name)
            if isinstance(attr, property):
                assert attr.__doc__, f"{cls.__name__}.{name}"
    assert trust.generate_external_id is cross_account.generate_external_id


def test_generate_external_id() -> None:
    ids = {trust.generate_external_id() for _ in range(100)}
    assert len(ids) == 100
    for external_id in ids:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{32}", external_id)
        # Accepted where an external ID goes, and clean by the lint.
        assert trust.lint(policy(external_ids=[external_id])) == []


# --- trust_policy ------------------------------------------------------------------------


def test_trust_policy_minimal() -> None:
    doc = json.loads(policy())
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }


def test_trust_policy_everything() -> None:
    doc = json.loads(
        trust.trust_policy(
            trusted_accounts=(PARTNER,),
            trusted_principals=iter(["arn:aws-cn:iam::444455556666:role/path/Sync"]),
            external_ids=[EXTERNAL_ID, "SECOND0EXTERNAL0ID00", EXTERNAL_ID],
            require_mfa=True,
            allow_source_identity=True,
            allow_tag_session=True,
            partition="aws-cn",
        )
    )
    (statement,) = doc["Statement"]
    assert statement["Principal"] == {
        "AWS": [
            "arn:aws-cn:iam::111122223333:root",
            "arn:aws-cn:iam::444455556666:role/path/Sync",
        ]
    }
    assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringEquals": {"sts:ExternalId": [EXTERNAL_ID, "SECOND0EXTERNAL0ID00"]},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"trusted_accounts": ["12345"]}, "trusted_accounts"),
        ({"trusted_accounts": []}, "trusted_accounts"),
        ({"trusted_accounts": [], "trusted_principals": ["not an arn"]}, "trusted_principals"),
        (
            {"trusted_accounts": [], "trusted_principals": ["arn:aws:iam::111122223333:group/g"]},
            "trusted_principals",
        ),
        ({"external_ids": []}, "external_ids"),
        ({"external_ids": ["x"]}, "external_ids"),
        ({"external_ids": ["has space"]}, "external_ids"),
        ({"partition": "mars"}, "partition"),
    ],
)
def test_trust_policy_invalid(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as excinfo:
        policy(**kwargs)
    assert excinfo.value.field == field
    assert excinfo.value.kind == "invalid_parameter"
    assert str(excinfo.value).startswith(f"invalid {field}: ")
    assert isinstance(excinfo.value, ValueError)


def test_a_single_string_is_not_a_list() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        trust.trust_policy(trusted_accounts=PARTNER, external_ids=[EXTERNAL_ID])
    with pytest.raises(TypeError, match="not a single string"):
        trust.trust_policy(trusted_accounts=[PARTNER], external_ids=EXTERNAL_ID)
    with pytest.raises(TypeError):
        trust.trust_policy(trusted_accounts=[PARTNER], external_ids=[1])  # type: ignore[list-item]


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        trust.trust_policy([PARTNER])  # type: ignore[call-arg]


# --- s3_read_only_policy -----------------------------------------------------------------


def test_s3_read_only_policy() -> None:
    whole = json.loads(trust.s3_read_only_policy("partner-reports"))
    assert whole["Version"] == "2012-10-17"
    get, listing = whole["Statement"]
    assert (get["Action"], get["Resource"]) == ("s3:GetObject", "arn:aws:s3:::partner-reports/*")
    assert (listing["Action"], listing["Resource"]) == (
        "s3:ListBucket",
        "arn:aws:s3:::partner-reports",
    )
    assert "Condition" not in listing

    prefixed = json.loads(trust.s3_read_only_policy("partner-reports", "exports/"))
    assert prefixed["Statement"][0]["Resource"] == "arn:aws:s3:::partner-reports/exports/*"
    assert prefixed["Statement"][1]["Condition"] == {"StringLike": {"s3:prefix": ["exports/*"]}}

    cn = json.loads(trust.s3_read_only_policy("reports", partition="aws-cn"))
    assert cn["Statement"][1]["Resource"] == "arn:aws-cn:s3:::reports"
    assert trust.s3_read_only_policy("reports", "") == trust.s3_read_only_policy("reports")


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (("Not_A_Bucket",), {}, "bucket"),
        (("ab",), {}, "bucket"),
        (("ok-bucket", "a*"), {}, "prefix"),
        (("ok-bucket", "${aws:username}/"), {}, "prefix"),
        (("ok-bucket",), {"partition": "mars"}, "partition"),
    ],
)
def test_s3_read_only_policy_invalid(
    args: tuple[str, ...], kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.s3_read_only_policy(*args, **kwargs)
    assert excinfo.value.field == field


# --- cloudformation ----------------------------------------------------------------------


def embedded(template: str, key: str) -> Any:
    """The JSON flow mapping after ``key`` (the template embeds each document as JSON)."""
    start = template.index(key) + len(key)
    depth = 0
    for i, c in enumerate(template[start:], start):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return json.loads(template[template.index("{", start) : i + 1])
    raise AssertionError(f"unbalanced after {key}")


def test_cloudformation_embeds_the_same_documents() -> None:
    args: dict[str, Any] = {"trusted_accounts": [PARTNER], "external_ids": [EXTERNAL_ID]}
    plain = trust.cloudformation(**args)
    assert plain.startswith('AWSTemplateFormatVersion: "2010-09-09"\n')
    assert '  DemoRole:\n    Type: "AWS::IAM::Role"\n' in plain
    assert "Policies:" not in plain
    assert "    Value: !GetAtt DemoRole.Arn\n" in plain
    assert embedded(plain, "AssumeRolePolicyDocument:") == json.loads(policy())

    full = trust.cloudformation(
        "Partner.Read-Reports",
        **args,
        s3_read_bucket="partner-reports",
        s3_read_prefix="exports/",
    )
    assert "  PartnerReadReports:\n" in full
    assert '      RoleName: "Partner.Read-Reports"\n' in full
    assert '        - PolicyName: "s3-read-only-partner-reports"\n' in full
    assert embedded(full, "AssumeRolePolicyDocument:") == json.loads(policy())
    assert embedded(full, "          PolicyDocument:") == json.loads(
        trust.s3_read_only_policy("partner-reports", "exports/")
    )


def test_cloudformation_parses_as_yaml() -> None:
    yaml = pytest.importorskip("yaml")

    class Loader(yaml.SafeLoader):  # type: ignore[misc,name-defined]
        pass

    # CloudFormation's short form `!GetAtt X.Arn`.
    Loader.add_constructor("!GetAtt", lambda loader, node: {"Fn::GetAtt": node.value})
    template = yaml.load(
        trust.cloudformation(
            "PartnerRole",
            trusted_accounts=[PARTNER],
            external_ids=[EXTERNAL_ID],
            s3_read_bucket="partner-reports",
        ),
        Loader=Loader,
    )
    role = template["Resources"]["PartnerRole"]
    assert role["Type"] == "AWS::IAM::Role"
    assert role["Properties"]["AssumeRolePolicyDocument"] == json.loads(policy())
    assert role["Properties"]["Policies"][0]["PolicyDocument"] == json.loads(
        trust.s3_read_only_policy("partner-reports")
    )
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": "PartnerRole.Arn"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role_name": "has space"}, "role_name"),
        ({"role_name": ""}, "role_name"),
        ({"role_name": "x" * 65}, "role_name"),
        ({"s3_read_bucket": "Not_A_Bucket"}, "s3_read_bucket"),
        ({"s3_read_bucket": "ok-bucket", "s3_read_prefix": "a?"}, "s3_read_prefix"),
        ({"s3_read_prefix": "exports/"}, "s3_read_prefix"),
        ({"external_ids": []}, "external_ids"),
        ({"trusted_accounts": ["1"]}, "trusted_accounts"),
        ({"partition": "mars"}, "partition"),
    ],
)
def test_cloudformation_invalid(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"trusted_accounts": [PARTNER], "external_ids": [EXTERNAL_ID]}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.cloudformation(**args)
    assert excinfo.value.field == field


# --- evaluate ----------------------------------------------------------------------------


def test_evaluate_the_external_id() -> None:
    p = policy()
    root = trust.evaluate(p, "arn:aws:iam::111122223333:root", EXTERNAL_ID)
    assert root.denied
    assert "Roles may not be assumed by root accounts" in (root.reason or "")
    for principal in (USER, SESSION):
        decision = trust.evaluate(p, principal, EXTERNAL_ID)
        assert decision == Decision(kind="allowed", statement=0)
        assert decision.allowed
        assert not decision.denied
        assert not decision.unknown
        assert decision.reason is None
        assert str(decision) == "allowed by Statement[0]"

    wrong = trust.evaluate(p, USER, "abc")
    assert wrong.kind == "denied"
    assert not wrong.allowed
    assert wrong.denied
    assert wrong.statement == 0
    assert wrong.reason == (
        f"Statement[0] does not apply: sts:ExternalId is 'abc' but the policy requires "
        f"'{EXTERNAL_ID}'"
    )
    assert str(wrong) == f"denied: {wrong.reason}"

    missing = trust.evaluate(p, USER)
    assert missing.denied
    assert "no external ID was sent" in (missing.reason or "")

    stranger = trust.evaluate(p, STRANGER, EXTERNAL_ID)
    assert stranger.denied
    assert "is not trusted" in (stranger.reason or "")


def test_evaluate_accepts_a_parsed_document() -> None:
    assert trust.evaluate(json.loads(policy()), USER, EXTERNAL_ID).allowed


def test_evaluate_mfa_and_long_term_credentials() -> None:
    mfa = policy(require_mfa=True)
    assert trust.evaluate(mfa, USER, EXTERNAL_ID, mfa=True).allowed
    assert trust.evaluate(mfa, USER, EXTERNAL_ID, True).allowed
    assert trust.evaluate(mfa, USER, EXTERNAL_ID).denied

    # From the IAM documentation: deny when MFA is "false"; long-term keys have no such key.
    deny_without_mfa = document(
        allow_partner(),
        {
            "Sid": "NoMfaNoEntry",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    denied = trust.evaluate(deny_without_mfa, USER, EXTERNAL_ID)
    assert denied.denied
    assert denied.statement == 1
    assert "explicitly denies" in (denied.reason or "")
    assert trust.evaluate(deny_without_mfa, USER, EXTERNAL_ID, long_term_credentials=True).allowed
    assert trust.evaluate(deny_without_mfa, USER, EXTERNAL_ID, mfa=True).allowed


def test_evaluate_names_the_sid() -> None:
    doc = json.loads(policy())
    doc["Statement"][0]["Sid"] = "PartnerSync"
    decision = trust.evaluate(doc, USER, EXTERNAL_ID)
    assert decision == Decision(kind="allowed", statement=0, sid="PartnerSync")
    assert str(decision) == 'allowed by Statement[0] (Sid "PartnerSync")'


def test_evaluate_unknown_never_allows() -> None:
    doc = document(allow_partner({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}))
    decision = trust.evaluate(doc, USER)
    assert decision.kind == "unknown"
    assert decision.unknown
    assert not decision.allowed
    assert "DateGreaterThan" in (decision.reason or "")
    assert str(decision).startswith("unknown: ")
    # A caller the policy does not trust is denied whatever the condition says.
    assert trust.evaluate(doc, STRANGER).denied


@pytest.mark.parametrize(
    ("policy_json", "principal", "external_id", "field"),
    [
        ("not json", USER, None, "policy_json"),
        ("{}", USER, None, "policy_json"),
        ('{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}', USER, None,
         "policy_json"),
        (None, "alice", None, "principal_arn"),
        (None, "arn:aws:iam::12:user/a", None, "principal_arn"),
        (None, USER, "a", "external_id"),
        (None, USER, "has space", "external_id"),
    ],
)  # fmt: skip
def test_evaluate_invalid_input(
    policy_json: str | None, principal: str, external_id: str | None, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.evaluate(policy_json or policy(), principal, external_id)
    assert excinfo.value.field == field


def test_decision_is_a_value() -> None:
    decision = trust.evaluate(policy(), USER, "abc")
    assert pickle.loads(pickle.dumps(decision)) == decision
    assert hash(decision) == hash(Decision(decision.kind, decision.reason, decision.statement))
    with pytest.raises(AttributeError):
        decision.kind = "allowed"  # type: ignore[misc]
    assert "kind='denied'" in repr(decision)


# --- lint --------------------------------------------------------------------------------


def test_lint_clean() -> None:
    assert trust.lint(policy()) == []
    assert trust.lint(json.loads(policy())) == []


def test_lint_confused_deputy() -> None:
    doc = json.loads(policy())
    del doc["Statement"][0]["Condition"]
    (warning,) = trust.lint(doc)
    assert warning.code == "confused-deputy"
    assert warning.statement == 0
    assert warning.message.startswith("Statement[0] ")
    assert str(warning) == f"confused-deputy: {warning.message}"
    assert pickle.loads(pickle.dumps(warning)) == warning


def test_lint_every_kind() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            allow_partner({"StringLikeIfExists": {"sts:ExternalId": "abc*"}}),
        ]
    }
    codes = [w.code for w in trust.lint(doc)]
    for code in (
        "missing-version",
        "wildcard-principal",
        "confused-deputy",
        "external-id-wildcard",
        "external-id-if-exists",
    ):
        assert code in codes
    # A pattern's length says nothing: the wildcard warning covers it.
    assert "short-external-id" not in codes
    assert [w.code for w in trust.lint(policy(external_ids=["short-id"]))] == ["short-external-id"]


def test_lint_invalid_policy_is_one_warning() -> None:
    (warning,) = trust.lint("not json")
    assert warning == LintWarning(code="invalid-policy", message=warning.message, statement=None)
    assert warning.message.startswith("not a valid trust policy: ")


# --- the same core code as the command line ---------------------------------------------

OPEN_TEMPLATE = """\
Resources:
  Partner:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub 'arn:${AWS::Partition}:iam::111122223333:root'}
            Action: sts:AssumeRole
  Ci:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Federated: !Sub >-
                arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals: {token.actions.githubusercontent.com:aud: sts.amazonaws.com}
              StringLike: {token.actions.githubusercontent.com:sub: '*'}
"""


def test_str_is_the_cores_display() -> None:
    assert str(Decision("allowed", statement=2, sid="S")) == 'allowed by Statement[2] (Sid "S")'
    assert str(Decision("denied", "no", 1)) == "denied: no"
    assert str(Decision("unknown", "why")) == "unknown: why"
    warning = LintWarning("old-version", "use 2012-10-17")
    assert str(warning) == "old-version: use 2012-10-17"
    assert warning.severity == "warning"
    assert "2012-10-17" in warning.help
    for bad in (
        lambda: Decision("maybe", "x"),
        lambda: Decision("allowed"),
        lambda: Decision("denied"),
        lambda: LintWarning("no-such-code", "x"),
    ):
        with pytest.raises(ValueError):
            bad()


def test_lint_grammar_federation_and_context() -> None:
    wildcard = json.loads(policy())
    wildcard["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::111122223333:role/*"}
    (error,) = trust.lint(wildcard)
    assert (error.code, error.severity) == ("wildcard-in-principal-arn", "error")
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.evaluate(wildcard, SESSION, EXTERNAL_ID)
    assert excinfo.value.field == "policy_json"

    own = json.loads(policy())
    own["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::444455556666:role/Deployer"}
    del own["Statement"][0]["Condition"]
    assert [w.code for w in trust.lint(own)] == ["confused-deputy"]
    (note,) = trust.lint(own, own_accounts=["444455556666"])
    assert (note.code, note.severity) == ("confused-deputy-quieted", "note")
    assert "your own account (--own-account)" in note.message
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.lint(own, own_accounts=["12"])
    assert excinfo.value.field == "own_accounts"
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.lint(own, orgs=["acme"])
    assert excinfo.value.field == "orgs"


def test_evaluate_principal_role_arn() -> None:
    doc = json.loads(policy())
    doc["Statement"][0]["Condition"]["ArnEquals"] = {
        "aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops/Sync"
    }
    assert trust.evaluate(doc, SESSION, EXTERNAL_ID).unknown
    role = "arn:aws:iam::111122223333:role/ops/Sync"
    assert trust.evaluate(doc, SESSION, EXTERNAL_ID, principal_role_arn=role).allowed
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.evaluate(doc, SESSION, EXTERNAL_ID, principal_role_arn="arn:aws:iam::1:role/X")
    assert excinfo.value.field == "principal_role_arn"


def test_lint_report_reads_templates_and_writes_sarif() -> None:
    report = trust.lint_report(OPEN_TEMPLATE)
    assert report.has_warnings
    assert not report.has_errors
    names = [name for name, _ in report.documents]
    assert names == ["Partner", "Ci"]
    codes = {name: [w.code for w in warnings] for name, warnings in report.documents}
    assert codes == {"Partner": ["confused-deputy"], "Ci": ["oidc-sub-wildcard"]}
    assert str(report).startswith(
        "Partner: confused-deputy: Statement[0] lets arn:aws:iam::111122223333:root"
    )
    sarif = json.loads(report.to_sarif("template.yaml"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["confused-deputy", "oidc-sub-wildcard"]
    location = results[1]["locations"][0]
    assert location["physicalLocation"]["region"]["startLine"] == 11
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Ci/Statement[0]"
    as_json = json.loads(report.to_json())
    assert as_json["summary"] == {"errors": 0, "warnings": 2, "notes": 0}
    # The template `cloudformation()` writes lints clean.
    generated = trust.cloudformation(trusted_accounts=[PARTNER], external_ids=[EXTERNAL_ID])
    assert "DemoRole" in generated and trust.DEFAULT_ROLE_NAME == "DemoRole"
    clean = trust.lint_report(generated)
    assert [name for name, _ in clean.documents] == ["DemoRole"]
    assert not clean.has_warnings
    with pytest.raises(InvalidParameterError) as excinfo:
        trust.lint_report("Resources:\n  A: [\n")
    assert excinfo.value.field == "template"
