"""A small app for the app-mode policy tests: a direct S3 trigger, a stream trigger with an
on-failure queue, an async destination, an SNS trigger and an extra permission."""

from __future__ import annotations

import os

import boto3

from gearbox.app import App, Key, Permission

app = App("pol")
photos = app.bucket("photos")
dead = app.queue("dead")
done = app.topic("done")
orders = app.table("orders", partition_key=Key("id"), stream="NEW_IMAGE")
audit = app.table("audit", partition_key=Key("id"))

s3 = boto3.client("s3", region_name="us-east-1")
ddb = boto3.client("dynamodb", region_name="us-east-1")


@app.on_s3(photos, events=("s3:ObjectCreated:*",))
@app.function(on_failure=dead, environment={"AUDIT": audit})
def resize(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        s3.get_object(Bucket=bucket, Key=record["s3"]["object"]["key"])
        ddb.put_item(TableName=os.environ["AUDIT"], Item={"id": {"S": "x"}})


@app.on_dynamodb_stream(orders, on_failure=dead)
@app.function(
    extra_permissions=(
        Permission(
            actions=("kms:Decrypt",), resources=("arn:aws:kms:us-east-1:123456789012:key/k1",)
        ),
    ),
)
def ship(event, context):
    return None


@app.on_sns(done)
def noted(event, context):
    return None
