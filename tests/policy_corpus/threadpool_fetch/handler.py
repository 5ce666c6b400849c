import os
from concurrent.futures import ThreadPoolExecutor

import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["DATA_BUCKET"]


def fetch(key):
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def handler(event, context):
    with ThreadPoolExecutor(max_workers=8) as pool:
        blobs = list(pool.map(fetch, event["keys"]))
    return {"bytes": sum(len(b) for b in blobs)}
