import os

from boto3 import client

s3 = client("s3")


def handler(event, context):
    source_bucket = os.environ["INCOMING_BUCKET"]
    target_bucket = os.environ["CURATED_BUCKET"]
    key = event["key"]
    head = s3.head_object(Bucket=source_bucket, Key=key)
    if head["ContentLength"] == 0:
        return {"skipped": key}
    s3.copy_object(Bucket=target_bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": key})
    return {"copied": key}
