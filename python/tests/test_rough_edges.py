"""The rough edges a Python data engineer found in 0.1, each pinned by a test.

They run against the Python STS double.
"""

from __future__ import annotations

import asyncio
import inspect
import pickle
import pydoc
import subprocess
import sys
import threading
import warnings
from typing import Any, Callable

import pytest
from sts_double import ROLE_ARN, StsDouble

import cross_account
from cross_account import (
    AccessDeniedError,
    CredentialsTimeoutError,
    CrossAccountError,
    CrossAccountSession,
    InvalidParameterError,
    RoleArn,
    SessionClosedError,
    SessionSpec,
)

GOOD = "arn:aws:iam::123456789012:role/DemoRole"
WAIT_S = 10.0  # the most any wake-up below may take before the test fails


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    done = threading.Event()
    for _ in range(int(WAIT_S / 0.01)):
        if predicate():
            return
        done.wait(0.01)
    pytest.fail(f"timed out waiting for {what}")


# --- timeout= ------------------------------------------------------------------------------


def test_credentials_timeout_gives_up_without_cancelling_the_call(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.mode = "hang"
    s = make_session()
    with pytest.raises(CredentialsTimeoutError) as err:
        s.credentials(timeout=0.2)
    assert isinstance(err.value, TimeoutError) and isinstance(err.value, CrossAccountError)
    assert err.value.retryable and err.value.kind == "timeout"
    assert err.value.role_arn == ROLE_ARN
    # The STS call went on; once it answers, its outcome serves the next read.
    double.mode = "ok"
    double.release()
    assert s.credentials(timeout=WAIT_S).access_key_id == "ASIADOUBLE00000001"
    assert double.calls == 1


def test_credentials_async_timeout(double: StsDouble, make_session: Callable[..., Any]) -> None:
    double.mode = "hang"
    s = make_session()

    async def main() -> None:
        with pytest.raises(CredentialsTimeoutError):
            await s.credentials_async(timeout=0.2)

    asyncio.run(main())
    double.mode = "ok"
    double.release()
    assert s.credentials(timeout=WAIT_S).access_key_id == "ASIADOUBLE00000001"


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_timeout_must_be_positive_and_finite(make_session: Callable[..., Any], bad: float) -> None:
    s = make_session()
    with pytest.raises(InvalidParameterError) as err:
        s.credentials(timeout=bad)
    assert err.value.field == "timeout"


@pytest.mark.parametrize("bad", [True, "1", [1]])
def test_timeout_type_errors_name_it(make_session: Callable[..., Any], bad: Any) -> None:
    with pytest.raises(TypeError, match=r"^timeout must be"):
        make_session().credentials(timeout=bad)


# --- close() wakes readers -------------------------------------------------------------------


def test_close_wakes_a_blocked_reader(double: StsDouble, make_session: Callable[..., Any]) -> None:
    double.mode = "hang"
    s = make_session()
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            s.credentials()
        except BaseException as e:
            outcome.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    wait_for(lambda: double.calls == 1, "the AssumeRole call")
    s.close()
    reader.join(WAIT_S)
    assert not reader.is_alive(), "close() did not wake the reader"
    assert len(outcome) == 1 and isinstance(outcome[0], SessionClosedError), outcome
    double.release()


def test_close_wakes_an_awaiting_reader(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    double.mode = "hang"
    s = make_session()

    async def main() -> None:
        task = asyncio.ensure_future(s.credentials_async())
        for _ in range(int(WAIT_S / 0.01)):
            if double.calls == 1:
                break
            await asyncio.sleep(0.01)
        s.close()
        with pytest.raises(SessionClosedError):
            await asyncio.wait_for(task, WAIT_S)

    asyncio.run(main())
    double.release()


# --- argument types and values ---------------------------------------------------------------


def _mfa() -> str:
    return "123456"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"role_arn": 123}, "role_arn"),
        ({"external_id": 1}, "external_id"),
        ({"session_name": 1}, "session_name"),
        ({"duration_seconds": "900"}, "duration_seconds"),
        ({"duration_seconds": 900.0}, "duration_seconds"),
        ({"duration_seconds": True}, "duration_seconds"),
        ({"region": 1}, "region"),
        ({"endpoint_url": b"http://127.0.0.1:9"}, "endpoint_url"),
        ({"profile": 1}, "profile"),
        ({"policy": {}}, "policy"),
        ({"policy_arns": 5}, "policy_arns"),
        ({"policy_arns": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "policy_arns"),
        ({"policy_arns": [1]}, "policy_arns"),
        ({"tags": [("a", "b")]}, "tags"),
        ({"tags": {"a": 1}}, "tags"),
        ({"tags": {1: "a"}}, "tags"),
        ({"transitive_tag_keys": "team"}, "transitive_tag_keys"),
        ({"source_identity": 1}, "source_identity"),
        ({"mfa_serial": 1, "mfa_token_provider": _mfa}, "mfa_serial"),
        ({"mfa_serial": "GAHT12345678", "mfa_token_provider": "123456"}, "mfa_token_provider"),
        ({"auto_refresh": "yes"}, "auto_refresh"),
        ({"source_session": "not a session"}, "source_session"),
    ],
)
def test_type_errors_name_the_argument(kwargs: dict[str, Any], name: str) -> None:
    kwargs = dict(kwargs)
    role_arn = kwargs.pop("role_arn", GOOD)
    with pytest.raises(TypeError) as err:
        CrossAccountSession(role_arn, **kwargs)
    assert name in str(err.value), str(err.value)


