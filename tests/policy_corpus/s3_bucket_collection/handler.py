import datetime
import os

import boto3

bucket = boto3.resource("s3").Bucket(os.environ["LOG_BUCKET"])


def handler(event, context):
    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    for summary in bucket.objects.filter(Prefix="logs/"):
        if summary.last_modified < cutoff:
            summary.delete()
