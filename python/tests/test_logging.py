"""The core's tracing events in Python logging, and the botocore log redaction filter."""

from __future__ import annotations

import logging
from typing import Any, Callable

import pytest
from sts_double import ROLE_ARN, SENTINEL_SECRET, SENTINEL_TOKEN, StsDouble

import cross_account
from cross_account import AccessDeniedError, _native
from cross_account._redact import BOTOCORE_LOGGERS, BotocoreSecretsFilter


def records_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    assert _native._flush_logs(10.0), "the log records were not delivered"
    return [r for r in caplog.records if r.name.startswith("cross_account")]


def assert_no_secret(records: list[logging.LogRecord], *secrets: str) -> None:
    assert secrets
    for r in records:
        blob = r.getMessage() + repr(vars(r))
        for secret in secrets:
            assert secret not in blob, f"{secret[:12]}... in a {r.name} record"


def test_fetch_refresh_retry_failure_and_clamp_reach_logging_without_secrets(
    caplog: pytest.LogCaptureFixture, double: StsDouble, make_session: Callable[..., Any]
) -> None:
    caplog.set_level(5, logger="cross_account")  # TRACE and up
    s = make_session(auto_refresh=False)
    first = s.credentials()  # fetch
    s.invalidate()
    second = s.credentials()  # refresh
    double.mode = "throttle"
    s.invalidate()
    s.credentials()  # retry (the held ones are served)
    double.mode = "access_denied"
    with pytest.raises(AccessDeniedError):
        make_session(auto_refresh=False).credentials()  # failure
    with pytest.warns(UserWarning, match="role chaining"):
        make_session(source_session=s, duration_seconds=7200)  # clamp
    records = records_of(caplog)
    by_message = {r.getMessage().split(" (")[0]: r for r in records}

    assumed = [r for r in records if r.getMessage().startswith("assumed role")]
    assert len(assumed) == 2, [r.getMessage() for r in records]
    assert assumed[0].levelno == logging.INFO and assumed[0].name == "cross_account.refresh"
    fields = assumed[1].cross_account_fields  # type: ignore[attr-defined]
    assert fields["role_arn"] == ROLE_ARN and fields["refresh"] == "true"
    assert fields["access_key_id"] == second.access_key_id
    assert "invalidated" in by_message["credentials invalidated"].getMessage()
    retry = by_message["AssumeRole failed, will retry"]
    assert retry.levelno == logging.WARNING and "Rate exceeded" in retry.getMessage()
    refused = by_message["AssumeRole refused"]
    assert refused.levelno == logging.ERROR and "serving_held=false" in refused.getMessage()
    clamp = [r for r in records if r.name == "cross_account.clamp"]
    assert clamp and clamp[0].levelno == logging.WARNING
    assert "requested_secs=7200" in clamp[0].getMessage()

    secrets = [SENTINEL_SECRET, SENTINEL_TOKEN]
    for creds in (first, second):
        secrets += [creds.secret_access_key.expose_secret(), creds.session_token.expose_secret()]
    assert_no_secret(records, *secrets)


def test_nothing_is_logged_above_the_configured_level(
    caplog: pytest.LogCaptureFixture, make_session: Callable[..., Any]
) -> None:
    caplog.set_level(logging.WARNING, logger="cross_account")
    make_session().credentials()
    assert [r for r in records_of(caplog) if r.levelno < logging.WARNING] == []


# --- botocore's DEBUG logs -----------------------------------------------------------------


def _signed_call(double: StsDouble, session: Any) -> None:
    sts = session.client("sts", endpoint_url=double.url, region_name="us-east-1")
    assert sts.get_caller_identity()["Account"] == "111111111111"


def _remove_filter() -> None:
    for name in BOTOCORE_LOGGERS:
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, BotocoreSecretsFilter)]:
            logger.removeFilter(f)


def test_botocore_debug_logs_leak_the_token_unless_redacted(
    caplog: pytest.LogCaptureFixture, double: StsDouble
) -> None:
    import boto3

    token = SENTINEL_TOKEN + "-static"
    plain = boto3.Session(
        aws_access_key_id="ASIASTATICKEY0000001",
        aws_secret_access_key=SENTINEL_SECRET + "-static",
        aws_session_token=token,
    )
    _remove_filter()
    caplog.set_level(logging.DEBUG)
    _signed_call(double, plain)
    leaked = [r.name for r in caplog.records if token in r.getMessage()]
    # What SECURITY.md now says: botocore's DEBUG records show the session token.
    assert "botocore.endpoint" in leaked and "botocore.auth" in leaked, leaked

    caplog.clear()
    cross_account.redact_botocore_logs()
    _signed_call(double, plain)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("botocore")]
    assert any("<redacted>" in m for m in messages)
    for m in messages:
        assert token not in m
        assert "Credential=ASIASTATICKEY0000001" not in m
    auth = "\n".join(m for m in messages if "Signature" in m)
    assert "Signature=<redacted>" in auth or "Signature:\n<redacted>" in auth, auth


def test_boto3_session_installs_the_filter(
    caplog: pytest.LogCaptureFixture, double: StsDouble, make_session: Callable[..., Any]
) -> None:
    _remove_filter()
    s = make_session()
    b = s.boto3_session()
    caplog.set_level(logging.DEBUG)
    _signed_call(double, b)
    creds = s.credentials()
    for r in caplog.records:
        m = r.getMessage()
        assert creds.session_token.expose_secret() not in m
        assert creds.secret_access_key.expose_secret() not in m


def test_redact_covers_sts_response_bodies() -> None:
    from cross_account._redact import redact

    body = (
        "Response body:\nb'<Credentials><AccessKeyId>ASIA1</AccessKeyId>"
        "<SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>t0ken</SessionToken>'"
        ' {"SecretAccessKey": "s3cr3t2", "SessionToken": "t0ken2"}'
        " /bucket/key?X-Amz-Security-Token=t0ken3&X-Amz-Signature=abcdef0123"
        "&X-Amz-Credential=ASIA1%2F"
    )
    out = redact(body)
    for secret in ("s3cr3t", "t0ken", "abcdef0123", "ASIA1%2F"):
        assert secret not in out, out
    assert "<AccessKeyId>ASIA1</AccessKeyId>" in out  # the key id is not a secret
