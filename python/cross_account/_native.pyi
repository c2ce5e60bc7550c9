"""Type stubs of the native module.

Checked against the built module with ``python -m mypy.stubtest cross_account._native``.
"""

import asyncio
import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal, NoReturn, TypedDict, final

import boto3  # type: ignore[import-untyped, import-not-found, unused-ignore]
from typing_extensions import Self, Unpack

from cross_account._boto3 import CrossAccountCredentials
from cross_account._errors import CrossAccountError
from cross_account._status import SessionStatus

class _RoleOptions(TypedDict, total=False):
    """The keywords of one role, taken by the session and by the pool's per-tenant methods."""

    session_name: str | None
    duration_seconds: int | None
    region: str | None
    endpoint_url: str | None
    profile: str | None
    policy: str | None
    policy_arns: Iterable[str] | None
    tags: Mapping[str, str] | None
    transitive_tag_keys: Iterable[str] | None
    source_identity: str | None

class _SessionOptions(_RoleOptions, total=False):
    """The session's keywords: a role's, plus what only a session holds."""

    mfa_serial: str | None
    mfa_token_provider: Callable[[], str] | None
    auto_refresh: bool | None
    source_session: CrossAccountSession | None
    credential_source: Literal["Environment", "Ec2InstanceMetadata", "EcsContainer"] | None

__all__ = [
    "DEFAULT_ROLE_NAME",
    "Credentials",
    "CrossAccountSession",
    "Decision",
    "LintReport",
    "LintWarning",
    "Pool",
    "RoleArn",
    "Secret",
    "SessionSpec",
    "__version__",
    "_after_fork_in_child",
    "_flush_at_exit",
    "_flush_logs",
    "_shutdown",
    "generate_external_id",
    "s3_read_only_policy_json",
    "trust_evaluate",
    "trust_lint",
    "trust_lint_report",
    "trust_policy_cloudformation",
    "trust_policy_json",
]

__version__: str

@final
class Secret:
    """A secret string whose ``repr``, ``str`` and ``format`` are redacted.

    Pickling and copying raise ``TypeError``; ``expose_secret()`` returns the value.
    """

    def __new__(cls, value: str) -> Self: ...
    def expose_secret(self) -> str:
        """The secret value. Call it only where the value is handed over."""
    def __format__(self, spec: str) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> NoReturn: ...
    def __reduce_ex__(self, protocol: Any) -> NoReturn: ...
    def __getstate__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, memo: Any) -> NoReturn: ...

@final
class Credentials:
    """Temporary credentials of the assumed role; ``repr`` shows the key id and expiry only."""

    @property
    def access_key_id(self) -> str:
        """The access key id (``ASIA...``); not a secret."""
    @property
    def secret_access_key(self) -> Secret:
        """The secret access key."""
    @property
    def session_token(self) -> Secret:
        """The session token."""
    @property
    def expiration(self) -> datetime.datetime:
        """When the credentials stop working (timezone-aware, UTC)."""
    @property
    def assumed_role_arn(self) -> str:
        """The assumed-role ARN."""
    @property
    def account_id(self) -> str | None:
        """The account the role belongs to."""
    def to_env(self) -> dict[str, str]:
        """The environment variables for a subprocess: the explicit hand-over of the secrets.

        ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` and
        ``AWS_CREDENTIAL_EXPIRATION`` (ISO 8601, UTC).
        """
    def __format__(self, spec: str) -> str: ...
    def __reduce__(self) -> NoReturn: ...
    def __reduce_ex__(self, protocol: Any) -> NoReturn: ...
    def __getstate__(self) -> NoReturn: ...
    def __copy__(self) -> Self: ...
    def __deepcopy__(self, memo: Any) -> Self: ...

