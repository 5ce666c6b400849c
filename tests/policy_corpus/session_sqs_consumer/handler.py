import os

import boto3

session = boto3.Session(region_name=os.environ.get("AWS_REGION", "us-east-1"))
sqs = session.client("sqs")


def handler(event, context):
    url = os.environ["INBOX_QUEUE_URL"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    for message in messages.get("Messages", []):
        print(message["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
