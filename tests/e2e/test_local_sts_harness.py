"""The loopback STS harness really enforces what the end-to-end tests rely on.

If these fail, every end-to-end result built on the harness is meaningless:
an emulator with auth off would let a wrong External ID through. The
`test_moto_*` cases pin moto limits documented in DESIGN.md (Testing) so an
upgrade that changes them is noticed rather than silently relied upon.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.parse
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

LOCAL_STS = Path(__file__).resolve().parents[1] / "support" / "local_sts.py"

WRONG_EXTERNAL_ID = "not-the-external-id"


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, int]:
    response = excinfo.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"].get("Code", ""), status


def client_error() -> Any:  # botocore ships no type stubs
    from botocore.exceptions import ClientError

    return ClientError


def test_auth_is_on_unknown_key_is_rejected(aws: Any) -> None:
    sts = aws.client(
        "sts", {"AccessKeyId": "AKIAUNKNOWN000000000", "SecretAccessKey": "x"}
    )
    with pytest.raises(client_error()) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo) == ("InvalidClientTokenId", 403)


def test_partner_keys_alone_cannot_read_the_bucket(
    aws: Any, scenario: dict[str, Any]
) -> None:
    with pytest.raises(client_error()) as excinfo:
        aws.client("s3").get_object(Bucket=scenario["bucket"], Key=scenario["key"])
    assert error_of(excinfo) == ("AccessDenied", 403)


def test_right_external_id_can_read_and_list(
    aws: Any, scenario: dict[str, Any]
) -> None:
    creds = aws.assume(scenario["external_id"])["Credentials"]
    s3 = aws.client("s3", creds)

    body = s3.get_object(Bucket=scenario["bucket"], Key=scenario["key"])["Body"].read()
    assert body.decode() == scenario["body"]
    # Other suites may add objects of their own to the shared bucket; the scenario's is listed.
    listed = s3.list_objects_v2(Bucket=scenario["bucket"])
    assert scenario["key"] in [o["Key"] for o in listed["Contents"]]


def test_right_external_id_cannot_put(aws: Any, scenario: dict[str, Any]) -> None:
    creds = aws.assume(scenario["external_id"])["Credentials"]
    with pytest.raises(client_error()) as excinfo:
        aws.client("s3", creds).put_object(
            Bucket=scenario["bucket"], Key="x", Body=b"x"
        )
    assert error_of(excinfo) == ("AccessDenied", 403)


def test_wrong_external_id_is_denied(aws: Any) -> None:
    with pytest.raises(client_error()) as excinfo:
        aws.assume(WRONG_EXTERNAL_ID)
    assert error_of(excinfo) == ("AccessDenied", 403)


def test_moto_denial_body_nests_errors(aws: Any, scenario: dict[str, Any]) -> None:
    # The Rust SDK finds no error code in this shape; the client has to map a
    # bare 403 from AssumeRole to "access denied". Pin the exact wire form.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    form = urllib.parse.urlencode(
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": scenario["role_arn"],
            "RoleSessionName": "raw",
            "ExternalId": WRONG_EXTERNAL_ID,
        }
    )
    endpoint = urllib.parse.urlsplit(scenario["endpoint_url"])
    request = AWSRequest(
        method="POST",
        url=f"{scenario['endpoint_url']}/",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    key = aws.partner
    SigV4Auth(
        Credentials(key["AccessKeyId"], key["SecretAccessKey"]),
        "sts",
        scenario["region"],
    ).add_auth(request)
    conn = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=10)
    try:
        conn.request("POST", "/", body=form, headers=dict(request.headers.items()))
        response = conn.getresponse()
        status, body = response.status, response.read().decode()
    finally:
        conn.close()

    assert status == 403
    assert "<ErrorResponse><Errors><Error><Code>AccessDenied</Code>" in body


def test_moto_accepts_missing_external_id(aws: Any) -> None:
    # Real STS denies this; the end-to-end tests must not count on moto to.
    assert aws.assume(None)["AssumedRoleUser"]["Arn"].endswith("/e2e-harness")


def test_moto_expiration_follows_duration_seconds(
    aws: Any, scenario: dict[str, Any]
) -> None:
    before = datetime.now(UTC)
    expiration = aws.assume(scenario["external_id"], DurationSeconds=900)[
        "Credentials"
    ]["Expiration"]
    after = datetime.now(UTC)
    assert 899 <= (expiration - before).total_seconds()
    assert (expiration - after).total_seconds() <= 901


# --- setup-role, used to check generated trust policies -------------------------


def setup_role(
    scenario_dir: Path, name: str, trust: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOCAL_STS), "setup-role", "--state-dir", str(scenario_dir),
         "--role-name", name, "--trust-policy", str(trust)],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_setup_role_rejects_invalid_trust_then_creates_valid(
    aws: Any, scenario: dict[str, Any], scenario_dir: Path, tmp_path: Path
) -> None:
    name = f"Generated-{uuid.uuid4().hex[:12]}"  # reruns share one server
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": scenario["partner_user_arn"]},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "generated-id"}},
    }
    broken = tmp_path / "broken.json"
    broken.write_text('{"Version": "2012-10-17", "Statement": [')
    rejected = setup_role(scenario_dir, name, broken)
    assert rejected.returncode != 0
    assert "MalformedPolicyDocument" in rejected.stderr

    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    created = setup_role(scenario_dir, name, trust)
    assert created.returncode == 0, created.stderr
    role_arn = created.stdout.strip()
    assert role_arn == f"arn:aws:iam::123456789012:role/{name}"

    sts = aws.client("sts")
    sts.assume_role(RoleArn=role_arn, RoleSessionName="gen", ExternalId="generated-id")
    with pytest.raises(client_error()) as excinfo:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="gen", ExternalId="other")
    assert error_of(excinfo) == ("AccessDenied", 403)


# --- the AWS CLI as an independent client -----------------------------------


def run_cli(
    aws_cli: str, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [aws_cli, *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_cli_assumes_role_reads_but_cannot_write(
    aws_cli: str, cli_env: Any, aws: Any, scenario: dict[str, Any], tmp_path: Any
) -> None:
    assumed = run_cli(
        aws_cli, cli_env(aws.partner),
        "sts", "assume-role",
        "--role-arn", scenario["role_arn"],
        "--role-session-name", "e2e-cli",
        "--external-id", scenario["external_id"],
        "--output", "json",
    )  # fmt: skip
    assert assumed.returncode == 0, assumed.stderr
    session = cli_env(json.loads(assumed.stdout)["Credentials"])
    url = f"s3://{scenario['bucket']}"

    read = run_cli(aws_cli, session, "s3", "cp", f"{url}/{scenario['key']}", "-")
    assert read.returncode == 0, read.stderr
    assert read.stdout == scenario["body"]

    local = tmp_path / "somefile"
    local.write_text("must not land\n")
    write = run_cli(aws_cli, session, "s3", "cp", str(local), f"{url}/x")
    assert write.returncode != 0
    assert "AccessDenied" in write.stderr


def test_cli_wrong_external_id_is_denied(
    aws_cli: str, cli_env: Any, aws: Any, scenario: dict[str, Any]
) -> None:
    denied = run_cli(
        aws_cli, cli_env(aws.partner),
        "sts", "assume-role",
        "--role-arn", scenario["role_arn"],
        "--role-session-name", "e2e-cli",
        "--external-id", WRONG_EXTERNAL_ID,
    )  # fmt: skip
    assert denied.returncode != 0
    assert "AccessDenied" in denied.stderr
