"""boto3/botocore glue: credentials that botocore refreshes from the Rust cache.

Imported on first use of :meth:`CrossAccountSession.boto3_session` or
:meth:`CrossAccountSession.botocore_credentials`, so ``import cross_account`` never imports
boto3. Install it with ``pip install boto3``.
"""

from __future__ import annotations

import copy
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, TypeVar

try:
    import botocore.exceptions
    import botocore.loaders
    import botocore.session
    from botocore.credentials import CredentialProvider, DeferredRefreshableCredentials
except ImportError as e:  # pragma: no cover - exercised only without botocore
    raise ImportError(
        "cross_account's boto3 integration needs boto3 (and botocore): pip install boto3"
    ) from e

from cross_account import _errors
from cross_account._redact import redact_botocore_logs

if TYPE_CHECKING:
    import boto3

    from cross_account._native import Credentials, CrossAccountSession

__all__ = [
    "CrossAccountCredentials",
    "as_botocore_error",
    "boto3_session",
    "botocore_credentials",
    "setup_default_session",
]

METHOD = "cross-account"

E = TypeVar("E", bound=_errors.CrossAccountError)


def _botocore_flavour(cls: type[_errors.CrossAccountError]) -> type[_errors.CrossAccountError]:
    """``cls`` that is also a botocore exception, so ``except BotoCoreError`` catches it."""
    base: type[Exception] = (
        botocore.exceptions.NoCredentialsError
        if issubclass(cls, _errors.NoSourceCredentialsError)
        else botocore.exceptions.CredentialRetrievalError
    )
    name = f"Botocore{cls.__name__}"

    def __init__(self: Any, message: str, **details: Any) -> None:
        cls.__init__(self, message, **details)
        # What botocore's own exceptions carry (``kwargs``, ``fmt`` fields).
        self.kwargs = {"provider": METHOD, "error_msg": message}

    doc = f"{cls.__name__}, raised inside a botocore call: also a ``{base.__name__}``."
    return type(
        name,
        (cls, base),
        {"__init__": __init__, "__module__": __name__, "__qualname__": name, "__doc__": doc},
    )


# Built at import so that pickled instances find their class by name in another process.
_FLAVOURS: dict[type[_errors.CrossAccountError], type[_errors.CrossAccountError]] = {}
for _name in _errors.__all__:
    _cls = getattr(_errors, _name)
    _FLAVOURS[_cls] = globals()[f"Botocore{_name}"] = _botocore_flavour(_cls)


def as_botocore_error(err: E) -> E:
    """The same error as an instance that is also a botocore exception (``BotoCoreError``)."""
    flavour = _FLAVOURS.get(type(err))
    if flavour is None:
        return err
    # The constructor takes the message and the keyword details the native module gave.
    return flavour(err.message, **err._details)  # type: ignore[return-value]


class CrossAccountCredentials(DeferredRefreshableCredentials):  # type: ignore[misc]
    """botocore refreshable credentials whose source of truth is a :class:`CrossAccountSession`.

    The Rust session decides when to refresh (ahead of expiry, one STS call per lifetime, never
    handing out credentials inside its safety margin), so botocore's own advisory and mandatory
    windows are not used: botocore takes new credentials exactly when the Rust cache holds newer
    ones than it has. Reading costs one lock-free Rust read. Errors are the typed
    ``cross_account`` exceptions, in a flavour that is also a botocore exception
    (``CredentialRetrievalError``, ``NoCredentialsError``), so ``except BotoCoreError`` and
    retry decorators written for botocore catch them too.
    """

    def __init__(self, session: CrossAccountSession) -> None:
        """Wrap ``session``; nothing is fetched until the first read."""
        super().__init__(refresh_using=self._fetch, method=METHOD)
        self._session = session

    def _read(self) -> Credentials:
        try:
            return self._session.credentials()
        except _errors.CrossAccountError as e:
            raise as_botocore_error(e) from e

    def _fetch(self) -> dict[str, str | None]:
        """Botocore's ``refresh_using`` callback: the session's current credentials."""
        return botocore_fields(self._read())

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        """Whether the Rust cache holds other credentials than botocore's copy."""
        return holds_newer(self._frozen_credentials, self._read)


def botocore_fields(creds: Credentials) -> dict[str, str | None]:
    """``creds`` as botocore's ``refresh_using`` callbacks return them."""
    return {
        "access_key": creds.access_key_id,
        "secret_key": creds.secret_access_key.expose_secret(),
        "token": creds.session_token.expose_secret(),
        "expiry_time": creds.expiration.isoformat(),
        "account_id": creds.account_id,
    }


