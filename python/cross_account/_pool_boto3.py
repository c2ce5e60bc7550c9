"""boto3 glue for :class:`cross_account.Pool`: one boto3 session per tenant, one loader for all.

A botocore session parses the service models it needs (megabytes of JSON) through its data
loader, and a fresh ``botocore.session.Session`` starts with an empty one. Every tenant's
session here gets the process's single loader instead (the one of ``_boto3.py``), so a model is
parsed once for the whole pool and a tenant's client costs what the client itself holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from botocore.credentials import DeferredRefreshableCredentials
except ImportError as e:  # pragma: no cover - exercised only without boto3
    raise ImportError(
        "cross_account's boto3 integration needs boto3: pip install 'cross-account[boto3]'"
    ) from e

from cross_account._boto3 import (
    boto3_session_over,
    botocore_fields,
    botocore_session_for,
    holds_newer,
)

if TYPE_CHECKING:
    import boto3

    from cross_account._native import Credentials, Pool

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

    def _read(self) -> Credentials:
        role_arn, external_id, options = self._tenant
        return self._pool.credentials(role_arn, external_id, **options)

    def _fetch(self) -> dict[str, str | None]:
        """Botocore's ``refresh_using`` callback: the tenant's current credentials."""
        return botocore_fields(self._read())

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        """Whether the pool holds other credentials than botocore's copy (a lock-free read)."""
        return holds_newer(self._frozen_credentials, self._read)


def boto3_session(
    pool: Pool,
    role_arn: str,
    external_id: str | None,
    region_name: str | None,
    **options: Any,
) -> boto3.Session:
    """A ``boto3.Session`` signing as one tenant of ``pool``, on the process's shared loader."""
    credentials = PoolCredentials(pool, role_arn, external_id, options)
    core = botocore_session_for(credentials, "CrossAccountPool")
    return boto3_session_over(core, region_name or options.get("region"))
