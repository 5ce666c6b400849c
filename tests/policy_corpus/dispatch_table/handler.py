import os

import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["DOCS_BUCKET"]


def create(event):
    s3.put_object(Bucket=BUCKET, Key=event["key"], Body=event["body"].encode())


def delete(event):
    s3.delete_object(Bucket=BUCKET, Key=event["key"])


ACTIONS = {"create": create, "delete": delete}


def handler(event, context):
    return ACTIONS[event["action"]](event)
