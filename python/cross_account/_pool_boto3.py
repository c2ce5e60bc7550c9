"""boto3 glue for :class:`cross_account.Pool`: one boto3 session per tenant, one loader for all.

A botocore session parses the service models it needs (megabytes of JSON) through its data
loader, and a fresh ``botocore.session.Session`` starts with an empty one. Every tenant's
session here gets the pool's single loader instead, so a model is parsed once for the whole
pool and a tenant's client costs what the client itself holds.
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

    from cross_account._native import Pool

__all__ = ["PoolCredentials", "boto3_session"]

METHOD = "cross-account-pool"


class PoolCredentials(DeferredRefreshableCredentials):  # type: ignore[misc]
    """Botocore refreshable credentials of one pool tenant; the pool decides when to refresh."""

    def __init__(
        self, pool: Pool, role_arn: str, external_id: str | None, options: dict[str, Any]
    ) -> None:
        """Read tenant ``role_arn`` of ``pool``; nothing is fetched until the first read."""
        super().__init__(refresh_using=self._fetch, method=METHOD)
        self._pool = pool
        self._tenant = (role_arn, external_id, options)

    def _read(self) -> Any:
        role_arn, external_id, options = self._tenant
        return self._pool.credentials(role_arn, external_id, **options)

    def _fetch(self) -> dict[str, str | None]:
        """Botocore's ``refresh_using`` callback: the tenant's current credentials."""
        creds = self._read()
        return {
            "access_key": creds.access_key_id,
            "secret_key": creds.secret_access_key.expose_secret(),
            "token": creds.session_token.expose_secret(),
            "expiry_time": creds.expiration.isoformat(),
            "account_id": creds.account_id,
        }

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        """Whether the pool holds other credentials than botocore's copy (a lock-free read)."""
        frozen = self._frozen_credentials
        if frozen is None:
            return True
        return bool(self._read().access_key_id != frozen.access_key)


class _Provider(CredentialProvider):  # type: ignore[misc]
    METHOD = METHOD
    CANONICAL_NAME = "CrossAccountPool"

    def __init__(self, credentials: PoolCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> PoolCredentials:
        return self._credentials


def boto3_session(
    pool: Pool,
    role_arn: str,
    external_id: str | None,
    region_name: str | None,
    **options: Any,
) -> boto3.Session:
    """A ``boto3.Session`` signing as one tenant of ``pool``, on the pool's shared loader."""
    import boto3  # noqa: PLC0415 - boto3 itself is only needed here

    core: Any = botocore.session.Session()
    core.register_component("data_loader", pool._botocore_loader())
    resolver = core.get_component("credential_provider")
    resolver.insert_before("env", _Provider(PoolCredentials(pool, role_arn, external_id, options)))
    return boto3.Session(botocore_session=core, region_name=region_name or options.get("region"))
