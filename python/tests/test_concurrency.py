"""Many readers, one STS call; the GIL is released while waiting; Ctrl-C interrupts a wait."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, Callable

from sts_double import StsDouble, interrupted_child

TESTS = Path(__file__).resolve().parent


def test_1000_concurrent_async_reads_make_one_sts_call(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.delay = 0.3  # all 1,000 are waiting while the one call is in flight
    session = make_session()

    async def main() -> list[Any]:
        return list(await asyncio.gather(*(session.credentials_async() for _ in range(1000))))

    creds = asyncio.run(main())
    assert len(creds) == 1000
    assert {c.access_key_id for c in creds} == {"ASIADOUBLE00000001"}
    assert double.calls == 1
    assert session.status()["sts_calls"] == 1

    # Fresh credentials: the awaitable is already resolved.
    async def cached() -> Any:
        return await session.credentials_async()

    assert asyncio.run(cached()).access_key_id == "ASIADOUBLE00000001"
    assert double.calls == 1


def test_64_threads_reading(double: StsDouble, make_session: Callable[..., Any]) -> None:
    double.delay = 0.3
    session = make_session()
    barrier = threading.Barrier(64)
    seen: list[str] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            barrier.wait()
            for _ in range(200):
                seen.append(session.credentials().access_key_id)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(seen) == 64 * 200
    assert set(seen) == {"ASIADOUBLE00000001"}
    assert double.calls == 1


def test_gil_is_released_while_waiting_for_sts(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.delay = 1.0
    session = make_session()
    ticks = 0
    stop = threading.Event()

    def counter() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=counter)
    t.start()
    try:
        time.sleep(0.05)
        before = ticks
        started = time.monotonic()
        creds = session.credentials()
        waited = time.monotonic() - started
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert creds.access_key_id == "ASIADOUBLE00000001"
    assert waited >= 0.9
    # A pure-Python loop counts to millions per second when it has the GIL; if credentials()
    # held the GIL for the whole second, the counter would barely move.
    assert during > 100_000, during


def test_async_wait_does_not_block_the_event_loop(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.delay = 0.5
    session = make_session()

    async def main() -> tuple[int, Any]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        creds = await session.credentials_async()
        ticker.cancel()
        return ticks, creds

    ticks, creds = asyncio.run(main())
    assert creds.access_key_id == "ASIADOUBLE00000001"
    assert ticks >= 20


def test_ctrl_c_interrupts_a_blocking_wait(double: StsDouble) -> None:
    double.mode = "hang"
    proc = interrupted_child(
        double,
        """
        print("waiting", flush=True)
        started = time.monotonic()
        try:
            s.credentials()
        except KeyboardInterrupt:
            print(f"interrupted after {time.monotonic() - started:.2f}", flush=True)
            sys.exit(0)
        sys.exit(3)
        """,
    )
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.startswith("interrupted after")
