"""The type of :meth:`CrossAccountSession.status`."""

from __future__ import annotations

import datetime
from typing import Optional, TypedDict

__all__ = ["SessionStatus"]


class SessionStatus(TypedDict):
    """A snapshot of a session's refresh state (a plain ``dict`` at run time).

    Keys:
        role_arn: the role the session assumes.
        expiration: when the held credentials expire (UTC), None before the first fetch.
        last_refresh: when the held credentials were obtained (UTC).
        next_refresh: when the background refresh is planned (UTC), later while backing off.
        last_error: the most recent failure's message, cleared by the next success.
        last_error_kind: that failure's kind (``"unavailable"``, ``"access_denied"``, ...).
        consecutive_failures: failures since the last success.
        refresh_count: fetches that replaced held credentials (the first is not a refresh).
        sts_calls: AssumeRole calls made, successful or not.
        background_task_running: whether the background refresh task is running.

    """

    # Optional[...] rather than `X | None`: TypedDict evaluates these on Python 3.9.
    role_arn: str
    expiration: Optional[datetime.datetime]  # noqa: UP045
    last_refresh: Optional[datetime.datetime]  # noqa: UP045
    next_refresh: Optional[datetime.datetime]  # noqa: UP045
    last_error: Optional[str]  # noqa: UP045
    last_error_kind: Optional[str]  # noqa: UP045
    consecutive_failures: int
    refresh_count: int
    sts_calls: int
    background_task_running: bool
