"""What the Python suites need from the rest of the tree: binaries cargo builds, and the one
rule for a missing tool (a developer gets a skip; CI=true never goes green by skipping)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 1800


def fail_or_skip(reason: str) -> NoReturn:
    """Skip, or fail under CI=true, because something the test needs is missing."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def cargo_built(cargo_args: list[str], binaries: list[str]) -> list[Path]:
    """``binaries`` of target/debug after ``cargo build -q CARGO_ARGS`` (incremental)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug"
    if shutil.which("cargo"):
        built = subprocess.run(
            ["cargo", "build", "-q", *cargo_args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        if built.returncode != 0:
            pytest.fail(f"cargo build {' '.join(cargo_args)} failed:\n{built.stderr}")
    paths = [target / name for name in binaries]
    for path in paths:
        if not path.is_file():
            fail_or_skip(f"{path} is missing: run cargo build {' '.join(cargo_args)}")
    return paths
