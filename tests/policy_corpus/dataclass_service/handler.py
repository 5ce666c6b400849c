import json
import os
from dataclasses import dataclass, field
from typing import Any

import boto3


@dataclass
class OutboxPublisher:
    queue_url: str = field(default_factory=lambda: os.environ["OUTBOX_QUEUE_URL"])
    sqs: Any = field(default_factory=lambda: boto3.client("sqs"))

    def publish(self, payload: dict) -> str:
        response = self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(payload))
        return response["MessageId"]


publisher = OutboxPublisher()


def handler(event, context):
    return [publisher.publish(record) for record in event["records"]]
