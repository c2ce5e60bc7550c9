"""The async AWS stack and the default boto3 session against moto, across a forced refresh.

aiobotocore, aioboto3, s3fs and pandas are installed by scripts/ensure-python-deps (pinned
with the boto3/botocore they work with). Each test reads the scenario's object with the
assumed role, forces a refresh (``invalidate()``: new credentials from STS), reads again, and
checks that the second read signed with the new credentials.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest
from built import fail_or_skip  # tests/support, on sys.path from conftest.py


def needs(module: str) -> Any:
    """The module, or a skip (a failure under CI=true, where the test command installs it)."""
    try:
        return __import__(module)
    except ImportError:
        fail_or_skip(f"{module} is not installed (scripts/ensure-python-deps installs it)")


def forced_refresh(session: Any) -> str:
    """Invalidate and fetch again; the new access key id."""
    before = session.credentials().access_key_id
    session.invalidate()
    after: str = session.credentials().access_key_id
    assert after != before
    return after


def test_aiobotocore_session_refreshes(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    needs("aiobotocore")
    s = moto_session()

    async def main() -> None:
        aio = s.aiobotocore_session()
        creds = await aio.get_credentials()
        assert await creds.get_account_id() == scenario["role_arn"].split(":")[4]
        async with aio.create_client("s3", endpoint_url=scenario["endpoint_url"]) as s3:
            got = await s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])
            assert (await got["Body"].read()).decode() == scenario["body"]
            first = (await creds.get_frozen_credentials()).access_key
            new_key = forced_refresh(s)
            got = await s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])
            assert (await got["Body"].read()).decode() == scenario["body"]
            assert (await creds.get_frozen_credentials()).access_key == new_key != first

    asyncio.run(main())
    assert s.status()["refresh_count"] == 1


def test_aioboto3_session_refreshes(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    needs("aioboto3")
    s = moto_session()

    async def main() -> None:
        session = s.aioboto3_session()
        async with session.client("s3", endpoint_url=scenario["endpoint_url"]) as s3:
            await s3.head_object(Bucket=scenario["bucket"], Key=scenario["key"])
            forced_refresh(s)
            got = await s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])
            assert (await got["Body"].read()).decode() == scenario["body"]
        async with session.resource("s3", endpoint_url=scenario["endpoint_url"]) as res:
            obj = await res.Object(scenario["bucket"], scenario["key"])
            assert (await (await obj.get())["Body"].read()).decode() == scenario["body"]

    asyncio.run(main())
    assert s.status()["refresh_count"] == 1


def test_s3fs_with_the_aiobotocore_session(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    s3fs = needs("s3fs")
    s = moto_session()
    fs = s3fs.S3FileSystem(
        session=s.aiobotocore_session(),
        client_kwargs={"endpoint_url": scenario["endpoint_url"]},
        skip_instance_cache=True,
    )
    path = f"{scenario['bucket']}/{scenario['key']}"
    assert fs.cat(path).decode() == scenario["body"]
    forced_refresh(s)
    fs.invalidate_cache()
    assert fs.cat(path).decode() == scenario["body"]
    assert s.status()["refresh_count"] == 1


@pytest.fixture
def csv_object(scenario: dict[str, Any]) -> str:
    """A CSV in the scenario's bucket, put there with the trusting account's admin keys."""
    import boto3

    admin = boto3.Session(
        aws_access_key_id=scenario["admin_access_key_id"],
        aws_secret_access_key=scenario["admin_secret_access_key"],
        region_name=scenario["region"],
    ).client("s3", endpoint_url=scenario["endpoint_url"])
    key = "reports/tenants.csv"
    admin.put_object(Bucket=scenario["bucket"], Key=key, Body=b"tenant,rows\nacme,3\nglobex,5\n")
    return f"s3://{scenario['bucket']}/{key}"


def test_pandas_read_csv_from_s3(
    moto_session: Callable[..., Any], scenario: dict[str, Any], csv_object: str
) -> None:
    pandas = needs("pandas")
    needs("s3fs")
    s = moto_session()
    options = {
        "session": s.aiobotocore_session(),
        "client_kwargs": {"endpoint_url": scenario["endpoint_url"]},
        "skip_instance_cache": True,
    }
    df = pandas.read_csv(csv_object, storage_options=options)
    assert list(df["tenant"]) == ["acme", "globex"] and int(df["rows"].sum()) == 8
    forced_refresh(s)
    df = pandas.read_csv(csv_object, storage_options=options)
    assert list(df["rows"]) == [3, 5]
    assert s.status()["refresh_count"] == 1


def test_setup_default_session_makes_plain_boto3_use_the_role(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    import boto3

    import cross_account

    s = moto_session()
    saved = boto3.DEFAULT_SESSION
    try:
        returned = cross_account.setup_default_session(s)
        assert boto3.DEFAULT_SESSION is returned
        sts = boto3.client("sts", endpoint_url=scenario["endpoint_url"])
        assert ":assumed-role/" in sts.get_caller_identity()["Arn"]
        s3 = boto3.client("s3", endpoint_url=scenario["endpoint_url"])
        body = s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])["Body"].read()
        assert body.decode() == scenario["body"]
        forced_refresh(s)
        body = s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])["Body"].read()
        assert body.decode() == scenario["body"]
        frozen = s3._request_signer._credentials.get_frozen_credentials()
        assert frozen.access_key == s.credentials().access_key_id
    finally:
        boto3.DEFAULT_SESSION = saved
