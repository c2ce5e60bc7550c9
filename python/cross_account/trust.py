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
    report = trust.lint_report(open("template.yaml").read(), own_accounts=["444455556666"])
    sarif = report.to_sarif("template.yaml")

Invalid arguments raise :class:`~cross_account.InvalidParameterError`, whose ``field`` names
the keyword. Nothing here calls AWS.
"""

from cross_account._native import (
    DEFAULT_ROLE_NAME,
    Decision,
    LintReport,
    LintWarning,
    generate_external_id,
)
from cross_account._native import s3_read_only_policy_json as s3_read_only_policy
from cross_account._native import trust_evaluate as evaluate
from cross_account._native import trust_lint as lint
from cross_account._native import trust_lint_report as lint_report
from cross_account._native import trust_policy_cloudformation as cloudformation
from cross_account._native import trust_policy_json as trust_policy

__all__ = [
    "DEFAULT_ROLE_NAME",
    "Decision",
    "LintReport",
    "LintWarning",
    "cloudformation",
    "evaluate",
    "generate_external_id",
    "lint",
    "lint_report",
    "s3_read_only_policy",
    "trust_policy",
]
