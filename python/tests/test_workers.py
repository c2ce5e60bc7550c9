"""Worker processes: 2,000 tasks over 200 tenant roles in moto, on a Dask LocalCluster (4
worker processes) and on a spawn ProcessPoolExecutor (4 processes).

Each task calls ``cross_account.session_for(spec)`` with a pickled ``SessionSpec`` and reads
credentials. Judged by the answers: no failed task, every task got its own tenant's role, and
AssumeRole calls (each process's per-session counts, added up) at most tenants x workers.
The figures are printed (``pytest -s``) for the closing note.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import local_sts  # tests/support, on sys.path from conftest.py
import pytest
import worker_tasks
from built import fail_or_skip

import cross_account

TENANTS = 200
TASKS = 2000
WORKERS = 4
BUDGET_S = 120  # each engine's whole run, cluster start included


@pytest.fixture(scope="module")
def tenant_specs(scenario: dict[str, Any]) -> list[cross_account.SessionSpec]:
    arns = local_sts.setup_tenants(scenario, TENANTS)
    specs = []
    for arn in arns:
        with cross_account.CrossAccountSession(
            arn,
            scenario["external_id"],
            endpoint_url=scenario["endpoint_url"],
            region=scenario["region"],
            profile="partner",
            session_name="worker",
        ) as s:
            specs.append(s.spec())
    return specs


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers import worker_tasks by name; they inherit the environment (and with it the
    # throwaway AWS files of conftest.py).
    tests = str(Path(__file__).resolve().parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")]))


def judge(engine: str, results: list[tuple[int, str, str, int]], elapsed: float) -> None:
    assert len(results) == TASKS
    for _pid, asked, got, _calls in results:
        role_name = asked.rsplit("/", 1)[1]
        assert f":assumed-role/{role_name}/worker" in got, (asked, got)
    pids = {pid for pid, *_ in results}
    # Per process and role, the count only grows: its last value is that session's calls.
    calls: dict[tuple[int, str], int] = {}
    for pid, asked, _got, n in results:
        calls[(pid, asked)] = max(calls.get((pid, asked), 0), n)
    sts_calls = sum(calls.values())
    print(
        f"\n{engine}: {TASKS} tasks over {TENANTS} tenants on {len(pids)} worker processes: "
        f"0 failed, {sts_calls} AssumeRole calls (bound {TENANTS * WORKERS}), {elapsed:.1f} s"
    )
    assert len(pids) <= WORKERS
    assert sts_calls <= TENANTS * len(pids)
    assert elapsed < BUDGET_S


def tasks(specs: list[cross_account.SessionSpec]) -> list[cross_account.SessionSpec]:
    return [specs[i % TENANTS] for i in range(TASKS)]


def test_dask_local_cluster(
    tenant_specs: list[cross_account.SessionSpec], worker_env: None
) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        fail_or_skip("distributed is not installed (scripts/ensure-python-deps installs it)")
    start = time.monotonic()
    with (
        LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        futures = client.map(worker_tasks.read_credentials, tasks(tenant_specs), pure=False)
        results = client.gather(futures, errors="raise")
        assert len(client.scheduler_info()["workers"]) == WORKERS
    judge("dask LocalCluster", results, time.monotonic() - start)
    assert len({pid for pid, *_ in results}) == WORKERS


def test_spawn_process_pool(
    tenant_specs: list[cross_account.SessionSpec], worker_env: None
) -> None:
    start = time.monotonic()
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        results = list(pool.map(worker_tasks.read_credentials, tasks(tenant_specs), chunksize=10))
    judge("ProcessPoolExecutor(spawn)", results, time.monotonic() - start)
