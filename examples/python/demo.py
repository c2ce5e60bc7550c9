"""The scenario through Python: boto3 reads the shared object with refreshing credentials.

Run by ``scripts/demo`` against the local STS (``CROSS_ACCOUNT_TEST_SCENARIO`` names the
scenario file it wrote).
"""

from __future__ import annotations

import json
import os
import sys

import cross_account
from botocore.exceptions import ClientError
from cross_account import AccessDeniedError, CrossAccountSession, InvalidParameterError


def main() -> int:
    """Walk through the scenario; return the exit status."""
    with open(os.environ["CROSS_ACCOUNT_TEST_SCENARIO"]) as f:
        sc = json.load(f)

    print("== 1. Assume the role with the agreed External ID")
    with CrossAccountSession(
        sc["role_arn"], sc["external_id"], session_name="py-demo"
    ) as session:
        creds = session.credentials()
        print(f"   {creds!r}")
        print(f"   secret key: {creds.secret_access_key}  (str() is redacted too)")

        print("\n== 2. boto3 reads the shared object (allowed)")
        s3 = session.boto3_session().client("s3")
        body = s3.get_object(Bucket=sc["bucket"], Key=sc["key"])["Body"].read()
        print(f"   s3://{sc['bucket']}/{sc['key']} -> {body!r}")

        print("\n== 3. boto3 tries to write (denied)")
        try:
            s3.put_object(Bucket=sc["bucket"], Key="from-python.txt", Body=b"hi")
        except ClientError as e:
            print(f"   denied, as it should be: {e.response['Error']['Code']}")
        else:
            print("   unexpected: the write was allowed", file=sys.stderr)
            return 1
        print(f"\n   status: {session.status()['sts_calls']} STS call(s)")

    print("\n== 4. A wrong External ID raises AccessDeniedError with a hint")
    try:
        CrossAccountSession(sc["role_arn"], "NotTheAgreedId").credentials()
    except AccessDeniedError as e:
        print(f"   AccessDeniedError\n   hint: {e.hint}")
    else:
        return 1

    print("\n== 5. Bad input is refused before any network call")
    try:
        CrossAccountSession("arn:aws:iam::12345:role/DemoRole")
    except InvalidParameterError as e:
        print(f"   InvalidParameterError(field={e.field!r}): {e}")
    print(f"\n(cross_account {cross_account.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
