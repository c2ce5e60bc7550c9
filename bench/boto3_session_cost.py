#!/usr/bin/env python3
"""Milliseconds per ``CrossAccountSession.boto3_session()`` call, and per ``.client("s3")`` on it.

No network: the session is never read (clients are built, not used). Medians of ``--runs``
batches of ``--calls`` calls each, after one warm-up call (which loads botocore's JSON models).

    python3 bench/boto3_session_cost.py [--runs 7] [--calls 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import cross_account


def per_call_ms(fn: object, calls: int, runs: int) -> float:
    """The median over ``runs`` batches of the mean ms per call."""
    assert callable(fn)
    fn()  # warm-up: the first call loads botocore's data files
    batches = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        batches.append((time.perf_counter() - start) * 1000 / calls)
    return statistics.median(batches)


def main() -> None:
    """Print the two medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    session = cross_account.CrossAccountSession(
        "arn:aws:iam::123456789012:role/DemoRole",
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
    )
    session_ms = per_call_ms(session.boto3_session, args.calls, args.runs)
    client_ms = per_call_ms(
        lambda: session.boto3_session().client("s3", endpoint_url="http://127.0.0.1:9"),
        args.calls,
        args.runs,
    )
    print(f"boto3_session():            {session_ms:8.2f} ms per call (median of {args.runs})")
    print(f"boto3_session().client(s3): {client_ms:8.2f} ms per call (median of {args.runs})")


if __name__ == "__main__":
    main()
