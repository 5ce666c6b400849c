"""The aws command line against the local cloud, unchanged but for AWS_ENDPOINT_URL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gearbox.clock import ManualClock


def test_sqs_round_trip_with_the_aws_cli(aws: Callable[..., Any], clock: ManualClock) -> None:
    url = aws(
        "sqs", "create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=10"
    )["QueueUrl"]
    assert url.endswith("/123456789012/cli-q")
    sent = aws(
        "sqs",
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        "from the cli",
        "--message-attributes",
        json.dumps({"kind": {"DataType": "String", "StringValue": "demo"}}),
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"from the cli").hexdigest()
    received = aws(
        "sqs",
        "receive-message",
        "--queue-url",
        url,
        "--message-attribute-names",
        "All",
        "--attribute-names",
        "All",
    )
    [message] = received["Messages"]
    assert message["Body"] == "from the cli"
    assert message["MessageAttributes"]["kind"]["StringValue"] == "demo"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    clock.advance(11)
    assert aws("sqs", "receive-message", "--queue-url", url) == {}
    queues = aws("sqs", "list-queues")
    assert queues["QueueUrls"] == [url]


def test_aws_cli_shows_aws_error_codes(aws: Callable[..., Any]) -> None:
    done = aws("sqs", "get-queue-url", "--queue-name", "missing", check=False)
    assert done.returncode == 255  # aws CLI v1's exit code for a service error
    assert "AWS.SimpleQueueService.NonExistentQueue" in done.stderr
    assert "The specified queue does not exist." in done.stderr


def test_aws_cli_batch_and_attributes(aws: Callable[..., Any]) -> None:
    url = aws(
        "sqs",
        "create-queue",
        "--queue-name",
        "batch.fifo",
        "--attributes",
        "FifoQueue=true,ContentBasedDeduplication=true",
    )["QueueUrl"]
    entries = [{"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g"} for i in range(3)]
    result = aws("sqs", "send-message-batch", "--queue-url", url, "--entries", json.dumps(entries))
    assert sorted(s["Id"] for s in result["Successful"]) == ["e0", "e1", "e2"]
    attributes = aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")[
        "Attributes"
    ]
    assert attributes["ApproximateNumberOfMessages"] == "3"
    assert attributes["FifoQueue"] == "true"


def test_s3_and_dynamodb_with_the_aws_cli(aws: Callable[..., Any], tmp_path: Path) -> None:
    """Services Gearbox does not own reach moto through the same endpoint."""
    aws("s3api", "create-bucket", "--bucket", "uploads")
    source = tmp_path / "photo.txt"
    source.write_text("pixels")
    aws("s3api", "put-object", "--bucket", "uploads", "--key", "a/photo.txt", "--body", str(source))
    listed = aws("s3api", "list-objects-v2", "--bucket", "uploads")
    assert [o["Key"] for o in listed["Contents"]] == ["a/photo.txt"]
    aws(
        "dynamodb",
        "create-table",
        "--table-name",
        "meta",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    aws("dynamodb", "put-item", "--table-name", "meta", "--item", '{"pk": {"S": "a"}}')
    item = aws("dynamodb", "get-item", "--table-name", "meta", "--key", '{"pk": {"S": "a"}}')
    assert item["Item"] == {"pk": {"S": "a"}}
