"""Tasks that worker processes (Dask, ProcessPoolExecutor) import by name."""

from __future__ import annotations

import os

import cross_account


def read_credentials(spec: cross_account.SessionSpec) -> tuple[int, str, str, int]:
    """One task: the process-wide session for ``spec``, its credentials, its STS call count.

    Returns ``(pid, role_arn asked for, assumed-role ARN got, AssumeRole calls so far)``.
    """
    session = cross_account.session_for(spec)
    creds = session.credentials(timeout=60)
    return os.getpid(), spec.role_arn, creds.assumed_role_arn, session.status()["sts_calls"]
