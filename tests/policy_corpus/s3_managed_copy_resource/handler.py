import os

import boto3

s3 = boto3.resource("s3")


def handler(event, context):
    target = s3.Bucket(os.environ["BACKUP_BUCKET"])
    for record in event["Records"]:
        source = {"Bucket": record["s3"]["bucket"]["name"], "Key": record["s3"]["object"]["key"]}
        target.copy(source, "backup/" + source["Key"])
