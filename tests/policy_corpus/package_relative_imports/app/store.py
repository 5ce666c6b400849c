import time

import boto3

_client = boto3.client("dynamodb")


def save_event(table, event):
    _client.put_item(
        TableName=table,
        Item={"id": {"S": event["id"]}, "at": {"N": str(int(time.time()))}},
    )
