"""Fixtures: an isolated AWS environment, the Python STS double, and the moto scenario.

Source credentials come from a throwaway shared-credentials file, never from the user's
~/.aws or environment: profile ``default`` holds dummy keys (the STS double accepts any
signature) and profile ``partner`` the moto scenario's partner keys once the scenario starts.

The moto scenario is the one named by CROSS_ACCOUNT_TEST_SCENARIO (exported by
scripts/with-local-sts); otherwise a private moto server is started for the session with
tests/support/local_sts.py. Without moto the end-to-end tests skip, except under CI=true,
where they fail.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from sts_double import ROLE_ARN, StsDouble  # noqa: E402

REPO = TESTS.parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
# The shared local-STS fixture; importing it into this conftest registers it with pytest.
from aws_env import isolated_aws_env, use_in_this_process  # noqa: E402
from scenario_fixture import scenario_path_fixture, unavailable  # noqa: E402, F401

REGION = "us-east-1"

_AWS_HOME = Path(tempfile.mkdtemp(prefix="cross-account-py-aws-"))
CREDENTIALS_FILE = _AWS_HOME / "credentials"
CONFIG_FILE = _AWS_HOME / "config"


def pytest_configure(config: pytest.Config) -> None:
    # Before any session exists: the Rust SDK reads these when it first calls STS.
    use_in_this_process(
        isolated_aws_env(
            _AWS_HOME,
            region=REGION,
            config=f"[default]\nregion = {REGION}\n",
            credentials="[default]\n"
            "aws_access_key_id = AKIADUMMYSOURCEKEY01\n"
            "aws_secret_access_key = dummy-source-secret\n",
        )
    )


# --- the STS double -------------------------------------------------------------------


@pytest.fixture
def double() -> Iterator[StsDouble]:
    d = StsDouble()
    yield d
    d.close()


@pytest.fixture
def make_session(double: StsDouble) -> Iterator[Callable[..., Any]]:
    """Sessions against the double; closed after the test."""
    import cross_account

    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("endpoint_url", double.url)
        kw.setdefault("region", REGION)
        kw.setdefault("session_name", "pytest")
        s = cross_account.CrossAccountSession(kw.pop("role_arn", ROLE_ARN), **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


# --- the moto scenario ------------------------------------------------------------------


@pytest.fixture(scope="session")
def scenario(scenario_path: Path) -> dict[str, Any]:
    """The moto scenario; its partner keys become profile ``partner``."""
    data = dict(json.loads(scenario_path.read_text()))
    with CREDENTIALS_FILE.open("a") as f:
        f.write(
            "[partner]\n"
            f"aws_access_key_id = {data['partner_access_key_id']}\n"
            f"aws_secret_access_key = {data['partner_secret_access_key']}\n"
        )
    return data


@pytest.fixture
def moto_session(scenario: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """Sessions against moto signed with the partner's keys; closed after the test."""
    import cross_account

    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("external_id", scenario["external_id"])
        kw.setdefault("endpoint_url", scenario["endpoint_url"])
        kw.setdefault("region", scenario["region"])
        kw.setdefault("profile", "partner")
        s = cross_account.CrossAccountSession(kw.pop("role_arn", scenario["role_arn"]), **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()