def test_huge_duration_is_invalid_parameter_not_overflow() -> None:
    for huge in (10**30, -(10**30), 2**64):
        with pytest.raises(InvalidParameterError) as err:
            CrossAccountSession(GOOD, duration_seconds=huge)
        assert err.value.field == "duration_seconds"
        assert "900 to 43200" in str(err.value) and str(huge) in str(err.value)


def test_bool_duration_is_refused() -> None:
    with pytest.raises(TypeError, match="duration_seconds"):
        CrossAccountSession(GOOD, duration_seconds=True)
    assert CrossAccountSession(GOOD, duration_seconds=900).duration_seconds == 900


def test_role_arn_keyword_takes_a_role_arn() -> None:
    assert CrossAccountSession(RoleArn(GOOD)).role_arn == GOOD


# --- MFA callback exception as __cause__ -------------------------------------------------------


def test_mfa_callback_exception_is_the_cause(make_session: Callable[..., Any]) -> None:
    raised: list[BaseException] = []

    def broken() -> str:
        e = LookupError("no device attached")
        raised.append(e)
        raise e

    s = make_session(mfa_serial="arn:aws:iam::111111111111:mfa/alice", mfa_token_provider=broken)
    with pytest.raises(InvalidParameterError) as err:
        s.credentials()
    assert err.value.field == "mfa_token_provider"
    assert err.value.__cause__ is raised[0]
    assert "LookupError: no device attached" in str(err.value)


# --- RoleArn equals its str ----------------------------------------------------------------------


def test_role_arn_equals_its_str() -> None:
    s = CrossAccountSession(GOOD)
    assert s.role_arn == GOOD
    assert s.role_arn == GOOD
    assert s.role_arn != "arn:aws:iam::123456789012:role/Other"
    assert s.role_arn == RoleArn(GOOD)
    assert hash(s.role_arn) == hash(GOOD)
    assert {GOOD: 1}[s.role_arn] == 1
    assert s.role_arn != 42


# --- the chaining clamp warns ----------------------------------------------------------------


def test_chaining_clamp_warns(make_session: Callable[..., Any]) -> None:
    first = make_session(role_arn="arn:aws:iam::111111111111:role/Hop")
    with pytest.warns(UserWarning, match=r"role chaining limits sessions to 3600 s"):
        second = make_session(source_session=first, duration_seconds=7200)
    assert second.duration_seconds == 3600
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_session(source_session=first, duration_seconds=3600)
        make_session(duration_seconds=7200)  # not chained: no clamp


