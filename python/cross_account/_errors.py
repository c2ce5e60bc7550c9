"""Exceptions: one class per kind of core error, all under :class:`CrossAccountError`.

The native module raises these; each carries the core's message (what failed, for which
role, and what to check) and the structured details as attributes. None of them ever holds a
secret.
"""

from __future__ import annotations

# `typing` costs ~10 ms to import; annotations here are never evaluated at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AccessDeniedError",
    "CredentialsExpiredError",
    "CredentialsTimeoutError",
    "CrossAccountError",
    "ExpiredSourceCredentialsError",
    "InvalidParameterError",
    "MalformedPolicyError",
    "NoSourceCredentialsError",
    "PackedPolicyTooLargeError",
    "RegionDisabledError",
    "SessionClosedError",
    "SourceUnavailableError",
    "StsUnavailableError",
    "ThrottledError",
    "UnclassifiedError",
]


def _restore(cls: type[CrossAccountError], message: str, details: dict[str, Any]) -> Any:
    """Rebuild an exception from its pickled parts (multiprocessing sends exceptions)."""
    return cls(message, **details)


class CrossAccountError(Exception):
    """Base class of every error raised by ``cross_account``.

    Attributes:
        kind: the core's stable name of the error kind (``"access_denied"``, ...).
        role_arn: the role that was being assumed, when known.
        sts_message: the message STS (or the SDK) reported, when there was one.
        retryable: whether trying again later may succeed without anyone changing anything.
        code: the STS error code (``"AccessDenied"``, ``"Throttling"``, ...), when STS answered.
        request_id: the STS request id, for AWS support, when STS answered.

    """

    kind: str
    role_arn: str | None
    sts_message: str | None
    retryable: bool
    code: str | None
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        kind: str = "other",
        role_arn: str | None = None,
        sts_message: str | None = None,
        retryable: bool = False,
        code: str | None = None,
        request_id: str | None = None,
        **details: Any,
    ) -> None:
        """Create the exception; the native module passes the details as keywords."""
        # Not super(): with botocore present, the classes raised inside botocore calls also
        # derive from botocore's exceptions, whose __init__ takes keywords only.
        Exception.__init__(self, message)
        self.kind = kind
        self.role_arn = role_arn
        self.sts_message = sts_message
        self.retryable = retryable
        self.code = code
        self.request_id = request_id
        self._details: dict[str, Any] = {
            "kind": kind,
            "role_arn": role_arn,
            "sts_message": sts_message,
            "retryable": retryable,
            "code": code,
            "request_id": request_id,
            **details,
        }

    @property
    def message(self) -> str:
        """The full message: what failed, for which role, and what to check."""
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the keyword details, so the exception survives multiprocessing."""
        return (_restore, (type(self), self.message, dict(self._details)))


class InvalidParameterError(CrossAccountError, ValueError):
    """An argument failed validation, before any network call.

    Attributes:
        field: the keyword that received the bad value (``"role_arn"``, ``"duration_seconds"``).

    """

    field: str

    def __init__(self, message: str, *, field: str = "", **details: Any) -> None:
        """Create the exception with the name of the offending keyword."""
        super().__init__(message, field=field, **details)
        self.field = field


class AccessDeniedError(CrossAccountError):
    """STS refused the AssumeRole call (HTTP 403, ``AccessDenied``).

    Attributes:
        hint: what to check (trust policy principal, external ID, your own permissions).
        request_id: the STS request id, for AWS support, when STS sent one.

    """

    hint: str
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        request_id: str | None = None,
        **details: Any,
    ) -> None:
        """Create the exception with the hint and the request id."""
        super().__init__(message, hint=hint, request_id=request_id, **details)
        self.hint = hint
        self.request_id = request_id


class RegionDisabledError(CrossAccountError):
    """STS is not activated in the region that was called.

    Attributes:
        region: the region whose STS endpoint was called.

    """

    region: str | None

    def __init__(self, message: str, *, region: str | None = None, **details: Any) -> None:
        """Create the exception with the region."""
        super().__init__(message, region=region, **details)
        self.region = region


class ThrottledError(CrossAccountError):
    """STS throttled the call (``Throttling``, ``RequestLimitExceeded``, HTTP 429)."""


class StsUnavailableError(CrossAccountError):
    """STS could not be reached or answered with a server error, a timeout or a garbled body."""


class CredentialsExpiredError(CrossAccountError):
    """The held credentials are too close to expiry and no new ones could be obtained."""


class MalformedPolicyError(CrossAccountError):
    """STS rejected the session policy."""


class PackedPolicyTooLargeError(CrossAccountError):
    """The session policy, policy ARNs and tags are too large once packed by STS."""


class ExpiredSourceCredentialsError(CrossAccountError):
    """The caller's own (source) credentials are expired or not valid."""


class SourceUnavailableError(CrossAccountError):
    """The source credentials could not be obtained right now: retryable.

    Instance metadata, the container endpoint, SSO, or the first role of a chain timed out or
    failed.
    """


class NoSourceCredentialsError(CrossAccountError):
    """No source credentials were found to sign the AssumeRole call."""


class UnclassifiedError(CrossAccountError):
    """Anything else STS or the SDK reported."""


class SessionClosedError(CrossAccountError):
    """The session was closed with ``close()`` (or by leaving its ``with`` block)."""


class CredentialsTimeoutError(CrossAccountError, TimeoutError):
    """No credentials within the ``timeout`` given to ``credentials()``/``credentials_async()``.

    The AssumeRole call is not cancelled: its outcome serves the next read. Retryable.
    """
