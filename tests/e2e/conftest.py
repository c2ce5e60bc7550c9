"""Session-wide loopback STS scenario for the end-to-end tests.

Reuses the scenario named by CROSS_ACCOUNT_TEST_SCENARIO (as exported by
scripts/with-local-sts); otherwise starts a private moto server for the
session and stops it afterwards. boto3 is imported lazily because starting
the harness is what installs it on a fresh machine.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
# The shared local-STS fixture; importing it into this conftest registers it with pytest.
from aws_env import isolated_aws_env
from scenario_fixture import scenario_path_fixture, unavailable  # noqa: F401


@pytest.fixture(scope="session")
def scenario(scenario_path: Path) -> dict[str, Any]:
    return dict(json.loads(scenario_path.read_text()))


@pytest.fixture(scope="session")
def scenario_dir(scenario_path: Path) -> Path:
    """The state dir, as `local_sts.py setup-role --state-dir` wants it."""
    return scenario_path.parent


Credentials = dict[str, str]


class Aws:
    """boto3 clients bound to the scenario, isolated from the user's ~/.aws."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.scenario = scenario
        self.partner: Credentials = {
            "AccessKeyId": scenario["partner_access_key_id"],
            "SecretAccessKey": scenario["partner_secret_access_key"],
        }

    def client(self, service: str, creds: Credentials | None = None) -> Any:
        import boto3
        import botocore.session
        from botocore.config import Config

        creds = creds or self.partner
        core = botocore.session.Session()
        # Explicit keys already win, but a profile could still change
        # addressing style, retries or the endpoint.
        core.set_config_variable("config_file", os.devnull)
        core.set_config_variable("credentials_file", os.devnull)
        session = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
            region_name=self.scenario["region"],
            botocore_session=core,
        )
        return session.client(
            service,
            endpoint_url=self.scenario["endpoint_url"],
            # One attempt: a denied call must surface, not be retried.
            config=Config(
                retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30
            ),
        )

    def assume(self, external_id: str | None, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "RoleArn": self.scenario["role_arn"],
            "RoleSessionName": "e2e-harness",
            **extra,
        }
        if external_id is not None:
            params["ExternalId"] = external_id
        return dict(self.client("sts").assume_role(**params))


@pytest.fixture(scope="session")
def aws(scenario: dict[str, Any]) -> Aws:
    return Aws(scenario)


@pytest.fixture(scope="session")
def cli_env(
    scenario: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., dict[str, str]]:
    """Environment for the AWS CLI: only the given keys, nothing from ~/.aws."""
    home = tmp_path_factory.mktemp("aws-cli-home")

    def env(creds: Credentials) -> dict[str, str]:
        return isolated_aws_env(
            home,
            region=scenario["region"],
            endpoint_url=scenario["endpoint_url"],
            keys=(creds["AccessKeyId"], creds["SecretAccessKey"]),
            session_token=creds.get("SessionToken"),
        )

    return env


@pytest.fixture(scope="session")
def aws_cli() -> str:
    path = shutil.which("aws")
    if path is None:
        unavailable(
            "the aws CLI is not installed (scripts/ensure-python-deps installs it)"
        )
    return path
