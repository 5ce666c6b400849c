import os

import boto3


def extend_visibility(client, queue_url, records, seconds):
    for record in records:
        client.change_message_visibility(
            QueueUrl=queue_url,
            ReceiptHandle=record["receiptHandle"],
            VisibilityTimeout=seconds,
        )


def handler(event, context):
    sqs = boto3.client("sqs")
    extend_visibility(sqs, os.environ["JOBS_QUEUE_URL"], event["Records"], 300)
