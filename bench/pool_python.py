"""Python figures of the multi-tenant rows (many customer accounts, one pool).

Memory per idle tenant of ``cross_account.Pool``, and the cost of one boto3 client per tenant
with the pool's shared botocore loader or with a boto3 session per tenant.

    python bench/pool_python.py --pool-bin target/release/cross-account-bench-pool [--tenants N]

Starts the quota STS (``cross-account-bench-pool quota-sts``) on 127.0.0.1 and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cross_account


def rss_kib() -> int:
    """Resident set size of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tenant(i: int) -> tuple[str, str]:
    """Role ARN and external ID of tenant ``i``."""
    return f"arn:aws:iam::{600_000_000_000 + i:012d}:role/Tenant{i}", f"py-external-id-{i:06d}"


def clients_per_tenant(make: Any, count: int) -> dict[str, float]:
    """RSS and wall time per client for ``count`` clients made by ``make(i)``."""
    make(10_000_000)  # the first loads the service model; it is not a per-tenant cost
    keep = []
    before, t0 = rss_kib(), time.perf_counter()
    for i in range(count):
        keep.append(make(i))
    took = time.perf_counter() - t0
    return {
        "kib_per_client": (rss_kib() - before) / count,
        "ms_per_client": took * 1000 / count,
        "clients": count,
    }


def main() -> int:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool-bin", required=True)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    quota = 600.0
    fake = subprocess.Popen(  # noqa: S603 - our own release binary, fixed arguments
        [args.pool_bin, "quota-sts", "--rate", str(quota), "--burst", "100"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        url = json.loads(fake.stdout.readline())["url"]
        os.environ.update(
            AWS_ACCESS_KEY_ID="AKIDQUOTA",
            AWS_SECRET_ACCESS_KEY="quota-source-secret",  # noqa: S106 - the fake's, not AWS's
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        pool = cross_account.Pool(
            rate_limit=quota * 0.95, burst=50, max_in_flight=16, endpoint_url=url
        )
        pool.credentials(*tenant(10_000_000))  # builds the lane's STS client
        before, t0 = rss_kib(), time.perf_counter()
        results = pool.prefetch([tenant(i) for i in range(args.tenants)])
        warm = time.perf_counter() - t0
        failures = sum(not isinstance(r, cross_account.Credentials) for r in results)
        del results
        per_tenant = (rss_kib() - before) / args.tenants
        import boto3  # noqa: PLC0415 - measured after the pool

        shared = clients_per_tenant(
            lambda i: pool.client("s3", *tenant(i), region_name="us-east-1"), args.clients
        )
        separate = clients_per_tenant(
            lambda i: boto3.Session(
                aws_access_key_id="AKIDTENANT",
                aws_secret_access_key="tenant-secret",  # noqa: S106 - never sent anywhere
                region_name="us-east-1",
            ).client("s3"),
            args.clients,
        )
        print(
            json.dumps(
                {
                    "tenants": args.tenants,
                    "first_read_failures": failures,
                    "warm_seconds": warm,
                    "rss_kib_per_idle_tenant": per_tenant,
                    "stats": pool.stats(),
                    "pool_client": shared,
                    "boto3_session_per_tenant_client": separate,
                }
            )
        )
    finally:
        assert fake.stdin is not None
        fake.stdin.close()
        fake.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
