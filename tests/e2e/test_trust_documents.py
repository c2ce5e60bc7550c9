"""The trusting side's documents, judged by moto's IAM and STS.

A role created from them must let the partner in with the external ID.

Every trust policy, permission policy and CloudFormation template here is printed by the
`cross-account` binary (`trust-policy new`). Each becomes a fresh role in the running moto
server, through `local_sts.py setup-role` (CreateRole, then UpdateAssumeRolePolicy, which is
where moto validates a trust policy, then PutRolePolicy) or through a CloudFormation stack.
Then, for the right and wrong external IDs, moto's AssumeRole decision must equal the local
evaluator's, asked twice: `cross-account trust-policy check` (exit 0 or 3) and
`cross_account.trust.evaluate`.

Only cases moto enforces are compared. moto (5.x) evaluates a trust policy with:
- Principal: the caller's exact ARN (a string, a list member, or "*"); an account's `:root`
  does not stand for its users. So the documents name the partner user's ARN.
- Conditions: only `StringEquals`, and a key absent from the request is skipped: a request
  without an external ID passes; `Bool aws:MultiFactorAuthPresent` is ignored.
`test_moto_limits_are_where_they_differ` pins those differences, so a moto upgrade that
changes them is noticed rather than silently compared.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from built import cargo_built, fail_or_skip

REPO = Path(__file__).resolve().parents[2]
LOCAL_STS = REPO / "tests" / "support" / "local_sts.py"
RIGHT = "7M3Q9XKZ2R8TB4WN6PDC2E5H"  # what `external-id generate` could print
SECOND = "SECOND0EXTERNAL0ID000"
WRONG = "not-the-external-id"

# Wrong in ways a sloppy matcher would let through.
NEAR_MISSES = [RIGHT.lower(), RIGHT + "X", RIGHT[:-1], "X" + RIGHT]


@pytest.fixture(scope="session")
def cli_bin() -> Path:
    """The `cross-account` binary, built (incrementally) from this tree."""
    given = os.environ.get("CROSS_ACCOUNT_CLI")
    if given:
        return Path(given)
    (binary,) = cargo_built(["-p", "cross-account-cli"], ["cross-account"])
    return binary


@pytest.fixture(scope="session")
def native_trust() -> Any:
    """`cross_account.trust`, the Python face (built by `maturin develop`)."""
    try:
        from cross_account import trust
    except ImportError as e:
        fail_or_skip(
            f"cross_account is not installed (cd python && maturin develop): {e}"
        )
    return trust


def run_cli(cli_bin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli_bin), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def new(cli_bin: Path, *args: str) -> str:
    """What `cross-account trust-policy new ARGS` prints (it must succeed)."""
    done = run_cli(cli_bin, "trust-policy", "new", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"  # reruns may share one server


def setup_role(
    scenario_dir: Path, tmp_path: Path, trust: str, permission: str | None = None
) -> str:
    """A fresh moto role from the documents; returns its ARN."""
    name = unique("Trust")
    trust_file = tmp_path / f"{name}-trust.json"
    trust_file.write_text(trust)
    args = [
        sys.executable, str(LOCAL_STS), "setup-role",
        "--state-dir", str(scenario_dir),
        "--role-name", name,
        "--trust-policy", str(trust_file),
    ]  # fmt: skip
    if permission is not None:
        permission_file = tmp_path / f"{name}-permission.json"
        permission_file.write_text(permission)
        args += ["--permission-policy", str(permission_file)]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"moto refused the documents: {done.stderr}"
    return done.stdout.strip()


def admin(aws: Any, scenario: dict[str, Any], service: str) -> Any:
    return aws.client(
        service,
        {
            "AccessKeyId": scenario["admin_access_key_id"],
            "SecretAccessKey": scenario["admin_secret_access_key"],
        },
    )


def moto_allows(aws: Any, role_arn: str, external_id: str | None) -> bool:
    """AssumeRole with the partner's keys: True if it succeeds, False on AccessDenied."""
    from botocore.exceptions import ClientError

    params = {"RoleArn": role_arn, "RoleSessionName": "trust-documents"}
    if external_id is not None:
        params["ExternalId"] = external_id
    try:
        aws.client("sts").assume_role(**params)
    except ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert (e.response["Error"].get("Code"), status) == ("AccessDenied", 403), e
        return False
    return True


