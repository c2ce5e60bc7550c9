#!/usr/bin/env python3
r"""Run every comparison of ``bench/run`` against one loopback STS; write raw JSON.

Runs under ``scripts/with-local-sts`` (moto on 127.0.0.1, IAM auth on), with the release
builds already made by ``bench/run``:

  rust_rows.json      rows 1-5: ``cross-account-bench rows`` (in-process STS double)
  rust_moto.json      row 2 against moto: AssumeRole calls per 100 reads, counted by a
                      loopback proxy in front of moto
  rust_rss.json       row 10: RSS of a Rust process holding one session (ours, the SDK's)
  python.json         rows 6-8 and 10: ``bench/python_compare.py``
  cli.json            row 9: ``bench/cli_compare.sh`` (hyperfine) and binary sizes
  cli_herd.json       row 9: 16 parallel cold invocations, AssumeRole calls via the proxy
  meta.json           versions of everything measured, the machine, its load

    scripts/with-local-sts python bench/collect.py --out DIR --wheel WHEEL \
        --bench-bin target/release/cross-account-bench --cli-bin target/release/cross-account
"""

# Runs the project's own binaries and scripts with fixed arguments.
# ruff: noqa: S603
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERD = 16


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"collect: {msg}", file=sys.stderr, flush=True)


def tool(name: str) -> str:
    """The absolute path of a program on PATH, without a pyenv shim in front of it."""
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"collect: {name} is not on PATH")
    pyenv = shutil.which("pyenv")
    if "/.pyenv/shims/" in found and pyenv:
        real = subprocess.run([pyenv, "which", name], capture_output=True, text=True, check=False)
        if real.returncode == 0 and real.stdout.strip():
            return real.stdout.strip()
    return found


# --- a loopback proxy that counts STS actions ---------------------------------------------


