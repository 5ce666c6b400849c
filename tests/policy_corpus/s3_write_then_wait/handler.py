import json

import boto3

s3 = boto3.client("s3")
BUCKET = "reports-output"


def handler(event, context):
    key = f"reports/{event['id']}.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(event).encode())
    s3.get_waiter("object_exists").wait(Bucket=BUCKET, Key=key)
    return {"key": key}