# --- import hints name real packages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "hidden", "package"),
    [
        ("cross_account._boto3", "botocore", "boto3"),
        ("cross_account._aio", "aiobotocore", "aiobotocore"),
    ],
)
def test_import_error_hint_names_an_installable_package(
    module: str, hidden: str, package: str
) -> None:
    code = (
        f"import sys; sys.modules[{hidden!r}] = None\n"
        f"try:\n    import {module}\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert f"pip install {package}" in out, out
    # The package named is the real one (installed here from the package index by pip).
    from importlib.metadata import distribution

    assert distribution(package).metadata["Name"].lower() == package


# --- docstrings that help() shows ----------------------------------------------------------------


def test_help_shows_every_keyword_and_method() -> None:
    text = pydoc.render_doc(CrossAccountSession, renderer=pydoc.plaintext)
    keywords = list(inspect.signature(CrossAccountSession).parameters)
    assert len(keywords) == 17, keywords
    for name in keywords:
        assert f"{name}:" in text, f"help(CrossAccountSession) does not describe {name}"
    for name in (n for n in dir(CrossAccountSession) if not n.startswith("_")):
        doc = getattr(CrossAccountSession, name).__doc__
        assert doc and doc.strip(), f"CrossAccountSession.{name} has no docstring"
        assert doc.strip().splitlines()[0] in text, f"help() does not show {name}"
    for method, kws in {
        "credentials": ["timeout"],
        "credentials_async": ["timeout"],
        "from_spec": ["spec", "mfa_token_provider", "auto_refresh"],
        "boto3_session": ["region_name"],
        "aiobotocore_session": ["region_name"],
        "aioboto3_session": ["region_name"],
    }.items():
        doc = getattr(CrossAccountSession, method).__doc__
        for kw in kws:
            assert f"{kw}:" in doc, f"{method}'s docstring does not describe {kw}"


def test_every_keyword_help_shows_is_one_the_constructor_takes() -> None:
    # help() shows a written text signature; the constructor parses **keywords (keywords.rs).
    # Each keyword shown is taken (given as None: its default), and a misspelt one is refused.
    params = inspect.signature(CrossAccountSession).parameters
    shown = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
    CrossAccountSession(ROLE_ARN, **dict.fromkeys(shown)).close()
    with pytest.raises(TypeError, match="unexpected keyword argument 'regoin'"):
        CrossAccountSession(ROLE_ARN, regoin="us-east-1")


def test_every_public_name_is_documented() -> None:
    for name in cross_account.__all__:
        if name == "__version__":
            continue
        obj = getattr(cross_account, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
        assert obj.__doc__.strip().splitlines()[0] in pydoc.render_doc(
            obj, renderer=pydoc.plaintext
        )
        if inspect.isclass(obj):
            for attr in (a for a in vars(obj) if not a.startswith("_")):
                member = getattr(obj, attr)
                if callable(member) or isinstance(inspect.getattr_static(obj, attr), property):
                    assert member.__doc__, f"{name}.{attr}"
        if inspect.isfunction(obj):
            for kw in inspect.signature(obj).parameters:
                assert kw in obj.__doc__, f"{name}'s docstring does not mention {kw}"


# --- status() is typed -----------------------------------------------------------------------


def test_status_matches_its_typed_dict(make_session: Callable[..., Any]) -> None:
    import typing

    s = make_session()
    s.credentials()
    status = s.status()
    hints = typing.get_type_hints(cross_account.SessionStatus)
    assert set(status) == set(hints)
    for key, hint in hints.items():
        allowed = typing.get_args(hint) or (hint,)
        assert isinstance(status[key], allowed), (key, status[key], hint)


# --- invalidate() while STS is down ------------------------------------------------------------


def test_invalidate_while_sts_is_down_keeps_serving_valid_credentials(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    s = make_session(auto_refresh=False)
    held = s.credentials().access_key_id
    double.mode = "throttle"
    s.invalidate()
    assert s.credentials().access_key_id == held  # the held ones, still valid
    calls = double.calls
    assert calls >= 2, "invalidate() did not try STS again"
    assert s.status()["last_error_kind"] == "throttled"
    # botocore clients keep signing with them too.
    assert s.botocore_credentials().get_frozen_credentials().access_key == held


def test_invalidate_after_a_refusal_does_not_serve_held_credentials(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    s = make_session(auto_refresh=False)
    s.credentials()
    double.mode = "access_denied"
    s.invalidate()
    with pytest.raises(AccessDeniedError):
        s.credentials()


# --- errors inside botocore calls are botocore exceptions ---------------------------------------


def test_errors_inside_botocore_calls_are_botocore_exceptions(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    import botocore.exceptions

    double.mode = "access_denied"
    s = make_session()
    client = s.boto3_session().client("s3", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(botocore.exceptions.BotoCoreError) as err:
        client.list_buckets()
    e = err.value
    assert isinstance(e, botocore.exceptions.CredentialRetrievalError)
    assert isinstance(e, AccessDeniedError) and isinstance(e, CrossAccountError)
    assert e.code == "AccessDenied" and e.role_arn == ROLE_ARN
    assert "AssumeRole" in str(e) or "not authorized" in str(e)
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is type(e) and again.code == "AccessDenied"


def test_no_source_credentials_is_botocore_no_credentials(
    make_session: Callable[..., Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.exceptions

    # Nothing anywhere in the default chain: empty shared files, no keys, no IMDS.
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    s = make_session()
    client = s.boto3_session().client("s3", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(botocore.exceptions.NoCredentialsError) as err:
        client.list_buckets()
    assert isinstance(err.value, cross_account.NoSourceCredentialsError)


# --- boto3_session() reuses the loader ---------------------------------------------------------


def test_boto3_sessions_share_one_loader_and_credentials(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    s = make_session()
    sessions = [s.boto3_session() for _ in range(3)]
    loaders = {id(b._session.get_component("data_loader")) for b in sessions}
    assert len(loaders) == 1
    creds = {id(b._session.get_credentials()) for b in sessions}
    assert len(creds) == 1
    paths = sessions[0]._session.get_component("data_loader").search_paths
    assert len(paths) == len(set(paths))
    for b in sessions:  # every one still makes working clients
        sts = b.client("sts", endpoint_url=double.url, region_name="us-east-1")
        assert sts.get_caller_identity()["Account"] == "111111111111"
    assert double.calls == 1
    # botocore's built-in handlers (copied, not re-registered) and boto3's injections work.
    s3 = sessions[2].client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
    assert hasattr(s3, "upload_file") and hasattr(s3, "download_fileobj")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert "x-amz-security-token=" in url.lower() and "ASIADOUBLE00000001" in url


# --- spec() / session_for() ----------------------------------------------------------------------


def test_spec_round_trips_every_option_without_secrets(make_session: Callable[..., Any]) -> None:
    first = make_session(role_arn="arn:aws:iam::111111111111:role/Hop", external_id="HopId1234")
    s = make_session(
        external_id="ExternalId123",
        duration_seconds=900,
        policy='{"Version":"2012-10-17","Statement":[]}',
        policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        tags={"team": "data"},
        transitive_tag_keys=["team"],
        source_identity="alice",
        source_session=first,
    )
    s.credentials()
    spec = s.spec()
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec and hash(again) == hash(spec)
    assert SessionSpec.from_json(spec.to_json()) == spec
    text = spec.to_json()
    for value in ("ExternalId123", "HopId1234", "alice", "team", "900", "Hop", "127.0.0.1"):
        assert value in text
    creds = s.credentials()
    assert creds.secret_access_key.expose_secret() not in text
    assert creds.session_token.expose_secret() not in text
    assert "ExternalId123" not in repr(spec)
    rebuilt = CrossAccountSession.from_spec(again)
    assert rebuilt.spec() == spec
    assert rebuilt.credentials().access_key_id.startswith("ASIADOUBLE")


def test_spec_refuses_unknown_fields() -> None:
    with pytest.raises(InvalidParameterError) as err:
        SessionSpec.from_json('{"role_arn": "x", "externalid": "y"}')
    assert "externalid" in str(err.value)


def test_session_for_is_one_per_spec(make_session: Callable[..., Any]) -> None:
    spec = make_session().spec()
    got: list[CrossAccountSession] = []
    threads = [
        threading.Thread(target=lambda: got.append(cross_account.session_for(spec)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    assert len({id(g) for g in got}) == 1
    got[0].close()
    assert cross_account.session_for(spec) is not got[0]  # a closed one is replaced
    with pytest.raises(TypeError, match="spec must be a SessionSpec"):
        cross_account.session_for("arn:aws:iam::123456789012:role/DemoRole")  # type: ignore[arg-type]


def test_session_for_needs_the_mfa_callable_for_an_mfa_spec(
    double: StsDouble, make_session: Callable[..., Any]
) -> None:
    spec = make_session(
        mfa_serial="arn:aws:iam::111111111111:mfa/alice", mfa_token_provider=_mfa
    ).spec()
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession.from_spec(spec)
    assert err.value.field == "mfa_token_provider"
    s = CrossAccountSession.from_spec(spec, mfa_token_provider=_mfa)
    s.credentials()
    assert double.requests[-1]["TokenCode"] == "123456"


def test_credential_source_keyword_maps_onto_the_options() -> None:
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession(GOOD, credential_source="Ec2")
    assert err.value.field == "credential_source"
    spec = CrossAccountSession(GOOD, credential_source="Environment").spec()
    assert '"credential_source":"Environment"' in spec.to_json()
    assert CrossAccountSession.from_spec(spec).spec() == spec
