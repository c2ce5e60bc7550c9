"""Read one S3 object in the partner's account through an assumed role (boto3).

ROLE_ARN=... EXTERNAL_ID=... BUCKET=... KEY=... python examples/python/s3_read.py
"""

import os

from cross_account import CrossAccountSession

session = CrossAccountSession(os.environ["ROLE_ARN"], os.environ["EXTERNAL_ID"])
s3 = session.boto3_session().client("s3")
body = s3.get_object(Bucket=os.environ["BUCKET"], Key=os.environ["KEY"])["Body"].read()
print(body.decode(), end="")
