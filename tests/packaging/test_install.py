"""The two ways users install the package work: an abi3 wheel, and the sdist built from source.

Both builds use the dev profile and the workspace's target directory, so they reuse what the
test run already compiled; what they prove is that the artifacts are complete and installable in
a fresh virtualenv, not how fast a release build is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
SMOKE = (
    "import cross_account, cross_account.trust as t\n"
    "from cross_account import CrossAccountSession, InvalidParameterError\n"
    "try:\n"
    "    CrossAccountSession('arn:aws:iam::1:role/x')\n"
    "except InvalidParameterError as e:\n"
    "    assert e.field == 'role_arn', e.field\n"
    "else:\n"
    "    raise SystemExit('a bad ARN was accepted')\n"
    "assert len(cross_account.generate_external_id()) >= 16\n"
    "print('installed', cross_account.__version__)\n"
)


def build_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(REPO / "target"))
    env["MATURIN_PEP517_ARGS"] = "--profile dev"
    env.pop("VIRTUAL_ENV", None)
    return env


def fresh_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def smoke(python: Path, tmp_path: Path) -> str:
    # From an unrelated directory, so the source tree is not what gets imported.
    out = subprocess.run(
        [str(python), "-c", SMOKE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def maturin(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "maturin", *args], cwd=PYTHON_DIR, env=env, check=True
    )


def test_abi3_wheel_installs_in_a_fresh_venv(tmp_path: Path) -> None:
    env = build_env()
    maturin("build", "--profile", "dev", "--out", str(tmp_path / "wheels"), env=env)
    wheels = list((tmp_path / "wheels").glob("*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]
    assert "-cp39-abi3-" in wheel.name, f"not an abi3 wheel: {wheel.name}"
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "cross_account/py.typed",
        "cross_account/_native.pyi",
        "cross_account/trust.py",
    ):
        assert needed in names, f"{needed} missing from {wheel.name}"
    python = fresh_venv(tmp_path / "venv")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], env=env, check=True
    )
    assert "installed" in smoke(python, tmp_path)


def test_sdist_builds_and_installs_in_a_fresh_venv(tmp_path: Path) -> None:
    env = build_env()
    maturin("sdist", "--out", str(tmp_path / "sdist"), env=env)
    sdists = list((tmp_path / "sdist").glob("*.tar.gz"))
    assert len(sdists) == 1, sdists
    python = fresh_venv(tmp_path / "venv")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(sdists[0])], env=env, check=True
    )
    assert "installed" in smoke(python, tmp_path)