@final
class RoleArn:
    """A validated IAM role ARN, ``arn:PARTITION:iam::ACCOUNT_ID:role/PATH/NAME``.

    Equal to a ``str`` with the same text, and hashed like it.
    """

    def __new__(cls, arn: str) -> Self: ...
    @classmethod
    def parse(cls, arn: str) -> RoleArn:
        """Parse and validate an ARN; the same as the constructor."""
    @property
    def partition(self) -> str:
        """The partition, e.g. ``aws`` or ``aws-cn``."""
    @property
    def account_id(self) -> str:
        """The 12-digit account that owns the role."""
    @property
    def role_name(self) -> str:
        """The role name, the part after the last ``/``."""
    @property
    def path(self) -> str:
        """The role path: ``/`` or ``/seg/.../``."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[type[RoleArn], tuple[str]]: ...

@final
class SessionSpec:
    """A picklable description of a session (the core's options); no secret in it."""

    @classmethod
    def from_json(cls, text: str) -> SessionSpec:
        """Read the JSON of ``to_json()``; unknown fields are refused."""
    def to_json(self) -> str:
        """The options as stable JSON, defaults left out."""
    @property
    def role_arn(self) -> str:
        """The role the spec assumes."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Callable[[str], SessionSpec], tuple[str]]: ...

@final
class CrossAccountSession:
    """An assumed role in another account whose temporary credentials stay fresh."""

    def __new__(
        cls,
        role_arn: str | RoleArn,
        external_id: str | None = None,
        **options: Unpack[_SessionOptions],
    ) -> Self: ...
    @classmethod
    def from_profile(
        cls,
        profile_name: str,
        *,
        mfa_token_provider: Callable[[], str] | None = None,
        auto_refresh: bool | None = None,
        config_file: str | os.PathLike[str] | None = None,
        credentials_file: str | os.PathLike[str] | None = None,
    ) -> Self:
        """A session for a role profile of the shared AWS config, as the AWS CLI reads it."""
    @classmethod
    def from_spec(
        cls,
        spec: SessionSpec,
        *,
        mfa_token_provider: Callable[[], str] | None = None,
        auto_refresh: bool | None = None,
    ) -> CrossAccountSession:
        """A session built from a ``SessionSpec`` (see ``spec()``)."""
    def spec(self) -> SessionSpec:
        """A picklable ``SessionSpec`` that rebuilds this session in another process."""
    def credentials(self, *, timeout: float | None = None) -> Credentials:
        """The current credentials; blocks (GIL released) only when a fetch is needed."""
    def _cached_credentials(self) -> Credentials | None:
        """The held credentials if fresh, else None; never fetches."""
    def credentials_async(self, *, timeout: float | None = None) -> asyncio.Future[Credentials]:
        """The current credentials, awaitable from asyncio."""
    def boto3_session(self, region_name: str | None = None) -> boto3.Session:
        """A ``boto3.Session`` whose credentials refresh through this session."""
    def botocore_credentials(self) -> CrossAccountCredentials:
        """Botocore refreshable credentials that read from this session."""
    def aiobotocore_session(self, region_name: str | None = None) -> Any:
        """An aiobotocore ``AioSession`` whose credentials refresh through this session."""
    def aioboto3_session(self, region_name: str | None = None) -> Any:
        """An ``aioboto3.Session`` whose credentials refresh through this session."""
    def status(self) -> SessionStatus:
        """A snapshot of the refresh state."""
    def invalidate(self) -> None:
        """Mark the held credentials stale; the next read fetches new ones."""
    def close(self) -> None:
        """End the background refresh; later calls raise ``SessionClosedError``."""
    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
    @property
    def role_arn(self) -> RoleArn:
        """The role this session assumes."""
    @property
    def region(self) -> str | None:
        """The region given to the constructor, if any."""
    @property
    def endpoint_url(self) -> str | None:
        """The STS endpoint given to the constructor, if any."""
    @property
    def session_name(self) -> str:
        """The role session name sent to STS."""
    @property
    def duration_seconds(self) -> int:
        """The session duration asked for, in seconds."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

def generate_external_id() -> str:
    """A fresh 32-character external ID from the operating system's random number generator."""

def trust_policy_json(
    *,
    trusted_accounts: Iterable[str] | None = None,
    trusted_principals: Iterable[str] | None = None,
    external_ids: Iterable[str] | None = None,
    require_mfa: bool = False,
    allow_source_identity: bool = False,
    allow_tag_session: bool = False,
    partition: str = "aws",
) -> str:
    """The role's trust policy: an IAM policy document (pretty JSON, Version 2012-10-17)."""

def trust_policy_cloudformation(
    role_name: str | None = None,
    *,
    trusted_accounts: Iterable[str] | None = None,
    trusted_principals: Iterable[str] | None = None,
    external_ids: Iterable[str] | None = None,
    require_mfa: bool = False,
    allow_source_identity: bool = False,
    allow_tag_session: bool = False,
    partition: str = "aws",
    s3_read_bucket: str | None = None,
    s3_read_prefix: str | None = None,
) -> str:
    """A CloudFormation template (YAML) with one ``AWS::IAM::Role``."""

def s3_read_only_policy_json(
    bucket: str, prefix: str | None = None, *, partition: str = "aws"
) -> str:
    """A permission policy (pretty JSON) that lets the role read one S3 bucket."""

DEFAULT_ROLE_NAME: str

@final
class Decision:
    """What a trust policy decides for one AssumeRole request."""

    def __new__(
        cls,
        kind: Literal["allowed", "denied", "unknown"],
        reason: str | None = None,
        statement: int | None = None,
        sid: str | None = None,
    ) -> Decision: ...
    @property
    def kind(self) -> Literal["allowed", "denied", "unknown"]:
        """``"allowed"``, ``"denied"`` or ``"unknown"``."""
    @property
    def reason(self) -> str | None:
        """Why it is denied or unknown; ``None`` when allowed."""
    @property
    def statement(self) -> int | None:
        """The statement concerned (``Statement[i]``, counted from 0), if any."""
    @property
    def sid(self) -> str | None:
        """The ``Sid`` of the statement that allows, if it has one."""
    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
    @property
    def denied(self) -> bool:
        """Whether the request is denied."""
    @property
    def unknown(self) -> bool:
        """Whether the local evaluator cannot decide."""
    def to_json(self) -> str:
        """The decision as one JSON object."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(
        self,
    ) -> tuple[type[Decision], tuple[str, str | None, int | None, str | None]]: ...

@final
class LintWarning:
    """One finding of ``lint``."""

    def __new__(cls, code: str, message: str, statement: int | None = None) -> LintWarning: ...
    @property
    def code(self) -> str:
        """What kind of problem it is, e.g. ``"confused-deputy"``."""
    @property
    def message(self) -> str:
        """What is wrong, where, and what to do instead."""
    @property
    def statement(self) -> int | None:
        """The statement concerned (``Statement[i]``, counted from 0), if any."""
    @property
    def severity(self) -> Literal["error", "warning", "note"]:
        """``"error"`` (IAM rejects the policy), ``"warning"`` or ``"note"``."""
    @property
    def help(self) -> str:
        """The rule's help text: what it checks and how to fix it."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[type[LintWarning], tuple[str, str, int | None]]: ...

@final
class LintReport:
    """The lint of every trust policy in one file."""

    @property
    def documents(self) -> list[tuple[str | None, list[LintWarning]]]:
        """``[(name, [LintWarning, ...]), ...]`` in file order."""
    @property
    def has_errors(self) -> bool:
        """Whether IAM would reject a policy."""
    @property
    def has_warnings(self) -> bool:
        """Whether there is a finding of severity ``"warning"``."""
    def to_json(self) -> str:
        """The report as JSON."""
    def to_sarif(self, uri: str) -> str:
        """The report as SARIF 2.1.0."""

def trust_evaluate(
    policy_json: str | Mapping[str, Any],
    principal_arn: str,
    external_id: str | None = None,
    mfa: bool = False,
    *,
    long_term_credentials: bool = False,
    principal_role_arn: str | None = None,
) -> Decision:
    """Would this trust policy let this caller assume the role? Locally, as IAM would."""

def trust_lint(
    policy_json: str | Mapping[str, Any],
    *,
    own_accounts: Iterable[str] | None = None,
    orgs: Iterable[str] | None = None,
) -> list[LintWarning]:
    """Confused-deputy, federation, grammar and hygiene findings for a trust policy."""

def trust_lint_report(
    text: str,
    *,
    own_accounts: Iterable[str] | None = None,
    orgs: Iterable[str] | None = None,
) -> LintReport:
    """Lints every trust policy in a policy, CloudFormation template or Terraform plan."""

def _after_fork_in_child() -> None: ...
def _flush_at_exit() -> None: ...
def _flush_logs(timeout: float = 5.0) -> bool: ...
def _shutdown() -> None: ...

# Pool: many customer accounts
@final
class Pool:
    """Many tenant roles within one STS budget; see ``CrossAccountPool`` in the Rust core."""

    def __new__(
        cls,
        *,
        rate_limit: float = 50.0,
        burst: int = 10,
        max_in_flight: int = 16,
        max_sessions: int = 100_000,
        idle_timeout: float | None = ...,  # 3600.0; None never evicts idle tenants
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
    ) -> Self: ...
    def credentials(
        self,
        role_arn: str,
        external_id: str | None = None,
        **options: Unpack[_RoleOptions],
    ) -> Credentials:
        """The tenant's credentials; blocks (GIL released) only when a call is needed."""
    def credentials_async(
        self,
        role_arn: str,
        external_id: str | None = None,
        **options: Unpack[_RoleOptions],
    ) -> asyncio.Future[Credentials]:
        """The tenant's credentials, awaitable from asyncio."""
    def prefetch(
        self, tenants: list[tuple[str, str | None]]
    ) -> list[Credentials | CrossAccountError]:
        """Warm ``(role_arn, external_id)`` pairs at the budget's pace; one result each."""
    def verify(
        self,
        role_arn: str,
        external_id: str | None = None,
        **options: Unpack[_RoleOptions],
    ) -> dict[str, Any]:
        """The onboarding check: ``{"role_arn", "verdict", "checks": [...]}``."""
    def stats(self) -> dict[str, int | float | bool]:
        """``sts_calls``, ``throttled``, ``issued``, ``queued``, ``in_flight``, ``sessions``, ..."""
    def boto3_session(
        self,
        role_arn: str,
        external_id: str | None = None,
        *,
        region_name: str | None = None,
        **options: Any,
    ) -> boto3.Session:
        """A ``boto3.Session`` for one tenant, on the process's shared botocore loader."""
    def client(
        self,
        service: str,
        role_arn: str,
        external_id: str | None = None,
        *,
        region_name: str | None = None,
        **options: Any,
    ) -> Any:
        """A boto3 client of ``service`` for one tenant."""
