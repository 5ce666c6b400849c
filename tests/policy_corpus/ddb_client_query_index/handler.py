import os

import boto3

client = boto3.client("dynamodb")
TABLE = os.environ.get("TABLE_NAME")


def handler(event, context):
    response = client.query(
        TableName=TABLE,
        IndexName="by-customer",
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": event["customer_id"]}},
    )
    return [item["id"]["S"] for item in response["Items"]]
