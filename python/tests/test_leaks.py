"""Sentinel secrets from the STS double never appear in repr, str, f-strings, logs or tracebacks."""

from __future__ import annotations

import io
import logging
import pprint
import traceback
from typing import Any, Callable

import pytest
from sts_double import SENTINEL_SECRET, SENTINEL_TOKEN, StsDouble

SENTINELS = ("SENTINEL-SECRET", "SENTINEL-TOKEN", SENTINEL_SECRET[16:], SENTINEL_TOKEN[15:])


def assert_clean(text: str) -> None:
    for s in SENTINELS:
        assert s not in text, f"secret leaked: {text!r}"


def test_no_secret_in_any_rendering(double: StsDouble, make_session: Callable[..., Any]) -> None:
    session = make_session()
    creds = session.credentials()
    secret, token = creds.secret_access_key, creds.session_token
    assert secret.expose_secret().startswith(SENTINEL_SECRET)  # the sentinel is really there
    for obj in (creds, secret, token, session, [creds], {"c": creds}, (secret, token)):
        assert_clean(repr(obj))
        assert_clean(str(obj))
        assert_clean(f"{obj}")
        assert_clean(f"{obj!r}")
        assert_clean("%s %r" % (obj, obj))  # noqa: UP031
        assert_clean("{} {!r}".format(obj, obj))  # noqa: UP032
        assert_clean(pprint.pformat(obj))
    for obj in (creds, secret, token):
        assert_clean(format(obj, ""))
        assert_clean(format(obj, "^80"))
    assert_clean(str(session.status()))
    assert creds.access_key_id in repr(creds)
    assert "expiration=" in repr(creds)


def test_no_secret_in_logging(
    double: StsDouble, make_session: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        session = make_session()
        creds = session.credentials()
        log = logging.getLogger("app")
        log.debug("creds %s", creds)
        log.info("creds %r secret %s token %r", creds, creds.secret_access_key, creds.session_token)
        log.warning("dict %s", {"creds": creds, "secret": creds.secret_access_key})
        log.error(f"f-string {creds} {creds.secret_access_key} {creds.session_token!r}")
        # botocore's DEBUG logs while reading the session's credentials (no request is signed
        # here; signed requests and the redaction filter are in test_logging.py).
        frozen = session.botocore_credentials().get_frozen_credentials()
        assert frozen.secret_key.startswith(SENTINEL_SECRET)
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    text = stream.getvalue() + caplog.text
    assert "creds Credentials(access_key_id=" in text
    assert_clean(text)


def test_no_secret_in_tracebacks(double: StsDouble, make_session: Callable[..., Any]) -> None:
    session = make_session()
    creds = session.credentials()
    secret = creds.secret_access_key

    def fails(c: Any, s: Any) -> None:
        raise RuntimeError(f"while using {c} with {s}")

    try:
        fails(creds, secret)
    except RuntimeError:
        text = traceback.format_exc()
        te = traceback.TracebackException.from_exception(
            __import__("sys").exc_info()[1], capture_locals=True
        )
        text += "".join(te.format())
    assert "RuntimeError: while using Credentials(" in text
    assert_clean(text)


def test_no_secret_in_errors(double: StsDouble, make_session: Callable[..., Any]) -> None:
    session = make_session(external_id="ExternalId123")
    session.credentials()
    double.mode = "access_denied"
    session.invalidate()
    from cross_account import AccessDeniedError

    with pytest.raises(AccessDeniedError) as err:
        session.credentials()
    assert_clean(str(err.value))
    assert_clean(repr(err.value.__dict__))
    e = err.value
    assert_clean("".join(traceback.format_exception(type(e), e, e.__traceback__)))
