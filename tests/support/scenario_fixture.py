"""The `scenario_path` pytest fixture (`scenario_path_fixture`) shared by the Python suites (python/tests, tests/e2e).

It uses the scenario named by CROSS_ACCOUNT_TEST_SCENARIO (set by scripts/with-local-sts), or
starts a throwaway local STS for the session. Without moto a developer gets a skip; under
CI=true it is a failure, so CI never goes green by skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from built import fail_or_skip

LOCAL_STS = Path(__file__).resolve().with_name("local_sts.py")
START_TIMEOUT_S = 600  # generous: a fresh machine may pip-install moto first


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI, because the local STS emulator cannot be used."""
    fail_or_skip(f"local STS emulator unavailable: {reason}")


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOCAL_STS), *args],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )


# Named apart from the fixture so importing it does not shadow test parameters.
@pytest.fixture(scope="session", name="scenario_path")
def scenario_path_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Path of the scenario.json the harness wrote."""
    given = os.environ.get("CROSS_ACCOUNT_TEST_SCENARIO")
    if given:
        if not Path(given).is_file():
            unavailable(f"CROSS_ACCOUNT_TEST_SCENARIO={given} is not a file")
        yield Path(given)
        return
    state_dir = tmp_path_factory.mktemp("local-sts")
    try:
        try:
            started = _harness("start", "--state-dir", str(state_dir))
        except (OSError, subprocess.TimeoutExpired) as e:
            unavailable(f"could not run {LOCAL_STS.name}: {e}")
        if started.returncode != 0:
            unavailable(
                started.stderr.strip()[-2000:] or f"exit status {started.returncode}"
            )
        yield state_dir / "scenario.json"
    finally:
        _harness("stop", "--state-dir", str(state_dir))
