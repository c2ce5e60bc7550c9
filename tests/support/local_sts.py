#!/usr/bin/env python3
"""Loopback STS/IAM/S3 emulator (moto server) with IAM auth switched on.

The end-to-end tests need a real HTTP endpoint that evaluates the trust
policy's External ID and the role's permission policy, without ever talking
to AWS. moto does that once its auth is on, so this helper:

  start       launch moto on a free 127.0.0.1 port, seed the scenario while
              auth is still off, then switch auth on and hand over the
              partner credentials as shell `export` lines (stdout only).
  stop        kill the server started for a state dir (idempotent).
  setup-role  add another role to a running server with the admin user, so
              generated trust policies can be checked against moto's parser.
  setup-tenants
              add N tenant roles for the pool tests, each trusting the partner
              with its own external ID; prints them as JSON (idempotent).

Only stdlib is imported at module level: boto3/moto may have to be installed
first on a fresh machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from aws_env import isolated_aws_env

HOST = "127.0.0.1"
REGION = "us-east-1"
DEFAULT_EXTERNAL_ID = "ExternalId123"
PARTNER_USER = "partner-user"
ADMIN_USER = "cross-account-admin"
ROLE_NAME = "DemoRole"
BUCKET = "partner-shared-bucket"
KEY = "reports/hello.txt"
BODY = "hello from the trusting account\n"
READY_TIMEOUT_S = 30.0
# Another process may grab the port between our probe and moto's bind.
START_ATTEMPTS = 3

PID_FILE = "moto.pid"
LOG_FILE = "moto.log"
SCENARIO_FILE = "scenario.json"


class HarnessError(Exception):
    pass


def log(msg: str) -> None:
    # stdout is reserved for the export lines that callers eval.
    print(f"local_sts: {msg}", file=sys.stderr)


def keep_loopback_off_proxies() -> None:
    # urllib and botocore honour *_PROXY; a configured proxy must never see
    # (or forward) traffic meant for the loopback emulator.
    for var in ("NO_PROXY", "no_proxy"):
        parts = [p for p in os.environ.get(var, "").split(",") if p]
        for host in (HOST, "localhost"):
            if host not in parts:
                parts.append(host)
        os.environ[var] = ",".join(parts)


def ensure_python_deps() -> None:
    # flask/flask_cors come only with moto's [server] extra.
    wanted = {
        "moto": "moto[server]",
        "flask": "moto[server]",
        "flask_cors": "moto[server]",
        "boto3": "boto3",
    }
    missing = {
        pkg for mod, pkg in wanted.items() if importlib.util.find_spec(mod) is None
    }
    if importlib.util.find_spec("awscli") is None and shutil.which("aws") is None:
        missing.add("awscli")
    if not missing:
        return
    log(f"installing missing Python packages: {' '.join(sorted(missing))}")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", *sorted(missing)],
        check=True,
        stdout=sys.stderr,
        env={
            **os.environ,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_ROOT_USER_ACTION": "ignore",
        },
    )
    importlib.invalidate_caches()


# --- process management -----------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_post(url: str, body: bytes) -> bytes:
    # Not form-encoded (urllib's default), or Flask eats the body as a form
    # and moto's reset-auth sees an empty request.data.
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with _opener().open(req, timeout=10) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as e:
        raise HarnessError(
            f"POST {url} failed: HTTP {e.code}: {e.read()[:500]!r}"
        ) from None


def answers(endpoint: str) -> bool:
    # A GET on reset-auth is a cheap no-op (moto answers 400 "Need to POST").
    try:
        with _opener().open(f"{endpoint}/moto-api/reset-auth", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A reparented server can linger as a zombie if PID 1 does not reap.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" not in status


def is_our_server(pid: int) -> bool:
    # Guards against killing an unrelated process that reused a stale pid.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs: trust the pid file
    except OSError:
        return False
    return b"moto" in cmdline


def read_pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def launch(state_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    last_error = "not started"
    for _ in range(START_ATTEMPTS):
        port = free_port()
        endpoint = f"http://{HOST}:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        with open(state_dir / LOG_FILE, "ab") as logf:
            proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=state_dir,
                # Detached: it must outlive `start` and not catch the caller's
                # Ctrl-C; `stop` then kills its whole process group.
                start_new_session=True,
            )
        (state_dir / PID_FILE).write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"moto server exited with status {proc.returncode}"
                break
            if answers(endpoint):
                return proc, endpoint
            time.sleep(0.2)
        else:
            last_error = f"moto server did not answer on {endpoint} within {READY_TIMEOUT_S:.0f}s"
            kill_group(proc.pid)
        (state_dir / PID_FILE).unlink(missing_ok=True)
    tail = tail_log(state_dir)
    raise HarnessError(f"{last_error}; see {state_dir / LOG_FILE}:\n{tail}")


def tail_log(state_dir: Path, lines: int = 20) -> str:
    try:
        return "\n".join(
            (state_dir / LOG_FILE).read_text(errors="replace").splitlines()[-lines:]
        )
    except OSError:
        return "(no log)"


def kill_group(pid: int) -> None:
    for sig, wait_s in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)


# --- scenario -----------------------------------------------------------------


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def clients(endpoint: str, key_id: str, secret: str) -> Any:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION
    )
    return lambda service: session.client(service, endpoint_url=endpoint)


def admin_iam(scenario: dict[str, Any]) -> Any:
    """An IAM client of the running server signed by the scenario's admin user."""
    return clients(
        scenario["endpoint_url"],
        scenario["admin_access_key_id"],
        scenario["admin_secret_access_key"],
    )("iam")