class CountingProxy:
    """A loopback proxy in front of moto that counts the STS ``Action`` of each request.

    Requests are forwarded unchanged, Host header included, so SigV4 still verifies.
    """

    def __init__(self, upstream: str) -> None:  # noqa: D107
        url = urllib.parse.urlsplit(upstream)
        if url.hostname != "127.0.0.1":
            raise SystemExit(f"collect: the STS must be on 127.0.0.1, not {upstream}")
        self.upstream = (url.hostname, url.port or 80)
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.forward()

            def do_GET(self) -> None:
                self.forward()

            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                query = urllib.parse.urlsplit(self.path).query
                form = urllib.parse.parse_qs(query) | urllib.parse.parse_qs(
                    body.decode("utf-8", "replace")
                )
                proxy.count(form.get("Action", ["?"])[0])
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for key, value in self.headers.items():
                    conn.putheader(key, value)
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response_only(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def count(self, action: str) -> None:
        """Counts one request."""
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1

    def take(self, action: str = "AssumeRole") -> int:
        """Calls of ``action`` since the last take; resets all counts."""
        with self.lock:
            n = self.counts.get(action, 0)
            self.counts.clear()
            return n

    def __enter__(self) -> CountingProxy:  # noqa: D105
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:  # noqa: D105
        self.server.shutdown()
        self.server.server_close()


# --- the parts ---------------------------------------------------------------------------


def run_json(cmd: list[str], **kw: Any) -> Any:
    """Run ``cmd``, stderr passed through, and parse its stdout as JSON."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, **kw)
    return json.loads(proc.stdout)


def rust_moto(bench_bin: str, proxy: CountingProxy, repeats: int) -> dict[str, Any]:
    """Row 2 against moto: AssumeRole calls per 100 reads of each Rust side."""
    log("row 2 on moto: AssumeRole calls per 100 reads (counted by the proxy)")
    out: dict[str, Any] = {}
    for _ in range(repeats):
        for side in ("ours", "sdk", "direct"):
            proxy.take()
            res = run_json([bench_bin, "moto-calls", side, "--endpoint-url", proxy.url])
            calls = proxy.take()
            out.setdefault(side, {"proxy_counted": [], "own_count": []})
            out[side]["proxy_counted"].append(calls)
            out[side]["own_count"].append(res["own_count"])
    return out


def rust_rss(bench_bin: str, repeats: int) -> dict[str, list[float]]:
    """Row 10: MiB resident in a Rust process holding one session, for each side."""
    log("row 10: RSS of a Rust process holding one session")
    out: dict[str, list[float]] = {"ours": [], "sdk": []}
    for _ in range(repeats):
        for side, runs in out.items():
            res = run_json([bench_bin, "rss", side])
            runs.append(res["rss_kib"] / 1024)
    return out


def cli_herd(cli_bin: str, scenario: dict[str, Any], proxy: CountingProxy, repeats: int) -> Any:
    """Row 9: 16 parallel cold invocations of each CLI; AssumeRole calls and wall time."""
    log(f"row 9: {HERD} parallel cold invocations of each CLI (calls counted by the proxy)")
    aws = tool("aws")
    role, ext = scenario["role_arn"], scenario["external_id"]
    ours = [cli_bin, "credential-process", "--role-arn", role, "--external-id", ext]
    ours += ["--endpoint-url", proxy.url]
    theirs = [aws, "sts", "assume-role", "--role-arn", role, "--role-session-name", "bench"]
    theirs += ["--external-id", ext, "--endpoint-url", proxy.url, "--output", "json"]
    out: dict[str, Any] = {}
    for _ in range(repeats):
        for name, cmd in (("ours", ours), ("aws", theirs)):
            with tempfile.TemporaryDirectory(prefix="cli-herd-") as cache:
                env = dict(os.environ, XDG_CACHE_HOME=cache)
                proxy.take()
                start = time.perf_counter()
                procs = [
                    subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                    for _ in range(HERD)
                ]
                results = [p.communicate() for p in procs]
                wall = (time.perf_counter() - start) * 1000
                calls = proxy.take()
            failed = [err.decode()[-500:] for p, (_, err) in zip(procs, results) if p.returncode]
            if failed:
                raise SystemExit(f"collect: {name} failed in the herd: {failed[0]}")
            keys = set()
            for stdout, _ in results:
                doc = json.loads(stdout)
                keys.add((doc.get("Credentials") or doc)["AccessKeyId"])
            fig = out.setdefault(name, {"sts_calls": [], "distinct_keys": [], "wall_ms": []})
            fig["sts_calls"].append(calls)
            fig["distinct_keys"].append(len(keys))
            fig["wall_ms"].append(wall)
    return out


# --- versions and machine ------------------------------------------------------------------


def lock_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Versions of crates in Cargo.lock."""
    text = (REPO / "Cargo.lock").read_text()
    out = {}
    for name in names:
        m = re.search(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', text)
        if m:
            out[name] = m.group(1)
    return out


def first_line(cmd: list[str]) -> str:
    """The first line a command prints (stdout or stderr), or why it could not run."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    except OSError as e:
        return f"unavailable ({e})"
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else "?"


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, kernel, load."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
    nproc = shutil.which("nproc")
    return {
        "nproc": int(first_line([nproc])) if nproc else os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "clocksource": Path("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .read_text()
        .strip()
        if Path("/sys/devices/system/clocksource/clocksource0/current_clocksource").exists()
        else "?",
    }


def meta(args: argparse.Namespace) -> dict[str, Any]:
    """Versions of the measured code and of the anchors."""

    def dist(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    aws = tool("aws")
    return {
        "crates": lock_versions(
            (
                "cross-account",
                "aws-config",
                "aws-sdk-sts",
                "aws-smithy-runtime",
                "aws-smithy-runtime-api",
                "aws-credential-types",
                "arc-swap",
                "tokio",
            )
        ),
        "rustc": first_line([tool("rustc"), "--version"]),
        "python": platform.python_version(),
        "python_packages": {n: dist(n) for n in ("boto3", "botocore", "moto", "maturin")},
        "aws_cli": first_line([aws, "--version"]),
        "aws_cli_path": aws,
        "hyperfine": first_line([shutil.which("hyperfine") or "hyperfine", "--version"]),
        "wheel": Path(args.wheel).name,
        "machine": machine(),
    }


def main() -> int:
    """Run everything; write one JSON file per part into --out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--bench-bin", required=True)
    parser.add_argument("--cli-bin", required=True)
    parser.add_argument("--pool-bin", help="cross-account-bench-pool: the multi-tenant rows")
    parser.add_argument("--repeats", type=int, default=7, help="repeats of the Rust rows")
    parser.add_argument("--quick", action="store_true", help="a smoke run, not for figures")
    args = parser.parse_args()
    scenario_path = os.environ.get("CROSS_ACCOUNT_TEST_SCENARIO")
    if not scenario_path:
        raise SystemExit("collect: run under scripts/with-local-sts")
    scenario = json.loads(Path(scenario_path).read_text())
    args.out.mkdir(parents=True, exist_ok=True)

    def write(name: str, data: Any) -> None:
        (args.out / name).write_text(json.dumps(data, indent=2) + "\n")

    info = meta(args)
    info["started"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    info["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
    info["quick"] = args.quick
    t0 = time.perf_counter()

    log("rows 1-5: cross-account-bench rows")
    rows_cmd = [args.bench_bin, "rows"]
    rows_cmd += ["--quick"] if args.quick else ["--repeats", str(args.repeats)]
    write("rust_rows.json", run_json(rows_cmd))

    with CountingProxy(scenario["endpoint_url"]) as proxy:
        write("rust_moto.json", rust_moto(args.bench_bin, proxy, 1 if args.quick else 3))
        write("cli_herd.json", cli_herd(args.cli_bin, scenario, proxy, 1 if args.quick else 3))
    write("rust_rss.json", rust_rss(args.bench_bin, 1 if args.quick else 3))

    log("rows 6-8, 10: bench/python_compare.py")
    py_cmd = [sys.executable, str(REPO / "bench" / "python_compare.py"), "--wheel", args.wheel]
    py_cmd += ["--json", str(args.out / "python.json")]
    if args.quick:
        py_cmd += ["--runs", "3", "--batch", "2000", "--batches", "3", "--rss-runs", "1"]
    subprocess.run(py_cmd, check=True, stdout=sys.stderr)

    log("row 9: bench/cli_compare.sh")
    env = dict(os.environ, CROSS_ACCOUNT_BIN=args.cli_bin)
    if args.quick:
        env.update(RUNS="5", WARMUP="1")
    subprocess.run(
        [str(REPO / "bench" / "cli_compare.sh"), "--json", str(args.out / "cli.json")],
        check=True,
        env=env,
        stdout=sys.stderr,
    )

    if args.pool_bin:
        log("multi-tenant rows: bench/pool_report.py")
        sys.path.insert(0, str(REPO / "bench"))
        import pool_report  # noqa: PLC0415 - bench/ is not a package

        write("pool.json", pool_report.collect(args.pool_bin, args.quick, args.wheel))

    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    info["seconds"] = round(time.perf_counter() - t0, 1)
    write("meta.json", info)
    log(f"done in {info['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
