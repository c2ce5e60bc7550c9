"""``session_for(spec)``: one session per spec per process, for worker processes.

A worker (Dask, Ray, multiprocessing, a forked child) gets a :class:`SessionSpec` (pickled,
no secret in it) and calls ``session_for(spec)`` in each task. The first call in the process
builds the session; later calls, from any thread, return the same one, so the process makes
one AssumeRole call per credential lifetime per spec however many tasks it runs. After a
``fork()`` the child starts with no sessions of its own (the parent's would share its sockets
and runtime threads, which the child does not have): its first ``session_for`` builds anew.
"""

from __future__ import annotations

import os
import threading

from cross_account._native import CrossAccountSession, SessionSpec

# `typing` costs ~10 ms to import; annotations here are never evaluated at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["session_for"]

_SESSIONS: dict[SessionSpec, CrossAccountSession] = {}
_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    global _LOCK  # noqa: PLW0603 - a lock held by another thread at fork() stays held
    _LOCK = threading.Lock()
    # Not closed: closing would touch the parent's runtime; the sessions rebuild lazily anyway
    # if a caller kept one, and are simply forgotten here.
    _SESSIONS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def session_for(
    spec: SessionSpec,
    *,
    mfa_token_provider: Callable[[], str] | None = None,
    auto_refresh: bool = True,
) -> CrossAccountSession:
    """The process-wide session for ``spec``: built on first use, then shared.

    Arguments:
        spec: what ``CrossAccountSession.spec()`` returned, in this or another process.
        mfa_token_provider: the MFA callable, needed when the spec names an MFA device; used
            only when this call builds the session.
        auto_refresh: refresh in the background (default True); used only when building.

    A session that was closed is replaced by a new one. Thread-safe.
    """
    if not isinstance(spec, SessionSpec):
        raise TypeError(f"spec must be a SessionSpec, not {type(spec).__name__}")
    with _LOCK:
        session = _SESSIONS.get(spec)
        if session is not None and not session.closed:
            return session
        kw: dict[str, Any] = {"auto_refresh": auto_refresh}
        if mfa_token_provider is not None:
            kw["mfa_token_provider"] = mfa_token_provider
        session = CrossAccountSession.from_spec(spec, **kw)
        _SESSIONS[spec] = session
        return session
