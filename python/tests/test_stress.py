"""Stress beyond test_concurrency, test_fork and test_exit: readers across many refreshes, fork
while other threads are inside the library, Ctrl-C while other threads wait, and the session
still working afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from sts_double import StsDouble, interrupted_child

MARGIN = timedelta(seconds=30)


def test_64_threads_and_1000_tasks_across_refreshes_never_fail(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    # Credentials that live 32 s: past the 30 s margin, each generation is usable for 1 to 2 s,
    # so the readers below run across several refreshes.
    double.lifetime = 32
    session = make_session()
    stop = threading.Event()
    errors: list[BaseException] = []
    keys: set[str] = {session.credentials().access_key_id}
    reads = 0
    lock = threading.Lock()

    def check(creds: Any, asked_at: datetime) -> None:
        # Compared with the time of the call, not of this check: a thread may wait for the GIL
        # for a while between the two.
        nonlocal reads
        if creds.expiration <= asked_at + MARGIN:
            raise AssertionError(f"credentials inside the margin at {asked_at}: {creds!r}")
        with lock:
            keys.add(creds.access_key_id)
            reads += 1

    def thread_reader() -> None:
        try:
            while not stop.is_set():
                asked_at = datetime.now(timezone.utc)
                check(session.credentials(), asked_at)
        except BaseException as e:
            errors.append(e)

    def async_readers() -> None:
        async def reader() -> None:
            while not stop.is_set():
                asked_at = datetime.now(timezone.utc)
                check(await session.credentials_async(), asked_at)
                await asyncio.sleep(0.001)

        async def main() -> None:
            await asyncio.gather(*(reader() for _ in range(1000)))

        try:
            asyncio.run(main())
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=thread_reader) for _ in range(64)]
    threads.append(threading.Thread(target=async_readers))
    for t in threads:
        t.start()
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]
    assert len(keys) >= 2, f"{len(keys)} generations: no refresh happened during the run"
    # One AssumeRole per generation, however many readers (plus, perhaps, one refresh that
    # landed after the last read).
    assert len(keys) <= double.calls <= len(keys) + 1, (double.calls, len(keys))
    assert reads > 10_000


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork()")
def test_fork_while_other_threads_are_inside_the_library(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.lifetime = 32
    double.delay = 0.02  # fetches are often in flight when the fork happens
    session = make_session()
    session.credentials()
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        try:
            while not stop.is_set():
                if n % 4 == 0:
                    session.invalidate()
                session.credentials()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    try:
        for _ in range(8):
            time.sleep(0.05)
            pid = os.fork()
            if pid == 0:
                # The child: only this thread exists; the session must still work, and fast.
                signal.alarm(20)
                try:
                    session.invalidate()
                    key = session.credentials().access_key_id
                    os._exit(0 if key.startswith("ASIADOUBLE") else 3)
                except BaseException:
                    os._exit(4)
            deadline = time.monotonic() + 30
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    pytest.fail("a child forked while threads were reading hung")
                time.sleep(0.01)
            assert os.waitstatus_to_exitcode(status) == 0, status
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    # The parent is unharmed.
    session.invalidate()
    assert session.credentials().access_key_id.startswith("ASIADOUBLE")


def test_ctrl_c_while_other_threads_wait_then_the_session_works(double: StsDouble) -> None:
    double.mode = "hang"
    proc = interrupted_child(
        double,
        """
        results = []
        def waiter():
            try:
                results.append(s.credentials().access_key_id)
            except Exception as e:
                results.append(type(e).__name__)
        threads = [threading.Thread(target=waiter, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        print("waiting", flush=True)
        try:
            s.credentials()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        else:
            sys.exit(3)
        sys.stdin.readline()  # the parent lets STS answer
        key = s.credentials().access_key_id
        for t in threads:
            t.join(timeout=30)
        print(key, sorted(set(results)), flush=True)
        """,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "interrupted"
        double.mode = "ok"
        double.release()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    key, _, others = out.strip().partition(" ")
    assert key.startswith("ASIADOUBLE"), out
    # The other waiters were not disturbed by the interrupt: they got credentials too.
    assert others == str([key]), out
