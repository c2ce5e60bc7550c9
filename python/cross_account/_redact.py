"""A logging filter that takes signing secrets out of botocore's DEBUG records.

At DEBUG, botocore logs each request's headers (``X-Amz-Security-Token: <session token>``),
the SigV4 canonical request (``x-amz-security-token:<session token>``), the signature, and
response bodies, which for STS calls hold ``SecretAccessKey`` and ``SessionToken``. This
filter rewrites such records before any handler sees them. It never drops a record.
"""

from __future__ import annotations

import logging
import re

__all__ = ["BOTOCORE_LOGGERS", "BotocoreSecretsFilter", "redact", "redact_botocore_logs"]

REDACTED = "<redacted>"

# The loggers whose records carry request or response material. A filter on a logger applies
# to the records created there (not to those propagated from children), hence the list.
BOTOCORE_LOGGERS = (
    "botocore",
    "botocore.auth",
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.hooks",
    "botocore.httpsession",
    "botocore.retryhandler",
    "botocore.awsrequest",
    "botocore.credentials",
    "aiobotocore.endpoint",
    "aiobotocore.httpsession",
    "aiobotocore.parsers",
    "urllib3.connectionpool",
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Header dicts (``'X-Amz-Security-Token': b'...'``) and query strings (``...=VALUE&``).
    (
        re.compile(r"""(X-Amz-Security-Token['"]?\s*[:=]\s*b?['"]?)[^'"&\s,}]+""", re.I),
        rf"\g<1>{REDACTED}",
    ),
    # The canonical request's header line, ``x-amz-security-token:VALUE``.
    (re.compile(r"(x-amz-security-token:)\S+", re.I), rf"\g<1>{REDACTED}"),
    # Authorization header parts.
    (re.compile(r"(Credential=)[^,\s'\"&]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(Signature=)[0-9a-fA-F]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(X-Amz-Signature=)[0-9a-fA-F]+", re.I), rf"\g<1>{REDACTED}"),
    (re.compile(r"(X-Amz-Credential=)[^&\s'\"]+", re.I), rf"\g<1>{REDACTED}"),
    # ``Signature:\n<hex>`` from botocore.auth.
    (re.compile(r"(Signature:\s*)[0-9a-fA-F]{64}"), rf"\g<1>{REDACTED}"),
    # Response bodies: STS XML and JSON credentials.
    (
        re.compile(r"(<(SecretAccessKey|SessionToken)>)[^<]*(</\2>)"),
        rf"\g<1>{REDACTED}\g<3>",
    ),
    (
        re.compile(
            r"""(['"](?:SecretAccessKey|SessionToken|secretAccessKey|sessionToken)['"]\s*:\s*b?['"])[^'"]*"""
        ),
        rf"\g<1>{REDACTED}",
    ),
)


def redact(text: str) -> str:
    """``text`` with session tokens, credential scopes, signatures and secret keys replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class BotocoreSecretsFilter(logging.Filter):
    """Redacts signing secrets from a record's message. Never drops a record.

    ``X-Amz-Security-Token`` values, ``Credential=``/``Signature=`` parts, the SigV4
    signature and secret keys in response bodies; the message is formatted with its arguments
    first.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; always keep the record."""
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = BotocoreSecretsFilter()


def redact_botocore_logs() -> BotocoreSecretsFilter:
    """Install the filter on botocore's (and aiobotocore's, urllib3's) loggers; idempotent.

    ``boto3_session()``, ``aiobotocore_session()`` and ``aioboto3_session()`` call it, so the
    secrets of the clients they make stay out of DEBUG logs. Returns the filter, which can also
    be added to a handler to cover every logger.
    """
    for name in BOTOCORE_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    return _FILTER
