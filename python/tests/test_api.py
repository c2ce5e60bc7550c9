"""The public API: validation, types, errors, lifecycle (against the Python STS double)."""

from __future__ import annotations

import copy
import datetime
import pickle
from pathlib import Path
from typing import Any, Callable

import pytest
from sts_double import ROLE_ARN, SENTINEL_SECRET, SENTINEL_TOKEN, StsDouble

import cross_account
from cross_account import (
    AccessDeniedError,
    CrossAccountError,
    CrossAccountSession,
    InvalidParameterError,
    NoSourceCredentialsError,
    RoleArn,
    Secret,
    SessionClosedError,
    ThrottledError,
)

GOOD = "arn:aws:iam::123456789012:role/DemoRole"


def test_all_is_complete_and_documented() -> None:
    for name in cross_account.__all__:
        obj = getattr(cross_account, name)
        if name != "__version__":
            assert obj.__doc__, f"{name} has no docstring"
    public = {n for n in dir(CrossAccountSession) if not n.startswith("_")}
    for name in public:
        assert getattr(CrossAccountSession, name).__doc__, f"CrossAccountSession.{name}"
    for cls in (cross_account.Credentials, Secret, RoleArn):
        for name in (n for n in dir(cls) if not n.startswith("_")):
            assert getattr(cls, name).__doc__, f"{cls.__name__}.{name}"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role_arn": "arn:aws:iam::12345:role/x"}, "role_arn"),
        ({"role_arn": "not an arn"}, "role_arn"),
        ({"role_arn": "arn:aws:iam::123456789012:user/alice"}, "role_arn"),
        ({"external_id": "x"}, "external_id"),
        ({"external_id": "has space"}, "external_id"),
        ({"session_name": "a b"}, "session_name"),
        ({"duration_seconds": 60}, "duration_seconds"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": 43201}, "duration_seconds"),
        ({"region": "EU WEST"}, "region"),
        ({"endpoint_url": "ftp://x"}, "endpoint_url"),
        ({"profile": "[bad]"}, "profile"),
        ({"policy": "not json"}, "policy"),
        ({"policy_arns": ["nope"]}, "policy_arns"),
        ({"tags": {"a": "1", "A": "2"}}, "tags"),
        ({"tags": {"team": "x"}, "transitive_tag_keys": ["other"]}, "transitive_tag_keys"),
        ({"source_identity": "a b c"}, "source_identity"),
        ({"mfa_serial": "short", "mfa_token_provider": lambda: "123456"}, "mfa_serial"),
        ({"mfa_serial": "arn:aws:iam::123456789012:mfa/alice"}, "mfa_token_provider"),
        ({"mfa_token_provider": lambda: "123456"}, "mfa_serial"),
    ],
)
def test_every_parameter_is_validated_up_front(kwargs: dict[str, Any], field: str) -> None:
    kwargs = dict(kwargs)
    role_arn = kwargs.pop("role_arn", GOOD)
    kwargs.setdefault("endpoint_url", "http://127.0.0.1:9")
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession(role_arn, **kwargs)
    assert err.value.field == field
    assert isinstance(err.value, ValueError)
    assert isinstance(err.value, CrossAccountError)
    assert str(err.value).startswith(f"invalid {field}:")


