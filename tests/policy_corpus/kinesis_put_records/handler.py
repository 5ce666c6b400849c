import json

import boto3

kinesis = boto3.client("kinesis")
STREAM = "clickstream"


def handler(event, context):
    records = [
        {"Data": json.dumps(click).encode(), "PartitionKey": click["session"]}
        for click in event["clicks"]
    ]
    response = kinesis.put_records(StreamName=STREAM, Records=records)
    return {"failed": response["FailedRecordCount"]}
