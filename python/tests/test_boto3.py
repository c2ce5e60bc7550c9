"""boto3/botocore integration: refreshable credentials that read from the Rust cache."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from sts_double import SENTINEL_SECRET, SENTINEL_TOKEN, StsDouble

from cross_account import AccessDeniedError

botocore = pytest.importorskip("botocore")


def test_botocore_credentials_are_refreshable(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

    session = make_session()
    creds = session.botocore_credentials()
    assert isinstance(creds, DeferredRefreshableCredentials)
    assert isinstance(creds, RefreshableCredentials)
    assert creds.method == "cross-account"
    assert double.calls == 0  # deferred: nothing fetched yet
    frozen = creds.get_frozen_credentials()
    assert frozen.access_key == "ASIADOUBLE00000001"
    assert frozen.secret_key == f"{SENTINEL_SECRET}-1"
    assert frozen.token == f"{SENTINEL_TOKEN}-1"
    assert creds.access_key == "ASIADOUBLE00000001"
    assert not creds.refresh_needed()


def test_50_reads_of_900s_credentials_make_one_sts_call(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    # botocore's own assume-role credentials call STS on every read of a 900 s session
    # (its advisory window is 15 minutes); these read the Rust cache.
    session = make_session(duration_seconds=900)
    creds = session.botocore_credentials()
    keys = {creds.get_frozen_credentials().access_key for _ in range(50)}
    assert keys == {"ASIADOUBLE00000001"}
    assert double.calls == 1


def test_botocore_follows_the_rust_refresh(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    session = make_session()
    creds = session.botocore_credentials()
    assert creds.get_frozen_credentials().access_key == "ASIADOUBLE00000001"
    session.invalidate()  # as after a refresh: the Rust cache now holds newer credentials
    assert creds.refresh_needed()
    assert creds.get_frozen_credentials().access_key == "ASIADOUBLE00000002"
    assert creds.get_frozen_credentials().secret_key == f"{SENTINEL_SECRET}-2"
    assert double.calls == 2


def test_threads_share_one_call(double: StsDouble, make_session: Callable[..., Any]) -> None:
    double.delay = 0.2
    creds = make_session().botocore_credentials()
    seen: list[str] = []
    threads = [
        threading.Thread(target=lambda: seen.append(creds.get_frozen_credentials().access_key))
        for _ in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["ASIADOUBLE00000001"] * 16
    assert double.calls == 1


def test_errors_are_typed(double: StsDouble, make_session: Callable[..., Any]) -> None:
    double.mode = "access_denied"
    creds = make_session(external_id="ExternalId123").botocore_credentials()
    with pytest.raises(AccessDeniedError):
        creds.get_frozen_credentials()


def test_boto3_session_signs_with_the_session(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    session = make_session(region="eu-west-1")
    b3 = session.boto3_session()
    assert b3.region_name == "eu-west-1"
    assert session.boto3_session(region_name="ap-northeast-1").region_name == "ap-northeast-1"
    frozen = b3.get_credentials().get_frozen_credentials()
    assert frozen.access_key == "ASIADOUBLE00000001"
    # A client call through the double: GetCallerIdentity signed with the assumed role.
    sts = b3.client("sts", endpoint_url=double.url)
    assert sts.get_caller_identity()["Account"] == "111111111111"
    assert double.calls == 1


def test_boto3_session_ignores_other_credentials_in_the_environment(
    double: StsDouble, make_session: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = make_session()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    creds = session.boto3_session().get_credentials()
    assert creds.method == "cross-account"
    assert creds.get_frozen_credentials().access_key == "ASIADOUBLE00000001"
