import json

import boto3

s3 = boto3.resource("s3")


def handler(event, context):
    obj = s3.Object("config-store", "settings/current.json")
    if obj.content_length > 1_000_000:
        raise ValueError("config too large")
    settings = json.loads(obj.get()["Body"].read())
    settings["version"] += 1
    s3.Object("config-store", "settings/next.json").put(Body=json.dumps(settings).encode())
