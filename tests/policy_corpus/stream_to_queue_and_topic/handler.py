import json
import os

import boto3

sqs = boto3.client("sqs")
sns = boto3.client("sns")
QUEUE = os.environ["INDEX_QUEUE_URL"]
TOPIC = os.environ["CHANGES_TOPIC_ARN"]


def handler(event, context):
    for record in event["Records"]:
        if record["eventName"] == "REMOVE":
            sns.publish(
                TopicArn=TOPIC, Subject="deleted", Message=json.dumps(record["dynamodb"]["Keys"])
            )
        else:
            sqs.send_message(QueueUrl=QUEUE, MessageBody=json.dumps(record["dynamodb"]["NewImage"]))
