"""Named profiles, judged by real clients on the loopback moto STS.

For each config/credentials pair of the matrix, five clients resolve the same profile:
the AWS CLI (`aws sts get-caller-identity --profile X`), boto3 (`Session(profile_name=X)`),
and cross-account's three faces: Rust (`CrossAccountSession::from_profile`, the
`profile_identity` example), Python (`CrossAccountSession.from_profile`) and the CLI
(`cross-account assume --profile X`). They must get the same assumed role (and the same
session name where the profile sets one), or all refuse.

What moto cannot tell apart, and so what this matrix does not prove:
- moto does not check a missing external ID (only a wrong one), so a client that dropped
  `external_id` would still pass the DemoRole rows; the core's unit tests check it is read.
- moto matches trust principals by exact ARN and never matches an assumed-role session
  against a role ARN, so the chain roles (Hop1..3) trust "*"; DemoRole trusts the partner
  user only, which is what makes "environment keys + explicit profile" observable (the admin
  keys in the environment are not trusted).
- moto does not enforce the 1 h limit on chained sessions: the AWS CLI and boto3 pass
  duration_seconds = 7200 through, and only cross-account clamps (checked on its expiry).
- every client is sent to the one loopback endpoint (AWS_ENDPOINT_URL), and moto answers any
  region alike, so `region = eu-west-1` is read but its effect is not observable here.
- moto accepts any MFA code: the row with mfa_serial shows every client sends one (each is
  given the code through its own channel), not that the code is checked.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aws_env import isolated_aws_env
from built import cargo_built, fail_or_skip

REPO = Path(__file__).resolve().parents[2]
MFA_CODE = "123456"
MFA_SERIAL = "arn:aws:iam::123456789012:mfa/alice"
CLIENT_TIMEOUT_S = 60
STORM_LIMIT_S = 10.0
HOPS = ("ProfilesHop1", "ProfilesHop2", "ProfilesHop3")
CLIENTS = ("aws-cli", "boto3", "rust", "python", "cross-account-cli")


@pytest.fixture(scope="module")
def binaries() -> dict[str, Path]:
    """The `cross-account` CLI and the `profile_identity` example, built from this tree."""
    cli, rust = cargo_built(
        [
            "-p",
            "cross-account-cli",
            "-p",
            "cross-account-examples",
            "--bin",
            "profile_identity",
        ],
        ["cross-account", "profile_identity"],
    )
    wanted = {"cli": cli, "rust": rust}
    if shutil.which("aws") is None:
        fail_or_skip("the aws CLI is not installed (scripts/ensure-python-deps)")
    try:
        import cross_account  # noqa: F401
    except ImportError as e:
        fail_or_skip(
            f"cross_account is not installed (cd python && maturin develop): {e}"
        )
    return wanted


@pytest.fixture(scope="module")
def hop_roles(scenario: dict[str, Any]) -> dict[str, str]:
    """Three chain roles, created once per server with the admin keys."""
    import boto3
    from botocore.exceptions import ClientError

    iam = boto3.session.Session(
        aws_access_key_id=scenario["admin_access_key_id"],
        aws_secret_access_key=scenario["admin_secret_access_key"],
        region_name=scenario["region"],
    ).client("iam", endpoint_url=scenario["endpoint_url"])

    def doc(statement: dict[str, Any]) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    arns = {}
    for name in HOPS:
        try:
            arns[name] = iam.get_role(RoleName=name)["Role"]["Arn"]
            continue
        except ClientError:
            pass
        trust = {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
        }
        arns[name] = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=doc(trust)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName="may-assume-roles",
            PolicyDocument=doc(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
            ),
        )
    return arns


@dataclass
class Case:
    """One config/credentials pair and the profile every client is asked for."""

    name: str
    profile: str
    config: str
    credentials: str
    expect_role: str | None  # the role name, or None: every client refuses
    expect_session: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # cross-account clamps a chained hop to 1 h; the others pass duration_seconds on.
    max_lifetime_s: int | None = None


def cases(s: dict[str, Any], hops: dict[str, str], cli: Path) -> list[Case]:
    demo = s["role_arn"]
    h1, h2, h3 = (hops[n] for n in HOPS)
    partner = (
        f"aws_access_key_id = {s['partner_access_key_id']}\n"
        f"aws_secret_access_key = {s['partner_secret_access_key']}\n"
    )
    base = f"[base]\n{partner}"
    role = f"role_arn = {demo}\nexternal_id = {s['external_id']}\n"
    expired = json.dumps(
        {
            "Version": 1,
            "AccessKeyId": s["partner_access_key_id"],
            "SecretAccessKey": s["partner_secret_access_key"],
            "Expiration": "2020-01-01T00:00:00Z",
        }
    )
    # The JSON comes through the environment: botocore splits the command like a shell
    # would, the Rust SDK runs it with `sh -c`; this form means the same to both.
    stale_cmd = f"{sys.executable} -c \"import os; print(os.environ['STALE_CREDS'])\""
    partner_env = {
        "AWS_ACCESS_KEY_ID": s["partner_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": s["partner_secret_access_key"],
    }
    admin_env = {
        "AWS_ACCESS_KEY_ID": s["admin_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": s["admin_secret_access_key"],
    }
    one_hop = f"[profile partner]\n{role}source_profile = base\n"
    return [
        Case("1-hop source_profile", "partner", one_hop, base, "DemoRole"),
        Case(
            "2-hop chain, duration_seconds 7200",
            "two",
            f"[profile two]\nrole_arn = {h2}\nsource_profile = one\nduration_seconds = 7200\n"
            f"[profile one]\nrole_arn = {h1}\nsource_profile = base\n",
            base,
            "ProfilesHop2",
            max_lifetime_s=3600,
        ),
        Case(
            "3-hop chain",
            "three",
            f"[profile three]\nrole_arn = {h3}\nsource_profile = two\n"
            f"[profile two]\nrole_arn = {h2}\nsource_profile = one\n"
            f"[profile one]\nrole_arn = {h1}\nsource_profile = base\n",
            base,
            "ProfilesHop3",
        ),
        Case(
            "credential_source = Environment",
            "envsrc",
            f"[profile envsrc]\n{role}credential_source = Environment\n",
            "",
            "DemoRole",
            env=partner_env,
        ),
        Case(
            "[default] is itself a role",
            "default",
            f"[default]\n{role}source_profile = base\n",
            base,
            "DemoRole",
        ),
        Case(
            "role_session_name, duration_seconds, region, mfa_serial",
            "tuned",
            f"[profile tuned]\n{role}source_profile = base\nrole_session_name = nightly\n"
            f"duration_seconds = 1800\nregion = eu-west-1\nmfa_serial = {MFA_SERIAL}\n",
            base,
            "DemoRole",
            expect_session="nightly",
            max_lifetime_s=1800,
        ),
        Case(
            "a cycle",
            "cyc-a",
            f"[profile cyc-a]\nrole_arn = {h1}\nsource_profile = cyc-b\n"
            f"[profile cyc-b]\nrole_arn = {h2}\nsource_profile = cyc-a\n",
            base,
            None,
        ),
        Case(
            "a missing source profile",
            "lost",
            f"[profile lost]\n{role}source_profile = nosuch\n",
            base,
            None,
        ),
        Case("an unknown profile", "nosuch", one_hop, base, None),
        Case(
            "environment keys + explicit profile (env = admin, not trusted)",
            "partner",
            one_hop,
            base,
            "DemoRole",
            env=admin_env,
        ),
        Case(
            "AWS_PROFILE = the credential_process profile",
            "via-proc",
            f"[profile proc]\ncredential_process = {cli} credential-process"
            f" --role-arn {h1} --no-cache\n"
            f"[profile via-proc]\nrole_arn = {h2}\nsource_profile = proc\n",
            f"[default]\n{partner}",
            "ProfilesHop2",
            env={"AWS_PROFILE": "proc"},
        ),
        Case(
            "source credential_process already expired",
            "stale",
            f"[profile stale]\nrole_arn = {h1}\nsource_profile = old\n"
            f"[profile old]\ncredential_process = {stale_cmd}\n",
            "",
            None,
            env={"STALE_CREDS": expired},
        ),
    ]


def case_env(s: dict[str, Any], home: Path, case: Case) -> dict[str, str]:
    env = isolated_aws_env(
        home,
        region=s["region"],
        endpoint_url=s["endpoint_url"],
        XDG_CACHE_HOME=str(home / "cache"),
        # The AWS CLI caches assumed roles in ~/.aws/cli/cache, keyed without the source.
        HOME=str(home),
        MFA_CODE=MFA_CODE,
    )
    env.pop("CROSS_ACCOUNT_EXTERNAL_ID", None)
    env.update(case.env)
    return env


BOTO3 = textwrap.dedent(
    """
    import sys, boto3
    s = boto3.Session(profile_name=sys.argv[1])
    # botocore asks for the MFA code through a prompter; the test's stands in for the tty.
    resolver = s._session.get_component("credential_provider")
    resolver.get_provider("assume-role")._prompter = lambda _: sys.argv[2]
    print(s.client("sts").get_caller_identity()["Arn"])
    """
)

PYTHON = textwrap.dedent(
    """
    import sys
    from cross_account import CrossAccountSession
    s = CrossAccountSession.from_profile(sys.argv[1], mfa_token_provider=lambda: sys.argv[2])
    c = s.credentials()
    print(c.assumed_role_arn)
    print(int(c.expiration.timestamp()))
    """
)


@dataclass
class Outcome:
    arn: str | None
    error: str
    expires_in: int | None = None


def run_client(
    argv: list[str], env: dict[str, str], check: bool = False, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """One client run: output captured as text, bounded by CLIENT_TIMEOUT_S."""
    return subprocess.run(
        argv,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_S,
        check=check,
    )


def run(client: str, case: Case, env: dict[str, str], bins: dict[str, Path]) -> Outcome:
    argv = {
        "aws-cli": ["aws", "sts", "get-caller-identity", "--profile", case.profile]
        + ["--output", "json"],
        "boto3": [sys.executable, "-c", BOTO3, case.profile, MFA_CODE],
        "rust": [str(bins["rust"]), case.profile],
        "python": [sys.executable, "-c", PYTHON, case.profile, MFA_CODE],
        "cross-account-cli": [str(bins["cli"]), "assume", "--profile", case.profile]
        + ["--format", "json"]
        + (["--mfa-token", MFA_CODE] if case.expect_session == "nightly" else []),
    }[client]
    started = time.time()
    # The AWS CLI reads the MFA code from stdin when there is no terminal.
    done = run_client(argv, env, stdin=MFA_CODE + "\n")
    if done.returncode != 0:
        return Outcome(
            None,
            done.stderr.strip().splitlines()[-1:][0]
            if done.stderr.strip()
            else f"exit {done.returncode}",
        )
    out = done.stdout.strip()
    if client == "aws-cli":
        return Outcome(json.loads(out)["Arn"], "")
    if client == "cross-account-cli":
        body = json.loads(out)
        expires = datetime.fromisoformat(body["Expiration"])
        return Outcome(body["AssumedRoleArn"], "", int(expires.timestamp() - started))
    if client == "python":
        arn, expires_at = out.splitlines()
        return Outcome(arn, "", int(int(expires_at) - started))
    return Outcome(out.splitlines()[-1], "")


def role_and_session(arn: str) -> tuple[str, str]:
    # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    _, role, session = arn.split(":", 5)[5].split("/", 2)
    return role, session


@pytest.fixture(scope="module")
def matrix(
    scenario: dict[str, Any],
    hop_roles: dict[str, str],
    binaries: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[Case, dict[str, Outcome]]]]:
    rows = []
    jobs = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for i, case in enumerate(cases(scenario, hop_roles, binaries["cli"])):
            home = tmp_path_factory.mktemp(f"profiles-{i}")
            (home / "config").write_text(case.config)
            (home / "credentials").write_text(case.credentials)
            env = case_env(scenario, home, case)
            futures = {c: pool.submit(run, c, case, env, binaries) for c in CLIENTS}
            jobs.append((case, futures))
        for case, futures in jobs:
            rows.append((case, {c: f.result() for c, f in futures.items()}))
    table = ["", f"{'case':58} " + " ".join(f"{c:22}" for c in CLIENTS)]
    for case, got in rows:
        cells = []
        for c in CLIENTS:
            o = got[c]
            cells.append(
                f"{'/'.join(role_and_session(o.arn)) if o.arn else 'refused':22.22}"
            )
        table.append(f"{case.name:58.58} " + " ".join(cells))
    for case, got in rows:
        if case.expect_role is None:
            table.append(f"-- {case.name}:")
            table.extend(f"   {c}: {got[c].error[:160]}" for c in CLIENTS)
    print("\n".join(table))
    yield rows


def test_every_client_agrees_on_every_profile(
    matrix: list[tuple[Case, dict[str, Outcome]]],
) -> None:
    assert len(matrix) >= 12
    problems = []
    for case, got in matrix:
        for client, o in got.items():
            if case.expect_role is None:
                if o.arn is not None:
                    problems.append(
                        f"{case.name}: {client} got {o.arn}, expected a refusal"
                    )
                continue
            if o.arn is None:
                problems.append(f"{case.name}: {client} refused: {o.error}")
                continue
            role, session = role_and_session(o.arn)
            if role != case.expect_role:
                problems.append(
                    f"{case.name}: {client} got role {role}, expected {case.expect_role}"
                )
            if case.expect_session and session != case.expect_session:
                problems.append(f"{case.name}: {client} got session {session}")
    assert not problems, "\n".join(problems)


def test_cross_account_lifetimes_follow_the_profile_and_the_chaining_clamp(
    matrix: list[tuple[Case, dict[str, Outcome]]],
) -> None:
    checked = 0
    for case, got in matrix:
        if case.max_lifetime_s is None:
            continue
        for client in ("python", "cross-account-cli"):
            left = got[client].expires_in
            assert left is not None, (case.name, client, got[client].error)
            # Asked for max_lifetime_s (or clamped to it); a few seconds pass while it runs.
            assert case.max_lifetime_s - 120 <= left <= case.max_lifetime_s + 5, (
                case.name,
                client,
                left,
            )
            checked += 1
    assert checked == 4


def test_refusals_name_what_is_wrong(
    matrix: list[tuple[Case, dict[str, Outcome]]],
) -> None:
    wanted = {
        "a cycle": "cyc-a -> cyc-b -> cyc-a",
        "a missing source profile": "nosuch",
        "an unknown profile": "nosuch",
        "source credential_process already expired": "expired",
    }
    # What botocore says (the AWS CLI and boto3 share it): they refuse for the same reason.
    botocore_says = {
        "a cycle": "Infinite loop",
        "a missing source profile": "does not exist",
        "an unknown profile": "could not be found",
        "source credential_process already expired": "still expired",
    }
    for case, got in matrix:
        if case.name in wanted:
            for client in ("rust", "python", "cross-account-cli"):
                assert wanted[case.name] in got[client].error, (
                    case.name,
                    client,
                    got[client].error,
                )
            for client in ("aws-cli", "boto3"):
                assert botocore_says[case.name] in got[client].error, (
                    case.name,
                    client,
                )


def test_profiles_lists_role_profiles_without_secrets(
    scenario: dict[str, Any],
    hop_roles: dict[str, str],
    binaries: dict[str, Path],
    tmp_path: Path,
) -> None:
    case = cases(scenario, hop_roles, binaries["cli"])[
        5
    ]  # "tuned", with an external ID
    (tmp_path / "config").write_text(
        case.config
        + f"[profile one]\nrole_arn = {hop_roles['ProfilesHop1']}\ncredential_source = Environment\n"
    )
    (tmp_path / "credentials").write_text(case.credentials)
    done = run_client(
        [str(binaries["cli"]), "profiles"],
        case_env(scenario, tmp_path, case),
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["PROFILE", "ROLE_ARN", "EXTERNAL_ID", "SOURCE"]
    assert lines[1].split() == [
        "one",
        hop_roles["ProfilesHop1"],
        "-",
        "credential_source",
        "Environment",
    ]
    assert lines[2].split() == [
        "tuned",
        scenario["role_arn"],
        "set",
        "source_profile",
        "base",
    ]
    assert scenario["partner_secret_access_key"] not in done.stdout + done.stderr
    assert scenario["external_id"] not in done.stdout


def count_processes(binary: Path) -> int:
    n = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0]
        except OSError:
            continue
        if argv0 == bytes(binary):
            n += 1
    return n


def watch(
    argv: list[str], env: dict[str, str], binary: Path
) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Runs argv, sampling how many `binary` processes are alive, until it ends or 2x the limit."""
    started = time.monotonic()
    most = 0
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        while proc.poll() is None and time.monotonic() - started < 2 * STORM_LIMIT_S:
            most = max(most, count_processes(binary))
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=CLIENT_TIMEOUT_S)
        elapsed = time.monotonic() - started
        # Stragglers would still be spawning after the client ended.
        time.sleep(0.5)
        most = max(most, count_processes(binary))
        return (
            subprocess.CompletedProcess(argv, proc.returncode, out, err),
            elapsed,
            most,
        )


