"""The reference pipeline end to end, driven as a user drives it: a file uploaded with
``aws s3 cp`` to a bucket that notifies a queue, whose event source mapping triggers a
function that writes the object's metadata to DynamoDB. And the same when the function
fails its first two attempts: the message comes back after the visibility timeout, and the
third attempt writes the item.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gearbox.dev.triggers import s3_queue_policy
from tests.conftest import aws_env
from tests.e2e.conftest import Running
from tests.functional.lambda_helpers import create_function
from tests.waiting import wait_for

EXTRACT = """
import boto3, os, urllib.parse

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
attempts = {}

def handler(event, context):
    for record in event["Records"]:
        import json
        body = json.loads(record["body"])
        for s3 in body.get("Records", []):
            key = urllib.parse.unquote_plus(s3["s3"]["object"]["key"])
            attempts[key] = attempts.get(key, 0) + 1
            if key.startswith("flaky/") and attempts[key] <= 2:
                raise RuntimeError(f"attempt {attempts[key]} of {key} fails")
            table.put_item(Item={
                "key": key,
                "bucket": s3["s3"]["bucket"]["name"],
                "size": s3["s3"]["object"]["size"],
                "attempts": record["attributes"]["ApproximateReceiveCount"],
            })
"""


def build(running: Running) -> tuple[Any, str]:
    sqs, lam, ddb, s3 = (running.client(s) for s in ("sqs", "lambda", "dynamodb", "s3"))
    ddb.create_table(
        TableName="metadata",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
    )
    # Visibility well above the function's timeout plus a cold start on a busy machine, so a
    # slow first attempt is not received a second time while it still runs.
    queue = sqs.create_queue(QueueName="uploads-events", Attributes={"VisibilityTimeout": "4"})
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:uploads-events"
    s3.create_bucket(Bucket="uploads")
    policy = s3_queue_policy(queue_arn, ["uploads"], "123456789012")  # as AWS requires
    sqs.set_queue_attributes(QueueUrl=queue["QueueUrl"], Attributes={"Policy": json.dumps(policy)})
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    create_function(
        lam, "extract", EXTRACT, Timeout=2, Environment={"Variables": {"TABLE_NAME": "metadata"}}
    )
    lam.create_event_source_mapping(FunctionName="extract", EventSourceArn=queue_arn, BatchSize=1)
    return ddb, queue["QueueUrl"]


def upload(running: Running, source: Path, key: str) -> None:
    cli = Path(sys.executable).parent / "aws"
    subprocess.run(
        [
            str(cli),
            "--endpoint-url",
            running.endpoint_url,
            "s3",
            "cp",
            str(source),
            f"s3://uploads/{key}",
        ],
        env={**aws_env(running.endpoint_url), "PATH": os.environ.get("PATH", "")},
        check=True,
        capture_output=True,
        timeout=60,
    )


def item(ddb: Any, key: str) -> dict[str, Any] | None:
    found = ddb.get_item(TableName="metadata", Key={"key": {"S": key}}).get("Item")
    return dict(found) if found else None


def test_upload_to_metadata_in_dynamodb(tmp_path: Path, start_up: Callable[..., Running]) -> None:
    running = start_up(tmp_path / "state")
    ddb, _ = build(running)
    source = tmp_path / "cat photo.jpg"
    source.write_bytes(b"\xff\xd8" + b"x" * 1000)
    upload(running, source, "photos/cat photo.jpg")
    written = wait_for(lambda: item(ddb, "photos/cat photo.jpg"), seconds=30)
    assert written["bucket"] == {"S": "uploads"}
    assert written["size"] == {"N": "1002"}
    assert written["attempts"] == {"S": "1"}


def test_upload_whose_function_fails_twice_then_succeeds(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    running = start_up(tmp_path / "state")
    ddb, _ = build(running)
    source = tmp_path / "doc.txt"
    source.write_text("hello")
    upload(running, source, "flaky/doc.txt")
    written = wait_for(lambda: item(ddb, "flaky/doc.txt"), seconds=60)
    assert written["attempts"] == {"S": "3"}  # received three times, written on the third
    log = (tmp_path / "state" / "lambda" / "logs" / "extract.log").read_text()
    assert "attempt 1 of flaky/doc.txt fails" in log
    assert "attempt 2 of flaky/doc.txt fails" in log
