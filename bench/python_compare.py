#!/usr/bin/env python3
"""cross_account (Rust core) against botocore's own assume-role credentials, side by side.

One run measures, on the same loopback STS (moto, IAM auth on, started here with
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

Under ``scripts/with-local-sts`` (``CROSS_ACCOUNT_TEST_SCENARIO`` set) it uses that STS
instead of starting one. ``bench/run`` runs it with the other comparisons.

The measured cross_account is a release wheel: built here with ``maturin build --release``
unless ``--wheel`` names one, and unpacked onto ``sys.path`` (nothing is installed). boto3 and
moto come from the running interpreter's environment.

    python3 bench/python_compare.py [--wheel PATH] [--runs 15] [--json out.json]
    scripts/with-local-sts python3 bench/python_compare.py --wheel PATH --json out.json

Goals: reads >= 20x faster than botocore, import >= 5x faster than boto3, one STS
call per credential lifetime.
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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
LOCAL_STS = REPO / "tests" / "support" / "local_sts.py"
PYTHON_DIR = REPO / "python"

READ_GOAL = 20.0
IMPORT_GOAL = 5.0


def log(msg: str) -> None:
    """Progress on stderr; the table goes to stdout."""
    print(f"python_compare: {msg}", file=sys.stderr, flush=True)


# --- the wheel -----------------------------------------------------------------------


def build_wheel(out: Path) -> Path:
    """Build the release wheel of python/ into ``out``."""
    maturin = shutil.which("maturin")
    if maturin:
        cmd = [maturin, "build", "--release", "--out", str(out)]
    else:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), "."]
    log(f"building the release wheel: {' '.join(cmd)} (in {PYTHON_DIR})")
    subprocess.run(cmd, cwd=PYTHON_DIR, check=True, stdout=sys.stderr)
    wheels = sorted(out.glob("cross_account-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit(f"no wheel was written to {out}")
    return wheels[-1]


def unpack(wheel: Path, into: Path) -> Path:
    """What ``pip install`` would put in site-packages, bytecode included."""
    with zipfile.ZipFile(wheel) as z:
        z.extractall(into)
    compileall.compile_dir(into, quiet=1)
    return into


# --- the loopback STS ------------------------------------------------------------------


class LocalSts:
    """moto on loopback with IAM auth on, for the duration of a ``with`` block."""

    def __init__(self, state_dir: Path) -> None:  # noqa: D107
        self.state_dir = state_dir

    def __enter__(self) -> dict[str, Any]:  # noqa: D105
        log("starting moto on 127.0.0.1 (tests/support/local_sts.py)")
        started = subprocess.run(
            [sys.executable, str(LOCAL_STS), "start", "--state-dir", str(self.state_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode != 0:
            raise SystemExit(f"local STS did not start:\n{started.stderr[-2000:]}")
        return dict(json.loads((self.state_dir / "scenario.json").read_text()))

    def __exit__(self, *exc: object) -> None:  # noqa: D105
        subprocess.run(
            [sys.executable, str(LOCAL_STS), "stop", "--state-dir", str(self.state_dir)],
            capture_output=True,
            check=False,
        )


def isolate_environment(scenario: dict[str, Any], aws_home: Path) -> None:
    """Source credentials = the partner's keys; nothing from ~/.aws; no proxies."""
    for var in list(os.environ):
        if var.startswith("AWS_"):
            del os.environ[var]
    (aws_home / "config").write_text("")
    (aws_home / "credentials").write_text("")
    os.environ.update(
        AWS_ACCESS_KEY_ID=scenario["partner_access_key_id"],
        AWS_SECRET_ACCESS_KEY=scenario["partner_secret_access_key"],
        AWS_REGION=scenario["region"],
        AWS_DEFAULT_REGION=scenario["region"],
        AWS_CONFIG_FILE=str(aws_home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws_home / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )


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


def role_profile(scenario: dict[str, Any], into: Path) -> dict[str, str]:
    """The environment of a boto3 user whose ~/.aws/config assumes the role."""
    (into / "config").write_text(
        "[profile bench-role]\n"
        f"role_arn = {scenario['role_arn']}\n"
        f"external_id = {scenario['external_id']}\n"
        "role_session_name = bench-boto3\n"
        "source_profile = partner\n"
    )
    (into / "credentials").write_text(
        "[partner]\n"
        f"aws_access_key_id = {scenario['partner_access_key_id']}\n"
        f"aws_secret_access_key = {scenario['partner_secret_access_key']}\n"
    )
    return {
        "AWS_CONFIG_FILE": str(into / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(into / "credentials"),
        "AWS_ENDPOINT_URL": scenario["endpoint_url"],
    }


def rss_mib(kind: str, scenario: dict[str, Any], pythonpath: Path) -> float:
    """MiB resident in a fresh interpreter after running the probe ``kind``."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath), SCENARIO=json.dumps(scenario))
    with tempfile.TemporaryDirectory(prefix="bench-aws-") as aws_home:
        env.update(role_profile(scenario, Path(aws_home)))
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if "profile" in kind else ():
            env.pop(var, None)
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


def median(xs: list[float]) -> float:
    """The median, as a float."""
    return float(statistics.median(xs))


def main() -> int:
    """Build or take the wheel, start the local STS, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="a built cross_account wheel to measure")
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import")
    parser.add_argument("--batch", type=int, default=20000, help="reads per timed batch")
    parser.add_argument("--batches", type=int, default=9, help="timed batches per reader")
    parser.add_argument("--rss-runs", type=int, default=3, help="fresh interpreters per RSS kind")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cross-account-bench-") as tmp_s:
        tmp = Path(tmp_s)
        wheel = args.wheel or build_wheel(tmp / "wheels")
        site = unpack(wheel, tmp / "site")
        sys.path.insert(0, str(site))
        (tmp / "aws").mkdir()
        (tmp / "sts").mkdir()
        running = os.environ.get("CROSS_ACCOUNT_TEST_SCENARIO")
        if running:
            log(f"using the local STS of {running}")
            scenario = dict(json.loads(Path(running).read_text()))
            isolate_environment(scenario, tmp / "aws")
            figures = measure(scenario, site, args)
        else:
            with LocalSts(tmp / "sts") as scenario:
                isolate_environment(scenario, tmp / "aws")
                figures = measure(scenario, site, args)
        figures["wheel"] = {"file": wheel.name, "bytes": wheel.stat().st_size}
        figures["installed_bytes"] = installed_sizes()
    report(figures)
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


def report(f: dict[str, Any]) -> None:
    """Print the comparison table with the goals."""
    imp = f["import_ms"]
    ca_ms, b3_ms = imp["cross_account"]["median"], imp["boto3"]["median"]
    reads = f["read_ns"]
    ours = reads["cross_account credentials()"]["median"]
    ours_boto = reads["cross_account botocore_credentials().get_frozen_credentials()"]["median"]
    ours_client = reads["cross_account boto3_session() client credentials"]["median"]
    theirs = reads["botocore assume-role get_frozen_credentials()"]["median"]
    calls = f["sts_calls_per_50_reads_900s"]
    read_x, import_x = theirs / ours, b3_ms / ca_ms
    rows = [
        ("measure", "cross_account", "botocore / boto3", "ratio", "goal"),
        (
            "import (ms, median)",
            f"{ca_ms:.1f}",
            f"{b3_ms:.1f}",
            f"{import_x:.1f}x",
            f">= {IMPORT_GOAL:.0f}x {'met' if import_x >= IMPORT_GOAL else 'MISSED'}",
        ),
        (
            "read (ns/call, median)",
            f"{ours:.0f}",
            f"{theirs:.0f}",
            f"{read_x:.1f}x",
            f">= {READ_GOAL:.0f}x {'met' if read_x >= READ_GOAL else 'MISSED'}",
        ),
        (
            "  via botocore_credentials()",
            f"{ours_boto:.0f}",
            f"{theirs:.0f}",
            f"{theirs / ours_boto:.1f}x",
            "",
        ),
        (
            "  via boto3_session() client",
            f"{ours_client:.0f}",
            f"{theirs:.0f}",
            f"{theirs / ours_client:.1f}x",
            "",
        ),
        (
            "STS calls / 50 reads (900 s)",
            f"{calls['cross_account credentials()']}",
            f"{calls['botocore assume-role']}",
            "",
            f"1 {'met' if calls['cross_account credentials()'] == 1 else 'MISSED'}",
        ),
        (
            "  via botocore_credentials()",
            f"{calls['cross_account botocore_credentials()']}",
            f"{calls['botocore assume-role']}",
            "",
            "",
        ),
        ("wheel size (bytes)", f"{f['wheel']['bytes']:,}", "", "", ""),
        ("boto3 installed (bytes)", "", f"{sum(f['installed_bytes'].values()):,}", "", ""),
    ]
    rss = f["rss_mib"]
    for kind, v in rss.items():
        cell = f"{v['median']:.1f}"
        mine = not kind.startswith("boto3")
        rows.append((f"RSS MiB: {kind}", cell if mine else "", "" if mine else cell, "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\ncross_account vs botocore: Python {f['python']}, {f['machine']}\n")
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nwheel: {f['wheel']['file']}; medians of {len(imp['boto3']['runs'])} imports")
    print()


if __name__ == "__main__":
    sys.exit(main())