def test_no_fork_storm_with_aws_profile_set_to_the_snippet_profile(
    scenario: dict[str, Any], binaries: dict[str, Path], tmp_path: Path
) -> None:
    cli = binaries["cli"]
    case = Case("storm", "partner", "", "", "DemoRole")
    env = case_env(scenario, tmp_path, case)
    snippet = run_client(
        [str(cli), "config-snippet", "--profile-name", "partner"]
        + [
            "--role-arn",
            scenario["role_arn"],
            "--external-id",
            scenario["external_id"],
        ],
        env,
        check=True,
    ).stdout
    (tmp_path / "config").write_text(snippet)
    (tmp_path / "credentials").write_text(
        f"[default]\naws_access_key_id = {scenario['partner_access_key_id']}\n"
        f"aws_secret_access_key = {scenario['partner_secret_access_key']}\n"
    )
    env["AWS_PROFILE"] = "partner"
    done, elapsed, most = watch(
        ["aws", "sts", "get-caller-identity", "--output", "json"], env, cli
    )
    assert done.returncode == 0, done.stderr
    assert role_and_session(json.loads(done.stdout)["Arn"])[0] == "DemoRole"
    assert elapsed < STORM_LIMIT_S, elapsed
    assert most <= 3, most
    print(
        f"\nAWS_PROFILE=partner aws sts get-caller-identity: {elapsed:.2f} s, at most {most} cross-account processes"
    )


