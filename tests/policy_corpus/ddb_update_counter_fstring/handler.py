import os

import boto3

STAGE = os.environ.get("STAGE", "dev")
counters = boto3.resource("dynamodb").Table(f"{STAGE}-counters")


def handler(event, context):
    result = counters.update_item(
        Key={"name": event["counter"]},
        UpdateExpression="ADD hits :one",
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    return int(result["Attributes"]["hits"])