def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        CrossAccountSession(GOOD, policy_arns="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(TypeError):
        CrossAccountSession(GOOD, tags=[("a", "b")])
    with pytest.raises(TypeError):
        CrossAccountSession(GOOD, mfa_serial="GAHT12345678", mfa_token_provider="123456")
    with pytest.raises(TypeError):
        CrossAccountSession(GOOD, "ExternalId123", "positional-session-name")  # type: ignore[misc]


def test_construction_does_no_io(double: StsDouble, make_session: Callable[..., Any]) -> None:
    s = make_session(
        external_id="ExternalId123",
        duration_seconds=900,
        tags={"team": "data"},
        transitive_tag_keys=["team"],
        policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        source_identity="alice",
    )
    assert double.calls == 0
    status = s.status()
    assert status["sts_calls"] == 0 and status["expiration"] is None
    assert s.duration_seconds == 900 and s.session_name == "pytest"
    assert s.role_arn == RoleArn(ROLE_ARN)
    assert s.region == "us-east-1" and s.endpoint_url == double.url


def test_credentials_shape_and_request(double: StsDouble, make_session: Callable[..., Any]) -> None:
    s = make_session(external_id="ExternalId123", duration_seconds=900, tags={"team": "data"})
    c = s.credentials()
    assert c.access_key_id == "ASIADOUBLE00000001"
    assert isinstance(c.secret_access_key, Secret) and isinstance(c.session_token, Secret)
    assert c.secret_access_key.expose_secret() == f"{SENTINEL_SECRET}-1"
    assert c.session_token.expose_secret() == f"{SENTINEL_TOKEN}-1"
    assert c.expiration.tzinfo is not None and c.expiration.utcoffset() == datetime.timedelta(0)
    remaining = c.expiration - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=800) < remaining <= datetime.timedelta(seconds=900)
    assert c.account_id == "123456789012"
    assert c.assumed_role_arn.startswith("arn:aws:sts::123456789012:assumed-role/")
    env = c.to_env()
    assert env["AWS_ACCESS_KEY_ID"] == c.access_key_id
    assert env["AWS_SECRET_ACCESS_KEY"] == f"{SENTINEL_SECRET}-1"
    assert env["AWS_SESSION_TOKEN"] == f"{SENTINEL_TOKEN}-1"
    assert env["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")
    req = double.requests[0]
    assert req["Action"] == "AssumeRole" and req["RoleArn"] == ROLE_ARN
    assert req["ExternalId"] == "ExternalId123" and req["DurationSeconds"] == "900"
    assert req["RoleSessionName"] == "pytest"
    assert req["Tags.member.1.Key"] == "team"
    # Cached: no second call, the same credentials.
    assert s.credentials().access_key_id == c.access_key_id
    assert double.calls == 1


def test_status_invalidate_and_close(double: StsDouble, make_session: Callable[..., Any]) -> None:
    s = make_session()
    s.credentials()
    st = s.status()
    assert st["sts_calls"] == 1 and st["consecutive_failures"] == 0
    assert st["last_error"] is None and st["last_error_kind"] is None
    assert st["refresh_count"] == 0 and st["background_task_running"] is True
    assert st["expiration"] > st["next_refresh"] > st["last_refresh"]
    s.invalidate()
    assert s.credentials().access_key_id == "ASIADOUBLE00000002"
    assert s.status()["refresh_count"] == 1
    s.close()
    s.close()  # idempotent
    assert s.closed
    for call in (s.credentials, s.status, s.invalidate):
        with pytest.raises(SessionClosedError):
            call()


def test_context_manager_closes(make_session: Callable[..., Any]) -> None:
    with make_session() as s:
        assert s.credentials().access_key_id
    assert s.closed
    with pytest.raises(SessionClosedError) as err:
        s.credentials()
    assert isinstance(err.value, CrossAccountError)


