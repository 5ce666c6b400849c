import os

import boto3

sqs = boto3.client("sqs")
DLQ = os.environ["DLQ_URL"]
MAIN = os.environ["MAIN_QUEUE_URL"]


def handler(event, context):
    depth = int(
        sqs.get_queue_attributes(QueueUrl=DLQ, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
    )
    moved = 0
    while moved < depth:
        batch = sqs.receive_message(QueueUrl=DLQ, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        for message in batch:
            sqs.send_message(QueueUrl=MAIN, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=DLQ, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return {"moved": moved}
