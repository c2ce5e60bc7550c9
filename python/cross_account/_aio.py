"""aiobotocore/aioboto3 glue: async credentials that refresh through ``credentials_async()``.

Imported on first use of :meth:`CrossAccountSession.aiobotocore_session` or
:meth:`CrossAccountSession.aioboto3_session`. ``pip install aiobotocore`` (and ``aioboto3``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from aiobotocore.credentials import AioDeferredRefreshableCredentials
    from aiobotocore.session import AioSession
    from botocore.credentials import CredentialProvider
except ImportError as e:  # pragma: no cover - exercised only without aiobotocore
    raise ImportError(
        "cross_account's asyncio AWS integration needs aiobotocore: pip install aiobotocore "
        "(and aioboto3 for aioboto3_session())"
    ) from e

from cross_account import _errors
from cross_account._boto3 import METHOD, _shared_loader, as_botocore_error
from cross_account._redact import redact_botocore_logs

if TYPE_CHECKING:
    from cross_account._native import Credentials, CrossAccountSession

__all__ = ["CrossAccountAioCredentials", "aioboto3_session", "aiobotocore_session"]


class CrossAccountAioCredentials(AioDeferredRefreshableCredentials):  # type: ignore[misc]
    """aiobotocore refreshable credentials whose source of truth is a :class:`CrossAccountSession`.

    aiobotocore awaits them (``get_frozen_credentials()``, ``get_account_id()``, ...). A read of
    fresh credentials is one lock-free Rust read; when the Rust cache holds newer credentials,
    they are taken with ``await session.credentials_async()``, which never blocks the event
    loop. Errors are the ``cross_account`` exceptions in their botocore flavour (also
    ``CredentialRetrievalError``).
    """

    def __init__(self, session: CrossAccountSession) -> None:
        """Wrap ``session``; nothing is fetched until the first read."""
        super().__init__(refresh_using=self._fetch, method=METHOD)
        self._session = session

    async def _fetch(self) -> dict[str, str | None]:
        """Aiobotocore's ``refresh_using`` coroutine: the session's current credentials."""
        try:
            creds: Credentials = await self._session.credentials_async()
        except _errors.CrossAccountError as e:
            raise as_botocore_error(e) from e
        return {
            "access_key": creds.access_key_id,
            "secret_key": creds.secret_access_key.expose_secret(),
            "token": creds.session_token.expose_secret(),
            "expiry_time": creds.expiration.isoformat(),
            "account_id": creds.account_id,
        }

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        """Whether the Rust cache holds other credentials than aiobotocore's copy.

        Synchronous (aiobotocore calls it so) and never waits: when the cache has nothing fresh,
        the answer is "refresh", and the refresh awaits the fetch.
        """
        frozen = self._frozen_credentials
        if frozen is None:
            return True
        cached = self._session._cached_credentials()
        return cached is None or cached.access_key_id != frozen.access_key


class _AioProvider(CredentialProvider):  # type: ignore[misc]
    """Puts the session first in an aiobotocore session's credential chain."""

    METHOD = METHOD
    CANONICAL_NAME = "CrossAccount"

    def __init__(self, credentials: CrossAccountAioCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    async def load(self) -> CrossAccountAioCredentials:
        return self._credentials


def aiobotocore_session(session: CrossAccountSession, region_name: str | None = None) -> Any:
    """An ``aiobotocore.session.AioSession`` whose clients sign with ``session``'s credentials.

    Each call makes a new ``AioSession`` and credentials object (their asyncio lock belongs
    to the loop that first uses them) on the process's shared botocore data loader.
    ``region_name`` defaults to the session's ``region``.
    """
    redact_botocore_logs()
    core = AioSession()
    core.register_component("data_loader", _shared_loader(core))
    resolver = core.get_component("credential_provider")
    resolver.insert_before("env", _AioProvider(CrossAccountAioCredentials(session)))
    region = region_name or session.region
    if region:
        core.set_config_variable("region", region)
    return core


def aioboto3_session(session: CrossAccountSession, region_name: str | None = None) -> Any:
    """An ``aioboto3.Session`` on :func:`aiobotocore_session` (needs ``aioboto3``)."""
    try:
        import aioboto3  # noqa: PLC0415 - only needed here
    except ImportError as e:  # pragma: no cover - exercised only without aioboto3
        raise ImportError("aioboto3_session() needs aioboto3: pip install aioboto3") from e
    core = aiobotocore_session(session, region_name)
    made = aioboto3.Session(botocore_session=core, region_name=region_name or session.region)
    loader = core.get_component("data_loader")
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return made
