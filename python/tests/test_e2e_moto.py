"""End to end against moto with IAM auth on; boto3's S3 client from boto3_session() judges."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest

import cross_account
from cross_account import AccessDeniedError, InvalidParameterError

pytestmark = pytest.mark.usefixtures("scenario")


def s3_client(session: Any, scenario: dict[str, Any]) -> Any:
    from botocore.config import Config

    return session.boto3_session().client(
        "s3",
        endpoint_url=scenario["endpoint_url"],
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_read_allowed_write_denied(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    from botocore.exceptions import ClientError

    session = moto_session()
    s3 = s3_client(session, scenario)
    body = s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])["Body"].read()
    assert body.decode() == scenario["body"]
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=scenario["bucket"], Key="written-by-partner.txt", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # Many signed requests, one AssumeRole.
    for _ in range(5):
        s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])
    assert session.status()["sts_calls"] == 1


def test_assumed_identity_is_the_role(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    session = moto_session(session_name="e2e-python")
    creds = session.credentials()
    assert creds.access_key_id.startswith("ASIA")
    assert ":assumed-role/DemoRole/e2e-python" in creds.assumed_role_arn
    sts = session.boto3_session().client("sts", endpoint_url=scenario["endpoint_url"])
    assert ":assumed-role/DemoRole/" in sts.get_caller_identity()["Arn"]


def test_wrong_external_id_is_access_denied_with_hint(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    session = moto_session(external_id="WrongExternalId")
    with pytest.raises(AccessDeniedError) as err:
        session.credentials()
    e = err.value
    assert isinstance(e, cross_account.CrossAccountError)
    assert e.role_arn == scenario["role_arn"]
    assert e.kind == "access_denied"
    assert "sts:ExternalId" in e.hint and "external ID" in e.hint
    assert e.hint in str(e)
    assert session.status()["last_error_kind"] == "access_denied"


def test_bad_arn_fails_before_any_network_call(scenario: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterError) as err:
        cross_account.CrossAccountSession(
            "arn:aws:iam::12345:role/DemoRole",
            scenario["external_id"],
            endpoint_url=scenario["endpoint_url"],
            profile="partner",
        )
    assert err.value.field == "role_arn"
    assert "role_arn" in str(err.value) and "12 digits" in str(err.value)


def test_async_against_moto(moto_session: Callable[..., Any]) -> None:
    session = moto_session()

    async def main() -> list[Any]:
        return list(await asyncio.gather(*(session.credentials_async() for _ in range(50))))

    creds = asyncio.run(main())
    assert len({c.access_key_id for c in creds}) == 1
    assert session.status()["sts_calls"] == 1


def test_to_env_hands_over_to_a_fresh_boto3(
    moto_session: Callable[..., Any], scenario: dict[str, Any]
) -> None:
    import boto3

    env = moto_session().credentials().to_env()
    plain = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        region_name=scenario["region"],
    )
    s3 = plain.client("s3", endpoint_url=scenario["endpoint_url"])
    assert s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])["Body"].read()
