"""Assume an AWS IAM role in another account with an External ID, and keep it fresh.

Quick start::

    from cross_account import CrossAccountSession

    session = CrossAccountSession("arn:aws:iam::123456789012:role/DemoRole", "ExternalId123")
    s3 = session.boto3_session().client("s3")
    body = s3.get_object(Bucket="partner-bucket", Key="report.csv")["Body"].read()

The credentials come from a Rust core: one AssumeRole call per credential lifetime however
many threads or tasks read, a background refresh before expiry, and reads of fresh credentials
that take no lock. Secrets are :class:`Secret` objects whose ``repr``/``str`` are redacted.
"""

from cross_account._errors import (
    AccessDeniedError,
    CredentialsExpiredError,
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
    __version__,
    generate_external_id,
)

__all__ = [
    "AccessDeniedError",
    "Credentials",
    "CredentialsExpiredError",
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
    "SourceUnavailableError",
    "StsUnavailableError",
    "ThrottledError",
    "UnclassifiedError",
    "__version__",
    "generate_external_id",
]
