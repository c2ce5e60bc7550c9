#!/usr/bin/env python3
"""cross_account (Rust core) against botocore's own assume-role credentials, side by side.

One run measures, on the loopback STS of ``scripts/with-local-sts`` (moto, IAM auth on,
tests/support/local_sts.py):

  import time     ``import cross_account`` vs ``import boto3``, each in fresh interpreters
                  (the import alone, timed inside the process), interleaved, medians;
  read cost       ns per ``session.credentials()`` vs botocore's ``get_frozen_credentials()``
                  on an assume-role ``DeferredRefreshableCredentials``
                  (``AssumeRoleCredentialFetcher``, source = the partner's keys), medians of
                  several timed batches; plus cross_account's own botocore credentials;
  STS calls       AssumeRole calls made by 50 reads of 900 s sessions, for each (botocore's
                  counted with a ``before-call.sts.AssumeRole`` event hook);
  memory          RSS of a fresh interpreter that assumed the role once and holds the
                  credentials: cross_account alone, cross_account feeding a boto3 client,
                  boto3 with botocore's assume-role credentials;
  size            of the release wheel that is measured, and of boto3 as installed.

The measured cross_account is the release wheel ``bench/run`` builds, unpacked onto
``sys.path`` (nothing is installed). boto3 and moto come from the running interpreter's
environment. ``bench/run`` runs it with the other comparisons (through bench/collect.py); alone:

    scripts/with-local-sts python3 bench/python_compare.py --wheel PATH [--json out.json]

The goals it is judged on are bench/report.py's (``python_goals``), printed after the figures.
"""

# Runs this interpreter and local scripts; imports only once sys.path holds the wheel.
# ruff: noqa: S603, PLC0415
from __future__ import annotations

import argparse
import compileall
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

import report  # bench/report.py, beside this script

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
from aws_env import isolated_aws_env, use_in_this_process  # noqa: E402


def log(msg: str) -> None:
    """Progress on stderr; the table goes to stdout."""
    print(f"python_compare: {msg}", file=sys.stderr, flush=True)


def unpack(wheel: Path, into: Path) -> Path:
    """What ``pip install`` would put in site-packages, bytecode included."""
    with zipfile.ZipFile(wheel) as z:
        z.extractall(into)
    compileall.compile_dir(into, quiet=1)
    return into


# --- measurements ------------------------------------------------------------------------

IMPORT_PROBE = (
    "import time; t = time.perf_counter_ns(); import {module}; print(time.perf_counter_ns() - t)"
)


def import_times(module: str, runs: int, pythonpath: Path) -> list[float]:
    """Milliseconds that ``import module`` takes in fresh interpreters."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    out = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        out.append(int(proc.stdout.strip()) / 1e6)
    return out


def ns_per_call(fn: Callable[[], Any], *, batch: int, batches: int) -> list[float]:
    """Nanoseconds per call of ``fn``, one figure per timed batch."""
    for _ in range(batch // 10 + 1):  # warm up
        fn()
    results = []
    for _ in range(batches):
        t = time.perf_counter_ns()
        for _ in range(batch):
            fn()
        results.append((time.perf_counter_ns() - t) / batch)
    return results


def botocore_assume_role(scenario: dict[str, Any], duration: int, counter: list[int]) -> Any:
    """Botocore's own assume-role credentials, as a profile's role_arn would build them."""
    import botocore.session
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        Credentials,
        DeferredRefreshableCredentials,
    )

    core = botocore.session.get_session()

    def count(**_: Any) -> None:
        counter[0] += 1

    core.register("before-call.sts.AssumeRole", count)
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=functools.partial(core.create_client, endpoint_url=scenario["endpoint_url"]),
        source_credentials=Credentials(
            scenario["partner_access_key_id"], scenario["partner_secret_access_key"]
        ),
        role_arn=scenario["role_arn"],
        extra_args={
            "ExternalId": scenario["external_id"],
            "DurationSeconds": duration,
            "RoleSessionName": "bench-botocore",
        },
    )
    return DeferredRefreshableCredentials(
        method="assume-role", refresh_using=fetcher.fetch_credentials
    )


# Each probe runs in a fresh interpreter, assumes the role once, keeps what it built alive and
# prints its resident set size (VmRSS, KiB). SCENARIO is the local STS's scenario JSON.
_RSS_TAIL = """
import re
rss = re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)
print(rss)
"""
RSS_PROBES = {
    "baseline: bare interpreter": "",
    "cross_account: session, one read": """
