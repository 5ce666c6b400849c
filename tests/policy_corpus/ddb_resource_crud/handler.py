import json
import os

import boto3

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    method = event["requestContext"]["http"]["method"]
    order_id = event["pathParameters"]["id"]
    if method == "GET":
        item = table.get_item(Key={"id": order_id}).get("Item")
        return {"statusCode": 200 if item else 404, "body": json.dumps(item, default=str)}
    if method == "PUT":
        table.put_item(Item={"id": order_id, **json.loads(event["body"])})
        return {"statusCode": 204}
    table.delete_item(Key={"id": order_id})
    return {"statusCode": 204}