def seed(endpoint: str, external_id: str) -> dict[str, str]:
    # Auth is still off here, so any credentials do; they only need to sign.
    client = clients(endpoint, "AKIAIOSFODNN7EXAMPLE", "bootstrap-secret")
    iam, s3 = client("iam"), client("s3")

    partner = iam.create_user(UserName=PARTNER_USER)["User"]
    partner_key = iam.create_access_key(UserName=PARTNER_USER)["AccessKey"]
    # With auth on, the caller also needs an identity policy for AssumeRole.
    iam.put_user_policy(
        UserName=PARTNER_USER,
        PolicyName="may-assume-roles",
        PolicyDocument=policy(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
        ),
    )

    iam.create_user(UserName=ADMIN_USER)
    admin_key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    iam.put_user_policy(
        UserName=ADMIN_USER,
        PolicyName="administrator",
        PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )

    # moto matches trust principals by exact ARN only, so the user ARN rather
    # than the partner account's :root.
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": partner["Arn"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
        }
    )
    role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(
        RoleName=ROLE_NAME,
        PolicyName="read-shared-bucket",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{BUCKET}",
            },
        ),
    )

    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY.encode())

    return {
        "partner_user_arn": partner["Arn"],
        "partner_access_key_id": partner_key["AccessKeyId"],
        "partner_secret_access_key": partner_key["SecretAccessKey"],
        "admin_access_key_id": admin_key["AccessKeyId"],
        "admin_secret_access_key": admin_key["SecretAccessKey"],
        "role_arn": role["Arn"],
    }


def setup_tenants(
    scenario: dict[str, Any], count: int, prefix: str = "Tenant"
) -> list[str]:
    """Roles ``{prefix}000``... in the running server, each trusting the partner user with the
    scenario's external ID (as DemoRole does); the ARNs, in order. Idempotent, so a rerun
    against the same server (scripts/with-local-sts) reuses them.
    """
    from botocore.exceptions import ClientError

    iam = admin_iam(scenario)
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": scenario["partner_user_arn"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": scenario["external_id"]}},
        }
    )
    arns = []
    for i in range(count):
        name = f"{prefix}{i:03d}"
        try:
            arns.append(
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"][
                    "Arn"
                ]
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
            arns.append(iam.get_role(RoleName=name)["Role"]["Arn"])
    return arns


def switch_auth_on(endpoint: str, admin_key: str, admin_secret: str) -> None:
    # Body = how many further requests stay unauthenticated (moto_api
    # reset_auth_response); 0 means every request from now on is checked.
    http_post(f"{endpoint}/moto-api/reset-auth", b"0")

    # Prove it took: an unknown key must now be rejected, the admin accepted.
    from botocore.exceptions import ClientError

    try:
        clients(endpoint, "AKIAUNKNOWNKEY000000", "nope")("sts").get_caller_identity()
    except ClientError:
        pass
    else:
        raise HarnessError("moto accepted an unknown access key: IAM auth is not on")
    clients(endpoint, admin_key, admin_secret)("sts").get_caller_identity()


