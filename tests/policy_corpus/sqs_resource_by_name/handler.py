import json

import boto3

sqs = boto3.resource("sqs")


def handler(event, context):
    queue = sqs.get_queue_by_name(QueueName="email-outbox")
    queue.send_message(MessageBody=json.dumps(event))
