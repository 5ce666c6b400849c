import os

import boto3

SERVICE = "dynamodb"
db = boto3.client(service_name=SERVICE)


def handler(event, context):
    table = os.environ["EVENTS_TABLE"]
    requests = [{"PutRequest": {"Item": {"id": {"S": e["id"]}}}} for e in event["events"]]
    db.batch_write_item(RequestItems={table: requests})
