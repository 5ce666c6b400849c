import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    bucket = os.environ["SCRATCH_BUCKET"]
    paginator = s3.get_paginator("list_objects_v2")
    deleted = 0
    for page in paginator.paginate(Bucket=bucket, Prefix=event.get("prefix", "tmp/")):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            deleted += len(keys)
    return {"deleted": deleted}
