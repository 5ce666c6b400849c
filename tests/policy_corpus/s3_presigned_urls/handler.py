import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    bucket = os.environ["MEDIA_BUCKET"]
    key = f"uploads/{event['user']}/{event['name']}"
    upload = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300
    )
    download = s3.generate_presigned_url(
        ClientMethod="get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600
    )
    return {"statusCode": 200, "body": json.dumps({"upload": upload, "download": download})}
