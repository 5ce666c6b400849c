import json
import os

from services import clients
from services.labels import detect_labels

TABLE = os.environ["IMAGES_TABLE"]


def handler(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        bucket, key = body["bucket"], body["key"]
        labels = detect_labels(bucket, key)
        clients.dynamodb().put_item(
            TableName=TABLE,
            Item={"key": {"S": key}, "labels": {"SS": labels or ["none"]}},
        )
