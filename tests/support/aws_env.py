"""An AWS environment that sees only what a test or benchmark gives it.

Every suite that runs an AWS client (python/tests, tests/e2e, tests/packaging, bench) builds
its environment here, so no run can pick up the user's ~/.aws, keys exported in the shell,
the EC2 metadata endpoint or a proxy in front of the loopback STS.

    env = isolated_aws_env(home, region="us-east-1", keys=("AKIA...", "secret"))
    subprocess.run(cmd, env=env)        # a child process
    use_in_this_process(env)            # this process, from here on
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

LOOPBACK = "127.0.0.1,localhost"


def isolated_aws_env(
    home: Path,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    keys: tuple[str, str] | None = None,
    session_token: str | None = None,
    config: str | None = None,
    credentials: str | None = None,
    base: Mapping[str, str] | None = None,
    **extra: str,
) -> dict[str, str]:
    """``base`` (default: this process's environment) without any ``AWS_*`` variable, plus:

    - ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE`` = ``home/config`` and
      ``home/credentials``, written with ``config`` / ``credentials`` when given, else
      created empty if missing (a file the caller wrote is kept);
    - ``AWS_EC2_METADATA_DISABLED``, and ``NO_PROXY``/``no_proxy`` for the loopback hosts;
    - ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``, the source keys and session
      token when given; ``extra`` last.
    """
    home.mkdir(parents=True, exist_ok=True)
    files = {"config": config, "credentials": credentials}
    for name, text in files.items():
        path = home / name
        if text is not None:
            path.write_text(text)
        elif not path.exists():
            path.touch()
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY=LOOPBACK,
        no_proxy=LOOPBACK,
    )
    if region is not None:
        env.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    if endpoint_url is not None:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    if keys is not None:
        env.update(AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1])
    if session_token is not None:
        env["AWS_SESSION_TOKEN"] = session_token
    env.update(extra)
    return env


def use_in_this_process(env: Mapping[str, str]) -> None:
    """Make ``env`` (from ``isolated_aws_env``) this process's whole environment.

    For in-process clients: the Rust core reads the environment when it first calls STS, so
    call it before any session exists.
    """
    os.environ.clear()
    os.environ.update(env)