class Judges:
    """The local evaluator's two faces, which must agree with each other too."""

    def __init__(self, cli_bin: Path, trust: Any, tmp_path: Path) -> None:
        self.cli_bin = cli_bin
        self.trust = trust
        self.tmp_path = tmp_path

    def allows(self, policy: str, principal: str, external_id: str | None) -> bool:
        policy_file = self.tmp_path / f"{uuid.uuid4().hex}.json"
        policy_file.write_text(policy)
        args = ["trust-policy", "check", "--policy", str(policy_file)]
        args += ["--principal", principal, "--long-term-credentials"]
        if external_id is not None:
            args += ["--external-id", external_id]
        checked = run_cli(self.cli_bin, *args)
        assert checked.returncode in (0, 3), checked
        cli_allows = checked.returncode == 0

        decision = self.trust.evaluate(
            policy, principal, external_id, long_term_credentials=True
        )
        assert decision.kind in ("allowed", "denied"), decision
        assert decision.allowed == cli_allows, (checked.stdout, decision)
        assert checked.stdout.strip() == str(decision)
        return cli_allows


@pytest.fixture
def judges(cli_bin: Path, native_trust: Any, tmp_path: Path) -> Judges:
    return Judges(cli_bin, native_trust, tmp_path)


# --- moto accepts what the CLI prints ------------------------------------------


def test_moto_accepts_the_printed_documents(
    cli_bin: Path,
    aws: Any,
    scenario: dict[str, Any],
    scenario_dir: Path,
    tmp_path: Path,
) -> None:
    partner = scenario["partner_user_arn"]
    external_id = run_cli(cli_bin, "external-id", "generate").stdout.strip()
    base = ["--trusted-principal", partner, "--external-id", external_id]
    trust = new(cli_bin, *base)
    permission = new(
        cli_bin, *base, "--s3-read-bucket", scenario["bucket"], "--print", "permission"
    )
    role_arn = setup_role(scenario_dir, tmp_path, trust, permission)

    iam = admin(aws, scenario, "iam")
    name = role_arn.rsplit("/", 1)[1]
    stored = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert stored == json.loads(trust)
    inline = iam.get_role_policy(RoleName=name, PolicyName="permissions")
    assert inline["PolicyDocument"] == json.loads(permission)

    # Every option of `new` yields a document moto's validator takes.
    everything = new(
        cli_bin, *base,
        "--trusted-principal", scenario["role_arn"],
        "--external-id", SECOND,
        "--require-mfa", "--allow-source-identity", "--allow-tag-session",
    )  # fmt: skip
    setup_role(scenario_dir, tmp_path, everything)
    prefixed = new(
        cli_bin, *base,
        "--s3-read-bucket", scenario["bucket"], "--s3-read-prefix", "reports/",
        "--print", "permission",
    )  # fmt: skip
    setup_role(scenario_dir, tmp_path, trust, prefixed)


def test_the_python_face_prints_the_same_documents(
    cli_bin: Path, native_trust: Any, scenario: dict[str, Any]
) -> None:
    partner = scenario["partner_user_arn"]
    assert (
        new(
            cli_bin,
            "--trusted-principal",
            partner,
            "--external-id",
            RIGHT,
            "--require-mfa",
        )
        == native_trust.trust_policy(
            trusted_principals=[partner], external_ids=[RIGHT], require_mfa=True
        )
        + "\n"
    )
    assert new(
        cli_bin, "--trusted-principal", partner, "--external-id", RIGHT,
        "--s3-read-bucket", "b-bucket", "--s3-read-prefix", "p/", "--print", "permission",
    ) == native_trust.s3_read_only_policy("b-bucket", "p/") + "\n"  # fmt: skip
    assert new(
        cli_bin, "--trusted-principal", partner, "--external-id", RIGHT,
        "--format", "cloudformation", "--role-name", "R1", "--s3-read-bucket", "b-bucket",
    ) == native_trust.cloudformation(
        "R1", trusted_principals=[partner], external_ids=[RIGHT], s3_read_bucket="b-bucket"
    )  # fmt: skip


# --- the evaluator agrees with moto ----------------------------------------------