# --- commands -------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> None:
    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    running = read_pid(state_dir)
    if running is not None and pid_alive(running) and is_our_server(running):
        raise HarnessError(
            f"a server is already running for {state_dir} (pid {running}); stop it first"
        )

    ensure_python_deps()
    proc, endpoint = launch(state_dir)
    try:
        ids = seed(endpoint, args.external_id)
        switch_auth_on(
            endpoint, ids["admin_access_key_id"], ids["admin_secret_access_key"]
        )
    except BaseException:
        kill_group(proc.pid)
        (state_dir / PID_FILE).unlink(missing_ok=True)
        raise

    scenario = {
        "endpoint_url": endpoint,
        "region": REGION,
        **ids,
        "external_id": args.external_id,
        "bucket": BUCKET,
        "key": KEY,
        "body": BODY,
        "pid": proc.pid,
    }
    scenario_path = state_dir / SCENARIO_FILE
    scenario_path.write_text(json.dumps(scenario, indent=2) + "\n")
    # Nothing from the user's ~/.aws or shell: only the partner's keys and the endpoint.
    exports = {
        "CROSS_ACCOUNT_TEST_SCENARIO": str(scenario_path),
        **isolated_aws_env(
            state_dir / "aws",
            region=REGION,
            endpoint_url=endpoint,
            keys=(ids["partner_access_key_id"], ids["partner_secret_access_key"]),
            base={},
        ),
    }
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")
    # A caller's profile or session token would otherwise override or break the keys above.
    stale = sorted(k for k in os.environ if k.startswith("AWS_") and k not in exports)
    if stale:
        print(f"unset {' '.join(stale)}")
    log(f"moto server pid {proc.pid} listening on {endpoint} with IAM auth on")


def cmd_stop(args: argparse.Namespace) -> None:
    state_dir = Path(args.state_dir)
    pid = read_pid(state_dir)
    if pid is not None and pid_alive(pid) and is_our_server(pid):
        kill_group(pid)
        if pid_alive(pid):
            raise HarnessError(f"moto server pid {pid} did not exit")
    (state_dir / PID_FILE).unlink(missing_ok=True)


def cmd_setup_role(args: argparse.Namespace) -> None:
    from botocore.exceptions import ClientError

    scenario = json.loads((Path(args.state_dir) / SCENARIO_FILE).read_text())
    iam = admin_iam(scenario)
    trust = Path(args.trust_policy).read_text()
    try:
        role = iam.create_role(RoleName=args.role_name, AssumeRolePolicyDocument=trust)[
            "Role"
        ]
    except ClientError as e:
        raise HarnessError(f"moto rejected the role: {describe(e)}") from None
    try:
        # moto's CreateRole stores any string, even broken JSON; only
        # UpdateAssumeRolePolicy runs its trust-policy validator.
        iam.update_assume_role_policy(RoleName=args.role_name, PolicyDocument=trust)
        if args.permission_policy:
            iam.put_role_policy(
                RoleName=args.role_name,
                PolicyName="permissions",
                PolicyDocument=Path(args.permission_policy).read_text(),
            )
    except ClientError as e:
        # Leave no half-made role behind, so a corrected retry can reuse the name.
        iam.delete_role(RoleName=args.role_name)
        raise HarnessError(
            f"moto rejected a policy of the role: {describe(e)}"
        ) from None
    print(role["Arn"])


def cmd_setup_tenants(args: argparse.Namespace) -> None:
    from botocore.exceptions import ClientError

    scenario = json.loads((Path(args.state_dir) / SCENARIO_FILE).read_text())
    iam = admin_iam(scenario)
    tenants = []
    for i in range(args.count):
        name = f"{args.prefix}{i:05d}"
        external_id = f"{args.prefix}-external-id-{i:05d}"
        trust = policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": scenario["partner_user_arn"]},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        )
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)[
                "Role"
            ]["Arn"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "EntityAlreadyExists":
                raise HarnessError(
                    f"moto rejected tenant role {name}: {describe(e)}"
                ) from None
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        tenants.append({"role_arn": arn, "external_id": external_id})
    json.dump(tenants, sys.stdout)
    sys.stdout.write("\n")


def describe(e: Any) -> str:
    err = e.response.get("Error", {})
    return f"{err.get('Code')}: {err.get('Message')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="start moto on loopback and seed the scenario")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--external-id", default=DEFAULT_EXTERNAL_ID)
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", help="stop the server of a state dir (idempotent)")
    p.add_argument("--state-dir", required=True)
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("setup-role", help="create another role in the running server")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--role-name", required=True)
    p.add_argument(
        "--trust-policy", required=True, help="file with the trust policy JSON"
    )
    p.add_argument(
        "--permission-policy", help="file with an inline permission policy JSON"
    )
    p.set_defaults(func=cmd_setup_role)

    p = sub.add_parser("setup-tenants", help="create N tenant roles for the pool tests")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--prefix", default="PoolTenant", help="role name prefix")
    p.set_defaults(func=cmd_setup_tenants)

    args = parser.parse_args(argv)
    keep_loopback_off_proxies()
    try:
        args.func(args)
    except HarnessError as e:
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
