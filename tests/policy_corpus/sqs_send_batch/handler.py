import json
import os

import boto3

sqs = boto3.client("sqs")


def chunks(items, size=10):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def handler(event, context):
    queue_url = os.environ["WORK_QUEUE_URL"]
    jobs = event.get("jobs", [])
    for batch in chunks(jobs):
        entries = [{"Id": str(i), "MessageBody": json.dumps(job)} for i, job in enumerate(batch)]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    return {"queued": len(jobs)}
