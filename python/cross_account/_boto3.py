"""boto3/botocore glue: credentials that botocore refreshes from the Rust cache.

Imported on first use of :meth:`CrossAccountSession.boto3_session` or
:meth:`CrossAccountSession.botocore_credentials`, so ``import cross_account`` never imports
boto3. Install it with ``pip install 'cross-account[boto3]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    import botocore.session
    from botocore.credentials import CredentialProvider, DeferredRefreshableCredentials
except ImportError as e:  # pragma: no cover - exercised only without boto3
    raise ImportError(
        "cross_account's boto3 integration needs boto3: pip install 'cross-account[boto3]'"
    ) from e

if TYPE_CHECKING:
    import boto3

    from cross_account._native import CrossAccountSession

__all__ = ["CrossAccountCredentials", "boto3_session", "botocore_credentials"]

METHOD = "cross-account"


class CrossAccountCredentials(DeferredRefreshableCredentials):  # type: ignore[misc]
    """botocore refreshable credentials whose source of truth is a :class:`CrossAccountSession`.

    The Rust session decides when to refresh (ahead of expiry, one STS call per lifetime, never
    handing out credentials inside its safety margin), so botocore's own advisory and mandatory
    windows are not used: botocore takes new credentials exactly when the Rust cache holds newer
    ones than it has. Reading costs one lock-free Rust read; errors are the typed
    ``cross_account`` exceptions.
    """

    def __init__(self, session: CrossAccountSession) -> None:
        """Wrap ``session``; nothing is fetched until the first read."""
        super().__init__(refresh_using=self._fetch, method=METHOD)
        self._session = session

    def _fetch(self) -> dict[str, str | None]:
        """Botocore's ``refresh_using`` callback: the session's current credentials."""
        creds = self._session.credentials()
        return {
            "access_key": creds.access_key_id,
            "secret_key": creds.secret_access_key.expose_secret(),
            "token": creds.session_token.expose_secret(),
            "expiry_time": creds.expiration.isoformat(),
            "account_id": creds.account_id,
        }

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        """Whether the Rust cache holds other credentials than botocore's copy."""
        frozen = self._frozen_credentials
        if frozen is None:
            return True
        return bool(self._session.credentials().access_key_id != frozen.access_key)


class _Provider(CredentialProvider):  # type: ignore[misc]
    """Puts the session first in a botocore session's credential chain."""

    METHOD = METHOD
    CANONICAL_NAME = "CrossAccount"

    def __init__(self, credentials: CrossAccountCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> CrossAccountCredentials:
        return self._credentials


def botocore_credentials(session: CrossAccountSession) -> CrossAccountCredentials:
    """Botocore credentials (``DeferredRefreshableCredentials``) reading from ``session``."""
    return CrossAccountCredentials(session)


def boto3_session(session: CrossAccountSession, region_name: str | None = None) -> boto3.Session:
    """A ``boto3.Session`` whose clients sign with ``session``'s refreshing credentials.

    ``region_name`` defaults to the session's ``region``, else boto3's usual resolution.
    """
    import boto3  # noqa: PLC0415 - boto3 itself is only needed here

    core: Any = botocore.session.get_session()
    resolver = core.get_component("credential_provider")
    resolver.insert_before("env", _Provider(botocore_credentials(session)))
    return boto3.Session(botocore_session=core, region_name=region_name or session.region)
