"""The manylinux2014 x86_64 wheel of scripts/build-wheels (maturin --zig): auditwheel accepts
it, and it installs and reads credentials from the local STS in a fresh virtualenv with no
Rust toolchain on PATH.

The wheel comes from ``CROSS_ACCOUNT_WHEEL_DIR`` (a ``scripts/build-wheels`` output, e.g. the
release wheels) when set; otherwise the test builds one with ``scripts/build-wheels --profile
dev --targets x86_64`` (its own target/x86_64-unknown-linux-gnu/ directory, so it does not
disturb the host build). Install and build times are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_env import isolated_aws_env

REPO = Path(__file__).resolve().parents[2]
READ = (
    "import sys, cross_account\n"
    "s = cross_account.CrossAccountSession(sys.argv[1], sys.argv[2], endpoint_url=sys.argv[3],\n"
    "    region=sys.argv[4], session_name='from-wheel')\n"
    "c = s.credentials(timeout=60)\n"
    "assert c.access_key_id.startswith('ASIA'), c.access_key_id\n"
    "print(cross_account.__file__)\n"
    "print(c.assumed_role_arn)\n"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    given = os.environ.get("CROSS_ACCOUNT_WHEEL_DIR")
    if given:
        out = Path(given)
    else:
        out = tmp_path_factory.mktemp("wheels")
        start = time.monotonic()
        subprocess.run(
            [
                str(REPO / "scripts" / "build-wheels"),
                "--profile",
                "dev",
                "--targets",
                "x86_64",
                "--no-sdist",
                "--out",
                str(out),
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            # No debug info: a smaller, faster build; the test is about the artifact.
            env={
                **os.environ,
                "CARGO_PROFILE_DEV_DEBUG": "0",
                "CARGO_INCREMENTAL": "0",
            },
        )
        print(f"\nbuild-wheels (dev, x86_64): {time.monotonic() - start:.0f} s")
    wheels = sorted(out.glob("*manylinux2014_x86_64*.whl")) + sorted(
        out.glob("*manylinux_2_17_x86_64*.whl")
    )
    assert wheels, f"no manylinux2014 x86_64 wheel in {out}: {sorted(os.listdir(out))}"
    yield wheels[0]


def test_auditwheel_accepts_the_wheel(wheel: Path) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(shown.split())
    assert "manylinux_2_17_x86_64" in flat, shown
    assert "cp39-abi3" in wheel.name


def test_wheel_installs_and_reads_credentials_without_rust(
    wheel: Path, scenario_path: Path, tmp_path: Path
) -> None:
    scenario: dict[str, Any] = json.loads(scenario_path.read_text())
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    # Only the venv on PATH: no cargo, rustc, cc or maturin can be found.
    path = str(bin_dir)
    for tool in ("cargo", "rustc", "rustup", "maturin"):
        assert shutil.which(tool, path=path) is None, tool
    env = isolated_aws_env(
        tmp_path / "aws",
        keys=(scenario["partner_access_key_id"], scenario["partner_secret_access_key"]),
        base={
            "PATH": path,
            "HOME": str(tmp_path),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
    )
    start = time.monotonic()
    subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            str(wheel),
        ],
        env=env,
        check=True,
        cwd=tmp_path,
    )
    print(f"\npip install {wheel.name}: {time.monotonic() - start:.1f} s")
    out = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            READ,
            scenario["role_arn"],
            scenario["external_id"],
            scenario["endpoint_url"],
            scenario["region"],
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.splitlines()
    assert out[0].startswith(str(env_dir)), (
        out
    )  # the installed wheel, not the source tree
    assert out[1].endswith(":assumed-role/DemoRole/from-wheel"), out