import json, os
import cross_account
s = json.loads(os.environ["SCENARIO"])
held = cross_account.CrossAccountSession(
    s["role_arn"], s["external_id"], region=s["region"], endpoint_url=s["endpoint_url"]
)
held.credentials()
""",
    "cross_account + boto3 S3 client": """
import json, os
import cross_account
s = json.loads(os.environ["SCENARIO"])
session = cross_account.CrossAccountSession(
    s["role_arn"], s["external_id"], region=s["region"], endpoint_url=s["endpoint_url"]
)
boto = session.boto3_session()
held = boto.client("s3", endpoint_url=s["endpoint_url"])
boto.get_credentials().get_frozen_credentials()
""",
    "boto3 S3 client, profile with role_arn + external_id": """
import boto3
boto = boto3.Session(profile_name="bench-role")
held = boto.client("s3")
boto.get_credentials().get_frozen_credentials()
""",
    "boto3: botocore assume-role credentials, one read": """
import json, os
import boto3
import botocore.session
from botocore.credentials import (
    AssumeRoleCredentialFetcher, Credentials, DeferredRefreshableCredentials,
)
s = json.loads(os.environ["SCENARIO"])
core = botocore.session.get_session()
fetcher = AssumeRoleCredentialFetcher(
    client_creator=lambda *a, **k: core.create_client(*a, endpoint_url=s["endpoint_url"], **k),
    source_credentials=Credentials(s["partner_access_key_id"], s["partner_secret_access_key"]),
    role_arn=s["role_arn"],
    extra_args={"ExternalId": s["external_id"], "RoleSessionName": "bench-botocore"},
)
held = DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials)
held.get_frozen_credentials()
""",
}


def rss_mib(kind: str, scenario: dict[str, Any], pythonpath: Path) -> float:
    """MiB resident in a fresh interpreter after running the probe ``kind``.

    Its environment is a boto3 user's whose ~/.aws/config assumes the role from profile
    ``partner``; the profile probe gets no keys in the environment, the others the partner's.
    """
    with tempfile.TemporaryDirectory(prefix="bench-aws-") as aws_home:
        env = isolated_aws_env(
            Path(aws_home),
            region=scenario["region"],
            endpoint_url=scenario["endpoint_url"],
            keys=None if "profile" in kind else partner_keys(scenario),
            config="[profile bench-role]\n"
            f"role_arn = {scenario['role_arn']}\n"
            f"external_id = {scenario['external_id']}\n"
            "role_session_name = bench-boto3\n"
            "source_profile = partner\n",
            credentials="[partner]\n"
            f"aws_access_key_id = {scenario['partner_access_key_id']}\n"
            f"aws_secret_access_key = {scenario['partner_secret_access_key']}\n",
            PYTHONPATH=str(pythonpath),
            SCENARIO=json.dumps(scenario),
        )
        proc = subprocess.run(
            [sys.executable, "-c", RSS_PROBES[kind] + _RSS_TAIL],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    if proc.returncode != 0:
        raise SystemExit(f"RSS probe {kind!r} failed:\n{proc.stderr[-2000:]}")
    return int(proc.stdout.strip().splitlines()[-1]) / 1024


# boto3 and what pip installs with it.
BOTO3_CLOSURE = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six")


def installed_sizes() -> dict[str, int]:
    """Bytes on disk of boto3 and its dependencies, from their installed RECORD files."""
    from importlib import metadata

    out = {}
    for name in BOTO3_CLOSURE:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            continue
        out[name] = sum(f.size or 0 for f in files)
    return out


def partner_keys(scenario: dict[str, Any]) -> tuple[str, str]:
    """The source credentials: the partner's access key id and secret."""
    return scenario["partner_access_key_id"], scenario["partner_secret_access_key"]


def median(xs: list[float]) -> float:
    """The median, as a float."""
    return float(statistics.median(xs))