def test_a_credential_process_that_would_call_itself_stops_with_exit_2(
    scenario: dict[str, Any], binaries: dict[str, Path], tmp_path: Path
) -> None:
    cli = binaries["cli"]
    args = [str(cli), "credential-process", "--role-arn", scenario["role_arn"]]
    args += ["--external-id", scenario["external_id"], "--no-cache"]
    # [default] is itself this credential_process: its source would be itself, forever.
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text(
        "[default]\ncredential_process = " + " ".join(args) + "\n"
    )
    env = case_env(scenario, tmp_path, Case("self", "default", "", "", None))
    done, elapsed, most = watch(args, env, cli)
    assert done.returncode == 2, done.stderr
    assert "credential-process is calling itself" in done.stderr, done.stderr
    assert most <= 3, most
    assert elapsed < STORM_LIMIT_S, elapsed
    # The inner run is the one that stops, with exit 2: given its own fingerprint (a hash of
    # its arguments, as the outer run sets it), it refuses before anything else.
    digest = hashlib.sha256(b"".join(a.encode() + b"\0" for a in args[1:])).hexdigest()
    env["CROSS_ACCOUNT_CREDENTIAL_PROCESS"] = "00000000000000ff," + digest[:16]
    inner = run_client(args, env)
    assert inner.returncode == 2, inner.stderr
    assert "calling itself" in inner.stderr
    assert inner.stdout == ""