def holds_newer(frozen: Any, current: Callable[[], Credentials | None]) -> bool:
    """Whether botocore should refresh its copy ``frozen``: the Rust side holds other keys.

    The Rust side owns the refresh timing, so botocore's own expiry windows are not used:
    nothing frozen yet, nothing fresh held (``current()`` is None), or another access key id.
    """
    if frozen is None:
        return True
    held = current()
    return held is None or held.access_key_id != frozen.access_key


class Provider(CredentialProvider):  # type: ignore[misc]
    """Puts ``credentials`` first in a botocore session's credential chain."""

    def __init__(self, credentials: Any, canonical_name: str) -> None:
        """The provider named ``canonical_name`` that hands out ``credentials``."""
        super().__init__()
        self.METHOD = credentials.method
        self.CANONICAL_NAME = canonical_name
        self._credentials = credentials

    def load(self) -> Any:
        """The credentials (botocore asks once per session)."""
        return self._credentials


# One credentials object per session, shared by every boto3 session made from it.
_CREDENTIALS: weakref.WeakKeyDictionary[CrossAccountSession, CrossAccountCredentials] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()
# One botocore data loader (the JSON service models, already parsed) for the process.
_LOADER: Any = None


def botocore_credentials(session: CrossAccountSession) -> CrossAccountCredentials:
    """Botocore credentials (``DeferredRefreshableCredentials``) reading from ``session``."""
    with _LOCK:
        creds = _CREDENTIALS.get(session)
        if creds is None:
            creds = _CREDENTIALS[session] = CrossAccountCredentials(session)
        return creds


def _shared_loader(core: Any) -> Any:
    global _LOADER  # noqa: PLW0603 - the process-wide cache
    with _LOCK:
        if _LOADER is None:
            _LOADER = botocore.loaders.create_loader(core.get_config_variable("data_path"))
        return _LOADER


# botocore's built-in event handlers, registered once (botocore checks each handler's
# signature as it registers it: most of the cost of a new botocore session); copied into each.
_BUILTIN_HOOKS: Any = None


def _builtin_hooks() -> Any:
    global _BUILTIN_HOOKS  # noqa: PLW0603 - the process-wide cache
    with _LOCK:
        if _BUILTIN_HOOKS is None:
            _BUILTIN_HOOKS = botocore.session.Session()._original_handler
        return copy.copy(_BUILTIN_HOOKS)


def signing_with(core: Any, provider: Any) -> Any:
    """``core`` (a botocore or aiobotocore session) signing through ``provider``.

    It gets the process's shared data loader and, first in its chain, ``provider``.
    """
    redact_botocore_logs()
    core.register_component("data_loader", _shared_loader(core))
    core.get_component("credential_provider").insert_before("env", provider)
    return core


def botocore_session_for(credentials: Any, canonical_name: str) -> Any:
    """A new botocore session signing with ``credentials``, on the shared loader and hooks."""
    core = botocore.session.Session(event_hooks=_builtin_hooks(), include_builtin_handlers=False)
    return signing_with(core, Provider(credentials, canonical_name))


def botocore_session(session: CrossAccountSession) -> Any:
    """A botocore session signing with ``session``, on the process's shared data loader."""
    return botocore_session_for(botocore_credentials(session), "CrossAccount")


def dedupe_search_paths(core: Any) -> None:
    """Undo what boto3 (and aioboto3) do at each session: append their data dir again."""
    loader = core.get_component("data_loader")
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))


def boto3_session_over(core: Any, region_name: str | None) -> boto3.Session:
    """A ``boto3.Session`` on the botocore session ``core``."""
    import boto3  # noqa: PLC0415 - boto3 itself is only needed here

    made = boto3.Session(botocore_session=core, region_name=region_name)
    dedupe_search_paths(core)
    return made


def boto3_session(session: CrossAccountSession, region_name: str | None = None) -> boto3.Session:
    """A ``boto3.Session`` whose clients sign with ``session``'s refreshing credentials.

    ``region_name`` defaults to the session's ``region``, else boto3's usual resolution. The
    botocore session under it is new (boto3 sessions are not shared between threads), but its
    data loader, with every service model it has parsed, is shared by the process, and so is
    the credentials object of ``session``.
    """
    return boto3_session_over(botocore_session(session), region_name or session.region)


def setup_default_session(session: CrossAccountSession, region_name: str | None = None) -> None:
    """Make plain ``boto3.client(...)`` and ``boto3.resource(...)`` use ``session``'s role.

    Replaces boto3's default session (``boto3.DEFAULT_SESSION``) with
    ``session.boto3_session(region_name)``; call it again to switch roles, or
    ``boto3.setup_default_session()`` to go back to boto3's own credential chain.
    """
    import boto3  # noqa: PLC0415

    boto3.DEFAULT_SESSION = boto3_session(session, region_name)
