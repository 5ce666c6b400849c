import csv
import io
import os

import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ["PRODUCTS_TABLE"])


def handler(event, context):
    record = event["Records"][0]["s3"]
    body = s3.get_object(Bucket=record["bucket"]["name"], Key=record["object"]["key"])["Body"]
    rows = csv.DictReader(io.StringIO(body.read().decode()))
    with table.batch_writer() as batch:
        for row in rows:
            batch.put_item(Item=row)