# Documents moto fully enforces: exact principal ARNs and StringEquals sts:ExternalId only.
DOCUMENTS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "one-external-id": lambda s: [
        "--trusted-principal", s["partner_user_arn"], "--external-id", RIGHT,
    ],
    "two-external-ids": lambda s: [
        "--trusted-principal", s["partner_user_arn"],
        "--external-id", RIGHT, "--external-id", SECOND,
    ],
    "principal-list": lambda s: [
        "--trusted-principal", s["role_arn"],
        "--trusted-principal", s["partner_user_arn"],
        "--external-id", RIGHT,
    ],
    "partner-not-trusted": lambda s: [
        "--trusted-principal", s["role_arn"], "--external-id", RIGHT,
    ],
    "extra-actions": lambda s: [
        "--trusted-principal", s["partner_user_arn"], "--external-id", RIGHT,
        "--allow-source-identity", "--allow-tag-session",
    ],
}  # fmt: skip

EXTERNAL_IDS = [RIGHT, SECOND, WRONG, *NEAR_MISSES]


@pytest.fixture(scope="module")
def roles(
    cli_bin: Path,
    scenario: dict[str, Any],
    scenario_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[str, str]]:
    """Document name -> (trust policy JSON, ARN of a moto role created from it)."""
    tmp = tmp_path_factory.mktemp("trust-roles")
    made = {}
    for name, flags in DOCUMENTS.items():
        policy = new(cli_bin, *flags(scenario))
        made[name] = (policy, setup_role(scenario_dir, tmp, policy))
    return made


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_evaluator_agrees_with_moto(
    document: str,
    roles: dict[str, tuple[str, str]],
    judges: Judges,
    aws: Any,
    scenario: dict[str, Any],
) -> None:
    policy, role_arn = roles[document]
    partner = scenario["partner_user_arn"]
    outcomes = {}
    for external_id in EXTERNAL_IDS:
        ours = judges.allows(policy, partner, external_id)
        theirs = moto_allows(aws, role_arn, external_id)
        assert ours == theirs, f"{document}: ExternalId={external_id!r}: {policy}"
        outcomes[external_id] = ours

    # The comparison is not vacuous: both outcomes occur where they should.
    trusted = document != "partner-not-trusted"
    assert outcomes[RIGHT] is trusted
    assert outcomes[SECOND] is (document == "two-external-ids")
    assert not outcomes[WRONG]
    assert not any(outcomes[x] for x in NEAR_MISSES)


def test_moto_limits_are_where_they_differ(
    cli_bin: Path,
    judges: Judges,
    aws: Any,
    scenario: dict[str, Any],
    scenario_dir: Path,
    tmp_path: Path,
) -> None:
    partner = scenario["partner_user_arn"]
    account = partner.split(":")[4]

    # A missing external ID: IAM refuses, moto lets it through.
    one = new(cli_bin, "--trusted-principal", partner, "--external-id", RIGHT)
    role = setup_role(scenario_dir, tmp_path, one)
    assert not judges.allows(one, partner, None)
    assert moto_allows(aws, role, None)

    # The account root stands for its users in IAM, not in moto.
    root = new(cli_bin, "--trusted-account", account, "--external-id", RIGHT)
    role = setup_role(scenario_dir, tmp_path, root)
    assert judges.allows(root, partner, RIGHT)
    assert not moto_allows(aws, role, RIGHT)
    # Where both decide on the external ID alone, they still agree.
    assert not judges.allows(root, partner, WRONG)
    assert not moto_allows(aws, role, WRONG)

    # MFA: IAM requires it, moto ignores Bool conditions.
    mfa = new(
        cli_bin, "--trusted-principal", partner, "--external-id", RIGHT, "--require-mfa"
    )
    role = setup_role(scenario_dir, tmp_path, mfa)
    assert not judges.allows(mfa, partner, RIGHT)
    assert moto_allows(aws, role, RIGHT)
    assert not judges.allows(mfa, partner, WRONG)
    assert not moto_allows(aws, role, WRONG)


# --- the permission policy ------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "can_read"), [(None, True), ("reports/", True), ("other/", False)]
)
def test_permission_policy_reads_and_never_writes(
    prefix: str | None,
    can_read: bool,
    cli_bin: Path,
    aws: Any,
    scenario: dict[str, Any],
    scenario_dir: Path,
    tmp_path: Path,
) -> None:
    from botocore.exceptions import ClientError

    partner = scenario["partner_user_arn"]
    base = ["--trusted-principal", partner, "--external-id", RIGHT]
    s3_flags = ["--s3-read-bucket", scenario["bucket"]]
    if prefix is not None:
        s3_flags += ["--s3-read-prefix", prefix]
    permission = new(cli_bin, *base, *s3_flags, "--print", "permission")
    role_arn = setup_role(scenario_dir, tmp_path, new(cli_bin, *base), permission)

    creds = aws.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="reader", ExternalId=RIGHT
    )["Credentials"]
    s3 = aws.client("s3", creds)
    bucket, key = scenario["bucket"], scenario["key"]
    if can_read:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        assert body == scenario["body"]
    else:
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket=bucket, Key=key)
        assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key=f"{prefix or ''}x.txt", Body=b"x")
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"