def test_access_denied_and_throttling_map_to_classes(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.mode = "access_denied"
    with pytest.raises(AccessDeniedError) as denied:
        make_session(external_id="ExternalId123").credentials()
    e = denied.value
    assert e.role_arn == ROLE_ARN and e.request_id == "req-1" and not e.retryable
    assert (
        "13 characters" in e.hint and "ExternalId123" not in e.hint
    )  # the external ID's length, never its value
    assert "not authorized" in (e.sts_message or "")
    double.mode = "throttle"
    with pytest.raises(ThrottledError) as throttled:
        make_session().credentials()
    assert throttled.value.retryable and throttled.value.kind == "throttled"


def test_no_source_credentials(
    double: StsDouble,
    make_session: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing anywhere in the default chain: empty shared files, no keys, no IMDS.
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(NoSourceCredentialsError):
        make_session().credentials()
    assert double.calls == 0


def test_an_unknown_profile_is_refused_at_construction(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    # As boto3.Session(profile_name=...) raises ProfileNotFound.
    with pytest.raises(InvalidParameterError) as err:
        make_session(profile="no-such-profile")
    assert err.value.field == "profile"
    assert double.calls == 0


def test_mfa_callback_is_asked_at_each_call(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    codes = iter(["123456", "654321"])
    s = make_session(
        mfa_serial="arn:aws:iam::111111111111:mfa/alice", mfa_token_provider=lambda: next(codes)
    )
    s.credentials()
    s.invalidate()
    s.credentials()
    assert [r["TokenCode"] for r in double.requests] == ["123456", "654321"]
    assert double.requests[0]["SerialNumber"] == "arn:aws:iam::111111111111:mfa/alice"


def test_mfa_callback_failure_is_invalid_parameter(make_session: Callable[..., Any]) -> None:
    def broken() -> str:
        raise RuntimeError("no device attached")

    s = make_session(mfa_serial="arn:aws:iam::111111111111:mfa/alice", mfa_token_provider=broken)
    with pytest.raises(InvalidParameterError) as err:
        s.credentials()
    assert err.value.field == "mfa_token_provider"
    assert "no device attached" in str(err.value)


def test_role_chaining_signs_with_the_first_role(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    first = make_session(role_arn="arn:aws:iam::111111111111:role/Hop")
    second = make_session(source_session=first, duration_seconds=7200)
    assert second.duration_seconds == 3600  # chained sessions are clamped to 1 hour
    second.credentials()
    assert [r["RoleArn"] for r in double.requests] == [
        "arn:aws:iam::111111111111:role/Hop",
        ROLE_ARN,
    ]
    assert double.requests[0]["_signed_by"] == "AKIADUMMYSOURCEKEY01"
    assert double.requests[1]["_signed_by"] == "ASIADOUBLE00000001"


def test_role_arn() -> None:
    arn = RoleArn("arn:aws-cn:iam::123456789012:role/team/data/Reader")
    assert (arn.partition, arn.account_id, arn.path, arn.role_name) == (
        "aws-cn",
        "123456789012",
        "/team/data/",
        "Reader",
    )
    assert str(arn) == "arn:aws-cn:iam::123456789012:role/team/data/Reader"
    assert repr(arn) == "RoleArn('arn:aws-cn:iam::123456789012:role/team/data/Reader')"
    assert RoleArn.parse(str(arn)) == arn and hash(RoleArn.parse(str(arn))) == hash(arn)
    assert pickle.loads(pickle.dumps(arn)) == arn
    with pytest.raises(InvalidParameterError) as err:
        RoleArn("arn:aws:iam::123456789012:user/alice")
    assert err.value.field == "role_arn"


def test_generate_external_id() -> None:
    ids = {cross_account.generate_external_id() for _ in range(100)}
    assert len(ids) == 100
    for i in ids:
        assert len(i) == 32 and i.isalnum()
        CrossAccountSession(GOOD, i)  # valid by the core's own rule


def test_secret_is_redacted_and_refuses_pickle_and_copy() -> None:
    s = Secret("hunter2")
    assert repr(s) == "Secret('**********')"
    assert str(s) == "**********" and f"{s}" == "**********" and f"{s:>12}" == "  **********"
    assert "%s %r" % (s, s) == "********** Secret('**********')"  # noqa: UP031
    assert s.expose_secret() == "hunter2"
    assert s == Secret("hunter2") and s != Secret("other") and s != "hunter2"
    with pytest.raises(TypeError, match="cannot be pickled or copied"):
        pickle.dumps(s)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError):
            pickle.dumps(s, protocol=proto)
    with pytest.raises(TypeError, match="cannot be pickled or copied"):
        copy.copy(s)
    with pytest.raises(TypeError, match="cannot be pickled or copied"):
        copy.deepcopy(s)
    with pytest.raises(TypeError):
        hash(s)


def test_credentials_refuse_pickle_session_too(make_session: Callable[..., Any]) -> None:
    s = make_session()
    c = s.credentials()
    with pytest.raises(TypeError, match="cannot be pickled or copied"):
        pickle.dumps(c)
    with pytest.raises(TypeError, match="cannot be pickled or copied"):
        pickle.dumps({"nested": [c]})
    assert copy.copy(c) is c and copy.deepcopy(c) is c
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_exceptions_pickle_with_their_details() -> None:
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession("arn:aws:iam::1:role/x")
    back = pickle.loads(pickle.dumps(err.value))
    assert type(back) is InvalidParameterError
    assert back.field == "role_arn" and str(back) == str(err.value)
