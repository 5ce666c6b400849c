import json
import os

import boto3

topic = boto3.resource("sns").Topic(os.environ["ORDER_EVENTS_TOPIC"])


def handler(event, context):
    for record in event["Records"]:
        topic.publish(
            Message=record["body"],
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": json.loads(record["body"])["type"]}
            },
        )
