"""A session used in a forked child works: the child builds its own runtime and core session."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
from typing import Any, Callable

import pytest
from sts_double import StsDouble

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork()"
)


def _child_reads(session: Any, queue: Any) -> None:
    try:
        cached = session.credentials().access_key_id
        session.invalidate()  # force an STS call through the child's own runtime
        fresh = session.credentials().access_key_id

        async def main() -> str:
            session.invalidate()
            results = await asyncio.gather(*(session.credentials_async() for _ in range(20)))
            return str(results[0].access_key_id)

        async_key = asyncio.run(main())
        queue.put(("ok", os.getpid(), cached, fresh, async_key, session.status()["sts_calls"]))
    except BaseException as e:
        queue.put(("error", repr(e)))


def test_forked_child_gets_a_working_session(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    session = make_session(duration_seconds=900)
    parent_key = session.credentials().access_key_id  # runtime and refresh task now running
    assert session.status()["background_task_running"]

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    children = [ctx.Process(target=_child_reads, args=(session, queue)) for _ in range(3)]
    for c in children:
        c.start()
    results = [queue.get(timeout=60) for _ in children]
    for c in children:
        c.join(timeout=30)
        assert c.exitcode == 0
    for r in results:
        assert r[0] == "ok", r
        _, pid, cached, fresh, async_key, calls = r
        assert pid != os.getpid()
        assert cached.startswith("ASIADOUBLE")
        assert fresh.startswith("ASIADOUBLE") and fresh != cached
        assert async_key.startswith("ASIADOUBLE") and async_key != fresh
        assert calls == 3  # the child's own core session: first read, invalidate, invalidate
    # The parent is untouched: same cached credentials, its runtime still serves fetches.
    assert session.credentials().access_key_id == parent_key
    session.invalidate()
    assert session.credentials().access_key_id not in {parent_key}
    assert double.calls == 1 + 3 * 3 + 1


def test_child_of_a_child(double: StsDouble, make_session: Callable[..., Any]) -> None:
    session = make_session()
    session.credentials()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: fork again, and use the session in the grandchild
        try:
            session.invalidate()
            session.credentials()
            gpid = os.fork()
            if gpid == 0:
                try:
                    session.invalidate()
                    key = session.credentials().access_key_id
                    os.write(write, key.encode())
                finally:
                    os._exit(0)
            _, status = os.waitpid(gpid, 0)
            os._exit(0 if status == 0 else 1)
        except BaseException:
            os._exit(2)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    key = os.read(read, 100).decode()
    os.close(read)
    assert status == 0
    assert key.startswith("ASIADOUBLE")


def _child_session_for(spec: Any, queue: Any) -> None:
    try:
        import cross_account

        first = cross_account.session_for(spec)
        again = cross_account.session_for(spec)
        creds = first.credentials(timeout=30)
        queue.put(
            (
                "ok",
                first is again,
                creds.access_key_id,
                first.status()["sts_calls"],
            )
        )
    except BaseException as e:
        queue.put(("error", repr(e)))


def test_session_for_is_rebuilt_in_a_forked_child(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    import cross_account

    spec = make_session().spec()
    parent = cross_account.session_for(spec)
    parent_key = parent.credentials().access_key_id
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_session_for, args=(spec, queue))
    child.start()
    result = queue.get(timeout=60)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert result[0] == "ok", result
    _, shared_in_child, child_key, child_calls = result
    assert shared_in_child
    assert child_key != parent_key and child_calls == 1  # its own session and AssumeRole call
    assert cross_account.session_for(spec) is parent
    assert parent.credentials().access_key_id == parent_key