def main() -> int:
    """Take the wheel and the running local STS, measure, print the figures and the goals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the wheel to measure")
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import")
    parser.add_argument("--batch", type=int, default=20000, help="reads per timed batch")
    parser.add_argument("--batches", type=int, default=9, help="timed batches per reader")
    parser.add_argument("--rss-runs", type=int, default=3, help="fresh interpreters per RSS kind")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    running = os.environ.get("CROSS_ACCOUNT_TEST_SCENARIO")
    if not running:
        raise SystemExit("python_compare: run under scripts/with-local-sts (as bench/run does)")
    scenario = dict(json.loads(Path(running).read_text()))
    log(f"using the local STS of {running}")

    with tempfile.TemporaryDirectory(prefix="cross-account-bench-") as tmp_s:
        tmp = Path(tmp_s)
        site = unpack(args.wheel, tmp / "site")
        sys.path.insert(0, str(site))
        use_in_this_process(
            isolated_aws_env(
                tmp / "aws",
                region=scenario["region"],
                keys=partner_keys(scenario),
            )
        )
        figures = measure(scenario, site, args)
        figures["wheel"] = {"file": args.wheel.name, "bytes": args.wheel.stat().st_size}
        figures["installed_bytes"] = installed_sizes()
    print(report.python_detail(figures))
    print()
    goals = [g[:3] for g in report.python_goals(figures)]
    print(report.table([("goal", "measured", "verdict"), *goals]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def measure(scenario: dict[str, Any], site: Path, args: argparse.Namespace) -> dict[str, Any]:
    """All the figures, side by side, against one local STS."""
    import cross_account

    assert Path(cross_account.__file__).is_relative_to(site), cross_account.__file__

    log(f"import times: {args.runs} fresh interpreters each, interleaved")
    ca_imports: list[float] = []
    boto3_imports: list[float] = []
    for _ in range(args.runs):
        ca_imports += import_times("cross_account", 1, site)
        boto3_imports += import_times("boto3", 1, site)

    def ours(duration: int) -> Any:
        return cross_account.CrossAccountSession(
            scenario["role_arn"],
            scenario["external_id"],
            session_name="bench-cross-account",
            duration_seconds=duration,
            region=scenario["region"],
            endpoint_url=scenario["endpoint_url"],
        )

    log("read cost: 3600 s sessions, warmed up (one AssumeRole each)")
    session = ours(3600)
    session.credentials()
    ours_ns = ns_per_call(session.credentials, batch=args.batch, batches=args.batches)
    ours_boto = session.botocore_credentials()
    ours_boto_ns = ns_per_call(
        ours_boto.get_frozen_credentials, batch=args.batch, batches=args.batches
    )
    # What a boto3 client's signer calls before each request (the client holds this object).
    client_creds = session.boto3_session().get_credentials()
    ours_client_ns = ns_per_call(
        client_creds.get_frozen_credentials, batch=args.batch, batches=args.batches
    )
    calls = [0]
    theirs = botocore_assume_role(scenario, 3600, calls)
    theirs.get_frozen_credentials()
    theirs_ns = ns_per_call(theirs.get_frozen_credentials, batch=args.batch, batches=args.batches)
    assert calls[0] == 1, calls  # with 3600 s credentials botocore reads its cache

    log("STS calls per 50 reads of 900 s sessions")
    short = ours(900)
    for _ in range(50):
        short.credentials()
    ours_calls = short.status()["sts_calls"]
    short_boto = ours(900)
    creds = short_boto.botocore_credentials()
    for _ in range(50):
        creds.get_frozen_credentials()
    ours_boto_calls = short_boto.status()["sts_calls"]
    calls = [0]
    theirs_short = botocore_assume_role(scenario, 900, calls)
    for _ in range(50):
        theirs_short.get_frozen_credentials()
    theirs_calls = calls[0]

    log(f"memory: RSS of {args.rss_runs} fresh interpreters per kind, interleaved")
    rss: dict[str, list[float]] = {kind: [] for kind in RSS_PROBES}
    for _ in range(args.rss_runs):
        for kind in RSS_PROBES:
            rss[kind].append(rss_mib(kind, scenario, site))

    return {
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "import_ms": {
            "cross_account": {"median": median(ca_imports), "runs": ca_imports},
            "boto3": {"median": median(boto3_imports), "runs": boto3_imports},
        },
        "read_ns": {
            "cross_account credentials()": {"median": median(ours_ns), "batches": ours_ns},
            "cross_account botocore_credentials().get_frozen_credentials()": {
                "median": median(ours_boto_ns),
                "batches": ours_boto_ns,
            },
            "cross_account boto3_session() client credentials": {
                "median": median(ours_client_ns),
                "batches": ours_client_ns,
            },
            "botocore assume-role get_frozen_credentials()": {
                "median": median(theirs_ns),
                "batches": theirs_ns,
            },
        },
        "sts_calls_per_50_reads_900s": {
            "cross_account credentials()": ours_calls,
            "cross_account botocore_credentials()": ours_boto_calls,
            "botocore assume-role": theirs_calls,
        },
        "rss_mib": {kind: {"median": median(xs), "runs": xs} for kind, xs in rss.items()},
    }


if __name__ == "__main__":
    sys.exit(main())
