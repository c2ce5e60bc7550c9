"""The loopback STS scenario for the packaging tests (the wheel reads credentials from it)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
# The shared local-STS fixture; importing it into this conftest registers it with pytest.
from scenario_fixture import scenario_path_fixture  # noqa: F401