# --- the CloudFormation template ------------------------------------------------


def load_template(text: str) -> dict[str, Any]:
    """Parse a template with PyYAML, knowing CloudFormation's short tags."""
    try:
        import yaml
    except ImportError:
        fail_or_skip("PyYAML is not installed (it comes with moto[server] and awscli)")

    class Loader(yaml.SafeLoader):
        pass

    def short_form(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        # `!GetAtt R.Arn` is `{"Fn::GetAtt": "R.Arn"}`; `!Ref X` is `{"Ref": "X"}`.
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        return {name: loader.construct_scalar(node)}

    Loader.add_multi_constructor("!", short_form)
    return dict(yaml.load(text, Loader=Loader))


def test_cloudformation_template_builds_the_same_role(
    cli_bin: Path,
    judges: Judges,
    aws: Any,
    scenario: dict[str, Any],
) -> None:
    partner = scenario["partner_user_arn"]
    base = ["--trusted-principal", partner, "--external-id", RIGHT]
    s3_flags = ["--s3-read-bucket", scenario["bucket"], "--s3-read-prefix", "reports/"]
    trust = json.loads(new(cli_bin, *base))
    permission = json.loads(new(cli_bin, *base, *s3_flags, "--print", "permission"))
    role_name = unique("Cfn")
    text = new(
        cli_bin,
        *base,
        *s3_flags,
        "--format",
        "cloudformation",
        "--role-name",
        role_name,
    )

    template = load_template(text)
    logical_id = role_name.replace("-", "")
    assert list(template["Resources"]) == [logical_id]
    role = template["Resources"][logical_id]
    assert role["Type"] == "AWS::IAM::Role"
    props = role["Properties"]
    assert props["RoleName"] == role_name
    assert props["AssumeRolePolicyDocument"] == trust
    (inline,) = props["Policies"]
    assert inline["PolicyName"] == f"s3-read-only-{scenario['bucket']}"
    assert inline["PolicyDocument"] == permission
    assert template["Outputs"]["RoleArn"]["Value"] == {
        "Fn::GetAtt": f"{logical_id}.Arn"
    }

    # moto's CloudFormation builds the role from the template, as AWS would.
    cfn = admin(aws, scenario, "cloudformation")
    stack = cfn.create_stack(StackName=unique("trust-docs"), TemplateBody=text)
    described = cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    role_arn = outputs["RoleArn"]
    assert role_arn.endswith(f":role/{role_name}")

    iam = admin(aws, scenario, "iam")
    stored = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert stored == trust
    got = iam.get_role_policy(RoleName=role_name, PolicyName=inline["PolicyName"])
    document = got["PolicyDocument"]
    if isinstance(document, str):
        # moto's CloudFormation stores an inline policy as the Python repr of the dict.
        document = ast.literal_eval(document)
    assert document == permission

    policy = json.dumps(trust)
    for external_id in (RIGHT, WRONG, RIGHT.lower()):
        assert judges.allows(policy, partner, external_id) == moto_allows(
            aws, role_arn, external_id
        ), external_id
    assert moto_allows(aws, role_arn, RIGHT)


def test_corpus_side_by_side_with_checkov(cli_bin: Path) -> None:
    """The trust corpus' CloudFormation forms, linted by cross-account and by checkov.

    Both tools run on the same files and must give what `tests/trust-corpus/checkov-results.json`
    and `docs/trust-corpus.md` record (regenerate them with the script's --write). checkov comes
    from its own virtualenv (scripts/ensure-checkov; `CHECKOV` names it when the test command
    installed it already) and runs without network.
    """
    checkov = os.environ.get("CHECKOV")
    if not checkov:
        done = subprocess.run(
            [str(REPO / "scripts" / "ensure-checkov")],
            check=False,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            fail_or_skip(f"checkov could not be installed: {done.stderr[-800:]}")
        checkov = done.stdout.strip().splitlines()[-1]
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "trust-corpus" / "checkov_compare.py"),
            "--checkov",
            checkov,
            "--cross-account",
            str(cli_bin),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
