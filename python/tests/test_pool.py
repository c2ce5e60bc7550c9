"""cross_account.Pool: against the STS double, then 1000 tenant roles on moto end to end."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from sts_double import SENTINEL_SECRET, StsDouble

import cross_account
from cross_account import AccessDeniedError, InvalidParameterError

REPO = Path(__file__).resolve().parents[2]
TENANTS = 1000


def tenant_arn(i: int) -> str:
    return f"arn:aws:iam::{400_000_000_000 + i:012d}:role/Tenant{i}"


def double_pool(double: StsDouble, **kw: Any) -> cross_account.Pool:
    kw.setdefault("endpoint_url", double.url)
    kw.setdefault("region", "us-east-1")
    return cross_account.Pool(**kw)


def test_one_call_per_tenant_and_hits_are_free(double: StsDouble) -> None:
    pool = double_pool(double, rate_limit=500, burst=50)
    first = [pool.credentials(tenant_arn(i), f"id-{i}") for i in range(20)]
    again = [pool.credentials(tenant_arn(i), f"id-{i}") for i in range(20)]
    assert [c.access_key_id for c in first] == [c.access_key_id for c in again]
    assert double.calls == 20
    stats = pool.stats()
    assert {k: stats[k] for k in ("sts_calls", "sessions", "in_flight", "throttled")} == {
        "sts_calls": 20,
        "sessions": 20,
        "in_flight": 0,
        "throttled": 0,
    }
    assert SENTINEL_SECRET not in repr(first[0]) + repr(pool) + str(stats)


def test_credentials_async_share_the_one_call(double: StsDouble) -> None:
    double.delay = 0.2
    pool = double_pool(double)

    async def main() -> set[str]:
        got = await asyncio.gather(
            *(pool.credentials_async(tenant_arn(1), "id-1") for _ in range(50))
        )
        return {c.access_key_id for c in got}

    assert len(asyncio.run(main())) == 1
    assert double.calls == 1


def test_refusal_is_quarantined_and_bad_input_named(double: StsDouble) -> None:
    pool = double_pool(double)
    double.mode = "access_denied"
    for _ in range(5):
        with pytest.raises(AccessDeniedError):
            pool.credentials(tenant_arn(2), "id-2")
    assert double.calls == 1
    assert pool.stats()["quarantined"] == 1
    with pytest.raises(InvalidParameterError) as bad:
        pool.credentials("arn:aws:iam::12:role/X", "id")
    assert "role_arn" in str(bad.value)
    with pytest.raises(InvalidParameterError):
        cross_account.Pool(rate_limit=0)


def test_tenant_keywords_are_the_session_keywords(double: StsDouble) -> None:
    pool = double_pool(double, rate_limit=500, burst=50)
    # One parser for both faces: the same type errors, and a name neither takes is refused.
    for call in (
        lambda **kw: pool.credentials(tenant_arn(3), "id-3", **kw),
        lambda **kw: cross_account.CrossAccountSession(tenant_arn(3), "id-3", **kw),
    ):
        with pytest.raises(TypeError, match="unexpected keyword argument 'sesion_name'"):
            call(sesion_name="typo")
        with pytest.raises(TypeError, match="policy_arns must be a sequence of strings"):
            call(policy_arns="arn:aws:iam::aws:policy/ReadOnlyAccess")
    # Session-only keywords are not tenant keywords.
    with pytest.raises(TypeError, match="unexpected keyword argument 'auto_refresh'"):
        pool.credentials(tenant_arn(3), "id-3", auto_refresh=False)
    # The same tags in another order are the same tenant: one call.
    a = pool.credentials(tenant_arn(4), "id-4", tags={"a": "1", "b": "2"})
    b = pool.credentials(tenant_arn(4), "id-4", tags={"b": "2", "a": "1"})
    assert a.access_key_id == b.access_key_id
    assert double.calls == 1


@pytest.mark.parametrize("idle", [0.5, 0.0, -1.0, float("nan"), float("inf")])
def test_idle_timeout_outside_the_rule_is_named(idle: float) -> None:
    # Below 1 s is the core's rule; what no duration can hold is refused by the binding.
    with pytest.raises(InvalidParameterError) as bad:
        cross_account.Pool(idle_timeout=idle, endpoint_url="http://127.0.0.1:9")
    assert bad.value.field == "idle_timeout"
    assert "at least 1" in str(bad.value)


def test_prefetch_returns_one_result_per_tenant(double: StsDouble) -> None:
    pool = double_pool(double, rate_limit=500, burst=50)
    results = pool.prefetch([(tenant_arn(i), f"id-{i}") for i in range(30)] + [("bad", None)])
    assert all(isinstance(r, cross_account.Credentials) for r in results[:30])
    assert isinstance(results[30], InvalidParameterError)
    assert double.calls == 30


def test_boto3_sessions_share_one_loader(double: StsDouble) -> None:
    pool = double_pool(double, rate_limit=500, burst=50)
    a = pool.boto3_session(tenant_arn(1), "id-1", region_name="us-east-1")
    b = pool.boto3_session(tenant_arn(2), "id-2", region_name="us-east-1")
    loader = a._session.get_component("data_loader")
    assert loader is b._session.get_component("data_loader")
    assert a.get_credentials().get_frozen_credentials().access_key != (
        b.get_credentials().get_frozen_credentials().access_key
    )
    # A client per tenant stays small once the model is loaded (loosely; the bench measures).
    pool.client("s3", tenant_arn(0), "id-0", region_name="us-east-1")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clients = [
        pool.client("s3", tenant_arn(i), f"id-{i}", region_name="us-east-1") for i in range(3, 13)
    ]
    per_client = (tracemalloc.get_traced_memory()[0] - before) / len(clients)
    tracemalloc.stop()
    assert per_client < 3 * 1024 * 1024, f"{per_client / 1024:.0f} KiB per tenant client"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_working_pool(double: StsDouble) -> None:
    pool = double_pool(double)
    pool.credentials(tenant_arn(1), "id-1")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            # The child rebuilds the pool on its own runtime: its calls go out from there.
            again = pool.credentials(tenant_arn(1), "id-1")
            other = pool.credentials(tenant_arn(2), "id-2")
            code = 0 if again.access_key_id and other.access_key_id else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.credentials(tenant_arn(3), "id-3").access_key_id


# --- moto, end to end ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tenants(scenario: dict[str, Any], scenario_path: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "support" / "local_sts.py"),
            "setup-tenants",
            "--state-dir",
            str(scenario_path.parent),
            "--prefix",
            "PyPoolTenant",
            "--count",
            str(TENANTS),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return list(json.loads(out.stdout))


def moto_pool(scenario: dict[str, Any]) -> cross_account.Pool:
    return cross_account.Pool(
        rate_limit=200,
        burst=20,
        endpoint_url=scenario["endpoint_url"],
        region=scenario["region"],
        profile="partner",
    )


def test_a_thousand_moto_tenants(scenario: dict[str, Any], tenants: list[dict[str, str]]) -> None:
    pool = moto_pool(scenario)
    results = pool.prefetch([(t["role_arn"], t["external_id"]) for t in tenants])
    failures = [r for r in results if not isinstance(r, cross_account.Credentials)]
    assert failures == []
    for t, creds in zip(tenants, results):
        name = t["role_arn"].rsplit("/", 1)[1]
        assert f"assumed-role/{name}/" in creds.assumed_role_arn  # type: ignore[union-attr]
    stats = pool.stats()
    assert (stats["sts_calls"], stats["sessions"]) == (TENANTS, TENANTS)
    # A real client judges one tenant's credentials: moto's STS says who they are.
    session = pool.boto3_session(
        tenants[5]["role_arn"], tenants[5]["external_id"], region_name=scenario["region"]
    )
    sts = session.client("sts", endpoint_url=scenario["endpoint_url"])
    who = sts.get_caller_identity()
    assert tenants[5]["role_arn"].rsplit("/", 1)[1] in who["Arn"]
    assert pool.stats()["sts_calls"] == TENANTS


def test_verify_on_moto_reports_unsafe(
    scenario: dict[str, Any], tenants: list[dict[str, str]]
) -> None:
    report = moto_pool(scenario).verify(tenants[0]["role_arn"], tenants[0]["external_id"])
    assert report["verdict"] == "unsafe"
    outcomes = {c["check"]: c["outcome"] for c in report["checks"]}
    assert outcomes["assume_with_external_id"] == "passed"
    assert outcomes["refuses_without_external_id"] == "failed"
    finding = next(c for c in report["checks"] if c["check"] == "refuses_without_external_id")
    assert "sts:ExternalId" in finding["hint"]