PROFILE_KEYWORD = textwrap.dedent(
    """
    import json, sys
    from cross_account import CrossAccountSession, InvalidParameterError
    try:
        s = CrossAccountSession(sys.argv[1], sys.argv[2] or None, profile=sys.argv[3])
    except InvalidParameterError as e:
        print(json.dumps({"refused": str(e), "field": e.field}))
        raise SystemExit(0)
    c = s.credentials()
    print(json.dumps({"arn": c.assumed_role_arn, "duration": s.duration_seconds}))
    """
)


def test_profile_keyword_and_flag_use_the_profile_even_with_environment_keys(
    scenario: dict[str, Any],
    hop_roles: dict[str, str],
    binaries: dict[str, Path],
    tmp_path: Path,
) -> None:
    """`profile=` is boto3's `profile_name=`, and `--profile NAME` with `--role-arn` makes NAME
    the source, as the AWS CLI does; the admin keys in the environment must not be used (the
    DemoRole trusts only the partner user, so using them would be refused)."""
    one_hop = cases(scenario, hop_roles, binaries["cli"])[
        2
    ]  # "three": one, two, three, base
    (tmp_path / "config").write_text(one_hop.config)
    (tmp_path / "credentials").write_text(one_hop.credentials)
    env = case_env(scenario, tmp_path, one_hop)
    env["AWS_ACCESS_KEY_ID"] = scenario["admin_access_key_id"]
    env["AWS_SECRET_ACCESS_KEY"] = scenario["admin_secret_access_key"]

    def python(role: str, external_id: str, profile: str) -> dict[str, Any]:
        done = run_client(
            [sys.executable, "-c", PROFILE_KEYWORD, role, external_id, profile],
            env,
            check=True,
        )
        return dict(json.loads(done.stdout))

    # A credentials profile is the source.
    got = python(scenario["role_arn"], scenario["external_id"], "base")
    assert role_and_session(got["arn"])[0] == "DemoRole", got
    # A role profile's session is the source: this role is chained behind it (1 h clamp).
    got = python(hop_roles["ProfilesHop3"], "", "two")
    assert role_and_session(got["arn"])[0] == "ProfilesHop3", got
    assert got["duration"] == 3600
    # An unknown profile is an error at construction, before any call (boto3: ProfileNotFound).
    got = python(scenario["role_arn"], scenario["external_id"], "nosuch")
    assert got["field"] == "profile" and "ProfileNotFound" in got["refused"], got

    cli = [str(binaries["cli"])]
    role = [
        "--role-arn",
        scenario["role_arn"],
        "--external-id",
        scenario["external_id"],
    ]
    assumed = run_client(cli + ["assume", "--profile", "base", *role], env)
    assert assumed.returncode == 0, assumed.stderr
    assert (
        role_and_session(json.loads(assumed.stdout)["AssumedRoleArn"])[0] == "DemoRole"
    )
    unknown = run_client(cli + ["assume", "--profile", "nosuch", *role], env)
    assert unknown.returncode == 2 and "ProfileNotFound" in unknown.stderr, (
        unknown.stderr
    )
    doctor = run_client(cli + ["doctor", "--profile", "base", *role], env)
    assert scenario["partner_user_arn"] in doctor.stdout, doctor.stdout
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
