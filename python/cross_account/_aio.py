"""aiobotocore/aioboto3 glue: async credentials that refresh through ``credentials_async()``.

Imported on first use of :meth:`CrossAccountSession.aiobotocore_session` or
:meth:`CrossAccountSession.aioboto3_session`. ``pip install aiobotocore`` (and ``aioboto3``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from aiobotocore.credentials import AioDeferredRefreshableCredentials
    from aiobotocore.session import AioSession
except ImportError as e:  # pragma: no cover - exercised only without aiobotocore
    raise ImportError(
        "cross_account's asyncio AWS integration needs aiobotocore: pip install aiobotocore "
        "(and aioboto3 for aioboto3_session())"
    ) from e

from cross_account import _errors
from cross_account._boto3 import (
    METHOD,
    Provider,
    as_botocore_error,
    botocore_fields,
    dedupe_search_paths,
    holds_newer,
    signing_with,
)

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
        return botocore_fields(creds)

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        """Whether the Rust cache holds other credentials than aiobotocore's copy.

        Synchronous (aiobotocore calls it so) and never waits: when the cache has nothing fresh,
        the answer is "refresh", and the refresh awaits the fetch.
        """
        return holds_newer(self._frozen_credentials, self._session._cached_credentials)


class _AioProvider(Provider):
    """:class:`Provider` for aiobotocore, which awaits ``load()``."""

    async def load(self) -> Any:
        """The credentials."""
        return self._credentials


def aiobotocore_session(session: CrossAccountSession, region_name: str | None = None) -> Any:
    """An ``aiobotocore.session.AioSession`` whose clients sign with ``session``'s credentials.

    Each call makes a new ``AioSession`` and credentials object (their asyncio lock belongs
    to the loop that first uses them) on the process's shared botocore data loader.
    ``region_name`` defaults to the session's ``region``.
    """
    credentials = CrossAccountAioCredentials(session)
    core = signing_with(AioSession(), _AioProvider(credentials, "CrossAccount"))
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
    dedupe_search_paths(core)
    return made
