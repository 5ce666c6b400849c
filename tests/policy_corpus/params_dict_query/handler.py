import os

import boto3

client = boto3.client("dynamodb")


def build_query(customer, index=None):
    params = {
        "TableName": os.environ["INVOICES_TABLE"],
        "KeyConditionExpression": "customer = :c",
        "ExpressionAttributeValues": {":c": {"S": customer}},
    }
    if index:
        params["IndexName"] = index
    return params


def handler(event, context):
    items = []
    paginator = client.get_paginator("query")
    for page in paginator.paginate(**build_query(event["customer"], "by-date")):
        items.extend(page["Items"])
    return len(items)
