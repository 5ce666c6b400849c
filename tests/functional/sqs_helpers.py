"""Small helpers the SQS functional tests share."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    """The error code boto3 reports (for SQS, the query-protocol code AWS sends)."""
    return str(excinfo.value.response["Error"]["Code"])


def arn_of(sqs: Any, url: str) -> str:
    return str(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    )


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    """(visible, in flight, delayed)."""
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(got["ApproximateNumberOfMessages"]),
        int(got["ApproximateNumberOfMessagesNotVisible"]),
        int(got["ApproximateNumberOfMessagesDelayed"]),
    )


def receive_raw(sqs: Any, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    """ReceiveMessage with exactly the given arguments; [] when nothing came back."""
    return list(sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", []))


def allow_s3(sqs: Any, url: str, *buckets: str) -> str:
    """Give the queue the policy AWS needs before S3 may notify it from ``buckets``; the
    queue's ARN."""
    from gearbox.dev.triggers import s3_queue_policy

    arn = arn_of(sqs, url)
    policy = s3_queue_policy(arn, buckets, arn.split(":")[4])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return arn


def allow_sns(sqs: Any, url: str, *topics: str) -> str:
    """Give the queue the policy AWS needs before SNS may deliver ``topics`` to it; its ARN."""
    from gearbox.dev.triggers import queue_policy

    arn = arn_of(sqs, url)
    policy = queue_policy(arn, "sns.amazonaws.com", topics, arn.split(":")[4])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return arn
