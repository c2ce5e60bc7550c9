"""Assume an AWS IAM role in another account with an External ID, and keep it fresh.

Quick start::

    from cross_account import CrossAccountSession

    session = CrossAccountSession("arn:aws:iam::123456789012:role/DemoRole", "ExternalId123")
    s3 = session.boto3_session().client("s3")
    body = s3.get_object(Bucket="partner-bucket", Key="report.csv")["Body"].read()

The credentials come from a Rust core: one AssumeRole call per credential lifetime however
many threads or tasks read, a background refresh before expiry, and reads of fresh credentials
that take no lock. Secrets are :class:`Secret` objects whose ``repr``/``str`` are redacted.

Workers get a picklable :class:`SessionSpec` (``session.spec()``) and call
:func:`session_for` there. The core's log events reach :mod:`logging` under the
``cross_account`` logger. :func:`setup_default_session` makes plain ``boto3.client(...)`` use
the role; :func:`redact_botocore_logs` keeps signing secrets out of botocore's DEBUG logs.
"""

from __future__ import annotations

from cross_account._errors import (
    AccessDeniedError,
    CredentialsExpiredError,
    CredentialsTimeoutError,
    CrossAccountError,
    ExpiredSourceCredentialsError,
    InvalidParameterError,
    MalformedPolicyError,
    NoSourceCredentialsError,
    PackedPolicyTooLargeError,
    RegionDisabledError,
    SessionClosedError,
    SourceUnavailableError,
    StsUnavailableError,
    ThrottledError,
    UnclassifiedError,
)
from cross_account._native import (
    Credentials,
    CrossAccountSession,
    Pool,
    RoleArn,
    Secret,
    SessionSpec,
    __version__,
    generate_external_id,
)

# `typing`, `logging` and `re` cost milliseconds to import; what needs them loads on first use
# (module __getattr__ below), so `import cross_account` stays fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import boto3

    from cross_account._redact import BotocoreSecretsFilter, redact_botocore_logs
    from cross_account._status import SessionStatus
    from cross_account._workers import session_for

_LAZY = {
    "BotocoreSecretsFilter": "cross_account._redact",
    "redact_botocore_logs": "cross_account._redact",
    "SessionStatus": "cross_account._status",
    "session_for": "cross_account._workers",
}


def __getattr__(name: str) -> Any:
    """Load the names whose modules are imported on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cross_account' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def setup_default_session(
    session: CrossAccountSession, region_name: str | None = None
) -> boto3.Session:
    """Make plain ``boto3.client(...)``/``boto3.resource(...)`` use ``session``'s role.

    Sets boto3's default session (``boto3.DEFAULT_SESSION``) to
    ``session.boto3_session(region_name)`` and returns it. Call it again to switch roles, or
    ``boto3.setup_default_session()`` to go back to boto3's own credential chain. Needs boto3.
    """
    from cross_account import _boto3  # noqa: PLC0415 - boto3 is imported only when used

    _boto3.setup_default_session(session, region_name)
    import boto3  # noqa: PLC0415

    default: boto3.Session = boto3.DEFAULT_SESSION
    return default


__all__ = [
    "AccessDeniedError",
    "BotocoreSecretsFilter",
    "Credentials",
    "CredentialsExpiredError",
    "CredentialsTimeoutError",
    "CrossAccountError",
    "CrossAccountSession",
    "ExpiredSourceCredentialsError",
    "InvalidParameterError",
    "MalformedPolicyError",
    "NoSourceCredentialsError",
    "PackedPolicyTooLargeError",
    "Pool",
    "RegionDisabledError",
    "RoleArn",
    "Secret",
    "SessionClosedError",
    "SessionSpec",
    "SessionStatus",
    "SourceUnavailableError",
    "StsUnavailableError",
    "ThrottledError",
    "UnclassifiedError",
    "__version__",
    "generate_external_id",
    "redact_botocore_logs",
    "session_for",
    "setup_default_session",
]
