"""A vendor with many customer accounts: one cross_account.Pool for every tenant role.

TENANTS_FILE=tenants.json python examples/python/many_tenants.py

``tenants.json`` is a list of ``{"role_arn": ..., "external_id": ...}``. Source credentials,
region and endpoint come from the usual AWS environment and profiles.
"""

import json
import os
import sys
from pathlib import Path

import cross_account

tenants = json.loads(Path(os.environ["TENANTS_FILE"]).read_text())

# One host of a fleet of 4 sharing the account's ~600 calls/s.
pool = cross_account.Pool(rate_limit=100, burst=10, max_in_flight=16)

# Onboarding: does the customer's role refuse callers without the external ID?
report = pool.verify(tenants[0]["role_arn"], tenants[0]["external_id"])
print(f"verify {report['role_arn']}: {report['verdict']}")
for check in report["checks"]:
    if check["outcome"] != "passed":
        print(f"  {check['check']}: {check['detail']}")

# Warm every tenant at the budget's pace; one result each.
results = pool.prefetch([(t["role_arn"], t["external_id"]) for t in tenants])
failed = [r for r in results if not isinstance(r, cross_account.Credentials)]
print(f"warmed {len(results) - len(failed)} of {len(tenants)} tenants")

# One boto3 session per tenant, all on one shared botocore loader.
last = tenants[-1]
session = pool.boto3_session(last["role_arn"], last["external_id"])
print(
    "last tenant signs as",
    session.get_credentials().get_frozen_credentials().access_key,
)
stats = pool.stats()
print(
    f"sts_calls={stats['sts_calls']} throttled={stats['throttled']} "
    f"sessions={stats['sessions']} in_flight={stats['in_flight']}"
)
sys.exit(1 if failed else 0)
