"""Interpreter exit with live sessions neither hangs nor crashes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sts_double import StsDouble

PRELUDE = """
import asyncio, os, sys, threading
import cross_account
def make(**kw):
    return cross_account.CrossAccountSession(
        "arn:aws:iam::123456789012:role/DemoRole", endpoint_url=URL, region="us-east-1", **kw
    )
"""

SCENARIOS = {
    "never_used": "s = make()",
    "after_a_read": "s = make(); s.credentials(); assert s.status()['background_task_running']",
    "after_async_reads": (
        "s = make()\n"
        "async def main():\n"
        "    await asyncio.gather(*(s.credentials_async() for _ in range(100)))\n"
        "asyncio.run(main())"
    ),
    "in_a_cycle_and_a_global": "s = make(); s.credentials(); G = [s]; G.append(G)",
    "closed": "s = make(); s.credentials(); s.close()",
    "chained": "a = make(); b = make(source_session=a); b.credentials()",
    "daemon_thread_blocked_in_a_read": (
        "s = make(duration_seconds=900)\n"
        "t = threading.Thread(target=s.credentials, daemon=True)\n"
        "t.start()\n"
        "import time; time.sleep(0.3)"
    ),
    "pending_async_read_at_exit": (
        "s = make()\n"
        "loop = asyncio.new_event_loop()\n"
        "fut = loop.run_until_complete(asyncio.sleep(0, result=None))\n"
        "async def start():\n"
        "    return asyncio.ensure_future(s.credentials_async())\n"
        "pending = loop.run_until_complete(start())"
    ),
    "async_error_with_reads_in_flight": (
        "s = make()\n"
        "async def main():\n"
        "    await asyncio.gather(*(s.credentials_async() for _ in range(200)))\n"
        "try:\n"
        "    asyncio.run(main())\n"
        "except cross_account.AccessDeniedError:\n"
        "    pass"
    ),
    "answer_arrives_during_exit": (
        "s = make()\n"
        "loop = asyncio.new_event_loop()\n"
        "async def start():\n"
        "    return [asyncio.ensure_future(s.credentials_async()) for _ in range(50)]\n"
        "pending = loop.run_until_complete(start())\n"
        "loop.close()"
    ),
    "sys_exit_from_a_thread_pool": (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "s = make()\n"
        "with ThreadPoolExecutor(8) as ex:\n"
        "    list(ex.map(lambda _: s.credentials(), range(64)))\n"
        "print('done', flush=True)\n"
        "sys.exit(0)"
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_exit_with_live_session(name: str) -> None:
    double = StsDouble()
    if name in ("daemon_thread_blocked_in_a_read", "pending_async_read_at_exit"):
        double.mode = "hang"
    if name == "async_error_with_reads_in_flight":
        double.mode = "access_denied"
    if name == "answer_arrives_during_exit":
        double.delay = 0.1
    try:
        code = f"URL = {double.url!r}\n" + PRELUDE + textwrap.dedent(SCENARIOS[name]) + "\n"
        if "sys.exit" not in code:
            code += "print('done', flush=True)\n"
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
        )
    finally:
        double.close()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"
    assert "panic" not in proc.stderr.lower(), proc.stderr
