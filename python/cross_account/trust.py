"""The trusting side: the role's documents, checked before its ARN is handed over.

The account that owns the resources (say an S3 bucket) creates a role that the partner's
account may assume only with an agreed external ID, and attaches a narrow permission policy.
This module writes those documents and checks them locally, with the same Rust core as the
``cross-account trust-policy`` command line::

    from cross_account import trust

    external_id = trust.generate_external_id()  # the trusted side's, one per customer
    policy = trust.trust_policy(trusted_accounts=["111122223333"], external_ids=[external_id])
    reads = trust.s3_read_only_policy("partner-reports", "exports/")
    template = trust.cloudformation(
        "PartnerReadReports",
        trusted_accounts=["111122223333"],
        external_ids=[external_id],
        s3_read_bucket="partner-reports",
        s3_read_prefix="exports/",
    )

    partner = "arn:aws:sts::111122223333:assumed-role/Sync/nightly"
    assert trust.evaluate(policy, partner, external_id).allowed
    print(trust.evaluate(policy, partner, "guess").reason)
    assert trust.lint(policy) == []

Invalid arguments raise :class:`~cross_account.InvalidParameterError`, whose ``field`` names
the keyword. Nothing here calls AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cross_account import _native
from cross_account._native import generate_external_id

__all__ = [
    "Decision",
    "LintWarning",
    "cloudformation",
    "evaluate",
    "generate_external_id",
    "lint",
    "s3_read_only_policy",
    "trust_policy",
]

#: The role name of :func:`cloudformation` when none is given.
DEFAULT_ROLE_NAME = "DemoRole"

DecisionKind = Literal["allowed", "denied", "unknown"]


@dataclass(frozen=True)
class Decision:
    """What a trust policy decides for one AssumeRole request.

    Attributes:
        kind: ``"allowed"``, ``"denied"`` or ``"unknown"`` (the policy uses an operator or a
            key the local evaluator does not know: it never allows by silence).
        reason: why it is denied (the Deny that applied, or the closest Allow and the
            condition that failed) or unknown; ``None`` when allowed.
        statement: the statement concerned, ``Statement[i]`` counted from 0: the Allow that
            allows, the Deny that applied or the closest Allow; ``None`` when there is none.
        sid: the ``Sid`` of the statement that allows, if it has one.

    """

    kind: DecisionKind
    reason: str | None = None
    statement: int | None = None
    sid: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.kind == "allowed"

    @property
    def denied(self) -> bool:
        """Whether the request is denied."""
        return self.kind == "denied"

    @property
    def unknown(self) -> bool:
        """Whether the local evaluator cannot decide."""
        return self.kind == "unknown"

    def __str__(self) -> str:
        """One line, as ``cross-account trust-policy check`` prints it."""
        if self.kind == "allowed":
            sid = f" (Sid {json.dumps(self.sid)})" if self.sid else ""
            return f"allowed by Statement[{self.statement}]{sid}"
        return f"{self.kind}: {self.reason}"


@dataclass(frozen=True)
class LintWarning:
    """One finding of :func:`lint`.

    Attributes:
        code: what kind of problem it is: ``confused-deputy``, ``wildcard-principal``,
            ``external-id-wildcard``, ``external-id-if-exists``,
            ``external-id-for-all-values``, ``short-external-id``, ``missing-version``,
            ``old-version`` or ``invalid-policy``.
        message: what is wrong, where, and what to do instead.
        statement: the statement concerned (``Statement[i]``, counted from 0), if any.

    """

    code: str
    message: str
    statement: int | None = None

    def __str__(self) -> str:
        """``code: message``, as ``cross-account trust-policy lint`` prints it."""
        return f"{self.code}: {self.message}"


def trust_policy(
    *,
    trusted_accounts: Iterable[str] = (),
    trusted_principals: Iterable[str] = (),
    external_ids: Iterable[str] = (),
    require_mfa: bool = False,
    allow_source_identity: bool = False,
    allow_tag_session: bool = False,
    partition: str = "aws",
) -> str:
    """The role's trust policy: an IAM policy document (pretty JSON, Version 2012-10-17).

    Args:
        trusted_accounts: 12-digit account IDs; each means any principal of that account
            (``arn:PARTITION:iam::ID:root``).
        trusted_principals: role or user ARNs (or account root ARNs) trusted by name.
        external_ids: the external IDs the caller must send (``StringEquals
            sts:ExternalId``; any one of them). At least one is required.
        require_mfa: require ``aws:MultiFactorAuthPresent`` ``"true"``.
        allow_source_identity: also allow ``sts:SetSourceIdentity``.
        allow_tag_session: also allow ``sts:TagSession``.
        partition: ``aws``, ``aws-cn``, ``aws-us-gov``, ...

    Raises:
        InvalidParameterError: an argument is invalid; ``field`` names the keyword.
        TypeError: a list argument is a single string.

    """
    return _native.trust_policy_json(
        trusted_accounts=trusted_accounts,
        trusted_principals=trusted_principals,
        external_ids=external_ids,
        require_mfa=require_mfa,
        allow_source_identity=allow_source_identity,
        allow_tag_session=allow_tag_session,
        partition=partition,
    )


def cloudformation(
    role_name: str = DEFAULT_ROLE_NAME,
    *,
    trusted_accounts: Iterable[str] = (),
    trusted_principals: Iterable[str] = (),
    external_ids: Iterable[str] = (),
    require_mfa: bool = False,
    allow_source_identity: bool = False,
    allow_tag_session: bool = False,
    partition: str = "aws",
    s3_read_bucket: str | None = None,
    s3_read_prefix: str | None = None,
) -> str:
    """A CloudFormation template (YAML) with one ``AWS::IAM::Role`` named ``role_name``.

    The role has the :func:`trust_policy` of the same arguments as its
    ``AssumeRolePolicyDocument``, the :func:`s3_read_only_policy` of ``s3_read_bucket`` (and
    ``s3_read_prefix``) as an inline policy when a bucket is given, and the template has an
    output ``RoleArn``: the ARN to hand to the trusted account.

    Raises:
        InvalidParameterError: an argument is invalid; ``field`` names the keyword.
        TypeError: a list argument is a single string.

    """
    return _native.trust_policy_cloudformation(
        role_name,
        trusted_accounts=trusted_accounts,
        trusted_principals=trusted_principals,
        external_ids=external_ids,
        require_mfa=require_mfa,
        allow_source_identity=allow_source_identity,
        allow_tag_session=allow_tag_session,
        partition=partition,
        s3_read_bucket=s3_read_bucket,
        s3_read_prefix=s3_read_prefix,
    )


def s3_read_only_policy(bucket: str, prefix: str | None = None, *, partition: str = "aws") -> str:
    """A permission policy (pretty JSON) that lets the role read one S3 bucket.

    ``s3:GetObject`` on the bucket's keys (under ``prefix`` when given, taken literally:
    ``"exports/"`` is one folder) and ``s3:ListBucket`` on the bucket, limited to the prefix.

    Raises:
        InvalidParameterError: the bucket name, the prefix or the partition is invalid
            (``field`` is ``bucket``, ``prefix`` or ``partition``).

    """
    return _native.s3_read_only_policy_json(bucket, prefix, partition=partition)


def evaluate(
    policy_json: str | Mapping[str, Any],
    principal_arn: str,
    external_id: str | None = None,
    mfa: bool = False,
    *,
    long_term_credentials: bool = False,
) -> Decision:
    """Would this trust policy let this caller assume the role? Locally, as IAM would.

    Args:
        policy_json: the trust policy, as JSON text or as the parsed document.
        principal_arn: the caller: ``arn:aws:iam::ACCOUNT:user/NAME``, ``...:role/NAME``,
            ``...:root`` or ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``.
        external_id: the external ID the caller sends, if any.
        mfa: whether the caller authenticated with MFA.
        long_term_credentials: the caller signs with an IAM user's access keys: without MFA,
            ``aws:MultiFactorAuthPresent`` is then absent rather than ``"false"``.

    Only the trust policy is evaluated: the caller also needs ``sts:AssumeRole`` in its own
    account's policies.

    Raises:
        InvalidParameterError: the policy is not a trust policy IAM would accept (``field``
            ``policy_json``), the caller ARN is malformed (``principal_arn``) or the external
            ID is one STS would refuse (``external_id``).

    """
    text = policy_json if isinstance(policy_json, str) else json.dumps(policy_json)
    kind, reason, statement, sid = _native.trust_evaluate(
        text, principal_arn, external_id, mfa, long_term_credentials=long_term_credentials
    )
    return Decision(kind=kind, reason=reason, statement=statement, sid=sid)


def lint(policy_json: str | Mapping[str, Any]) -> list[LintWarning]:
    """Confused-deputy and hygiene warnings for a trust policy; empty when it is clean.

    Flags an Allow without an ``sts:ExternalId`` condition (``confused-deputy``), Principal
    ``"*"``, wildcards, ``IfExists`` or ``ForAllValues`` on ``sts:ExternalId``, external IDs
    shorter than 16 characters, and a missing or old ``Version``. Text that is not a trust
    policy IAM would accept gives one ``invalid-policy`` warning.
    """
    text = policy_json if isinstance(policy_json, str) else json.dumps(policy_json)
    return [
        LintWarning(code=code, message=message, statement=statement)
        for code, message, statement in _native.trust_lint(text)
    ]
